"""The one Zoom rule, stated once. Every path that can give or take a meeting asks here.

    An upcoming, not cancelled appointment has a Zoom meeting when its service has "Auto-create Zoom
    meeting" on or staff added one to it, and the organization has a live connection -- unless staff
    removed it; a link a client already has is never taken away without that explicit action.

- **Upcoming** means *not yet ended*: an appointment in progress still gets its meeting (a session that
  turned into a video call), one that has ended gets none.
- **The explicit actions** that take a meeting away: cancelling the appointment, **Remove Zoom meeting**,
  and changing the appointment's service to one without Zoom meetings (staff chose, for this very
  appointment, a service that is not a video session; the client's update email says the link is gone).
  Nothing else does: switching a service off, disconnecting Zoom, the appointment ending, or a pending
  create caught by a disconnection leave a meeting that exists where it is.

Pure functions of the appointment, its service, the staff choice (`ZoomMeeting.staff_choice`), the
connection and the time -- no queries, no Flask. The booking pipeline's plan (`conecta.zoom.plan`) asks
`wanted()` at every save; the paths that reach many appointments at once (a service switched on, a
connect or reconnect: `conecta.zoom.replan`) ask `needs_meeting()` which of them to save.
"""

from __future__ import annotations

from datetime import datetime

from conecta.i18n import N_
from conecta.models import Appointment, StaffChoice, ZoomState


def staff_choice(appointment: Appointment) -> StaffChoice | None:
    zoom = appointment.zoom
    return zoom.staff_choice if zoom is not None else None


def covers(
    appointment: Appointment, *, connected: bool, now: datetime, auto_create: bool | None = None
) -> bool:
    """The rule: the appointment has a Zoom meeting. `auto_create` stands in for its service's switch
    (None: the switch as it is), so a confirmation can say what switching a service on would do."""
    if appointment.is_cancelled or appointment.ends_at <= now or not connected:
        return False
    choice = staff_choice(appointment)
    if choice is StaffChoice.REMOVED:
        return False
    if auto_create is None:
        auto_create = appointment.service.zoom_auto_create
    return bool(auto_create) or choice is StaffChoice.ADDED


def keeps_meeting(appointment: Appointment, *, service_changed: bool = False) -> bool:
    """ "Never taken away": the appointment has its meeting -- or may have (a create whose answer is not in
    yet), or had one deleted in Zoom that staff are to answer -- and no explicit action took it away."""
    zoom = appointment.zoom
    if zoom is None or not zoom.wanted or appointment.is_cancelled:
        return False
    if zoom.staff_choice is StaffChoice.REMOVED:
        return False
    if service_changed and not appointment.service.zoom_auto_create and zoom.staff_choice is None:
        return False  # moved to a service that is not a video session, by staff, on this appointment
    return zoom.in_zoom or zoom.state is ZoomState.VANISHED


def wanted(
    appointment: Appointment, *, connected: bool, now: datetime, service_changed: bool = False
) -> bool:
    """What a save decides (`ZoomMeeting.wanted`): the rule covers the appointment, or it keeps the meeting
    it has. `service_changed`: this save gave the appointment another service."""
    return covers(appointment, connected=connected, now=now) or keeps_meeting(
        appointment, service_changed=service_changed
    )


def needs_meeting(
    appointment: Appointment, *, connected: bool, now: datetime, auto_create: bool | None = None
) -> bool:
    """The rule covers the appointment, yet it has no meeting and none is on its way (booked while Zoom
    was disconnected, before its service was switched on, or failed for good): a save creates one."""
    if not covers(appointment, connected=connected, now=now, auto_create=auto_create):
        return False
    zoom = appointment.zoom
    if zoom is None or not zoom.wanted:
        return True
    on_its_way = zoom.in_zoom or zoom.sync_requested_at is not None
    return not on_its_way and zoom.state is not ZoomState.VANISHED  # (vanished: staff's to answer)


# ---- staff's choice for one appointment: Add Zoom meeting, Remove Zoom meeting ------------------------

# Marked for translation (N_): the views show them through gettext(), in the reader's language.
NOT_CONNECTED = N_("Zoom is not connected: an admin can connect it in Settings → Integrations.")
ADD_REFUSED = {
    "cancelled": N_("A cancelled appointment gets no Zoom meeting."),
    "ended": N_("This appointment has ended: it gets no Zoom meeting."),
    "has_one": N_("This appointment already has a Zoom meeting."),
}
NOTHING_TO_REMOVE = N_("This appointment has no Zoom meeting to remove.")


def add_refusal(appointment: Appointment, *, connected: bool, now: datetime) -> str | None:
    """Why Add Zoom meeting does not apply (None: it does -- the rule would then cover it)."""
    zoom = appointment.zoom
    if appointment.is_cancelled:
        return ADD_REFUSED["cancelled"]
    if appointment.ends_at <= now:
        return ADD_REFUSED["ended"]
    if zoom is not None and zoom.wanted:
        return ADD_REFUSED["has_one"]
    return None if connected else NOT_CONNECTED


def remove_refusal(appointment: Appointment, *, connected: bool) -> str | None:
    """Why Remove Zoom meeting does not apply (None: it does)."""
    zoom = appointment.zoom
    if appointment.is_cancelled or zoom is None or not zoom.wanted:
        return NOTHING_TO_REMOVE
    return None if connected else NOT_CONNECTED
