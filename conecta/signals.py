"""Domain events that let Zoom sync and client emails follow appointments without the booking code
knowing about either. Receivers connect in their own modules (`conecta.zoom.sync`, `conecta.mail`).

- `appointment_saving(appointment, change)`: sent by `conecta.bookings.service` after the change is
  applied and flushed but BEFORE the commit, so receivers add their bookkeeping (the Zoom "sync needed"
  mark, the email outbox row) to the same transaction. `change` is "created", "updated" or "cancelled".
- `appointment_committed(appointment_id, change)`: sent right after that commit; receivers enqueue jobs.
  Enqueueing may fail (Redis down): receivers log and carry on, the periodic sweep picks the work up.
- `zoom_settled(appointment_id, zoom_state)`: sent by the reconciler after it committed a state other than
  "pending" (ready, failed, deleted, left, none), so the confirmation email can go out with the link.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

appointment_saving = _signals.signal("appointment-saving")
appointment_committed = _signals.signal("appointment-committed")
zoom_settled = _signals.signal("zoom-settled")
