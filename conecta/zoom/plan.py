"""Step one of the booking pipeline for Zoom: inside the booking's transaction, decide and mark.

`plan(appointment, ...)` runs before the booking commits (`conecta.bookings.service`), at every save:
booking, editing, Add and Remove Zoom meeting, a service switched on, a connect or reconnect. It asks the
one rule (`conecta.zoom.rule.wanted`) whether the appointment wants a meeting now, and writes the "sync
needed" mark. The mark commits with the booking or not at all (an outbox): if Redis is down after the
commit, the sweep still finds it. Nothing here calls Zoom; after the commit the pipeline enqueues
`conecta.zoom.dispatch.reconcile_job`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from conecta import audit
from conecta.models import Appointment, StaffChoice, ZoomMeeting, ZoomState
from conecta.models.types import utcnow
from conecta.models.zoom import ZoomConnection, zoom_connection_for
from conecta.zoom import hosts, rule
from conecta.zoom.decide import Action, action_for, disconnected_outcome, pending_changes
from conecta.zoom.outcome import set_state


class Change(StrEnum):
    """What the booking pipeline did to the appointment."""

    CREATED = "created"
    UPDATED = "updated"
    CANCELLED = "cancelled"


PENDING_DETAIL = {
    Change.CREATED: "Booked: a Zoom meeting will be created.",
    Change.UPDATED: "Changed: the Zoom meeting will follow.",
    Change.CANCELLED: "Cancelled: the Zoom meeting will be deleted.",
}


NOT_READ: Any = object()  # `plan(connection=...)` not given: read it


def plan(
    appointment: Appointment,
    change: Change,
    *,
    service_changed: bool = False,
    detail: str | None = None,
    connection: ZoomConnection | None = NOT_READ,
) -> bool:
    """Decide what the appointment wants from Zoom (the rule) and mark it for a sync; True if it was
    marked (the pipeline then enqueues the reconcile job after the commit). `service_changed`: this save
    gave it another service; `detail`: what the audit log says when a sync is requested; `connection`:
    the organization's live connection (or None), when a batch read it once for all its plans."""
    if connection is NOT_READ:
        connection = zoom_connection_for(appointment.org_id)  # None: none, or one that needs reconnecting
    connected = connection is not None
    wanted = rule.wanted(appointment, connected=connected, now=utcnow(), service_changed=service_changed)
    if wanted and appointment.zoom is None:
        appointment.zoom = ZoomMeeting(state=ZoomState.NONE, attempts=0)
    zoom = appointment.zoom
    if zoom is None:
        return False  # Zoom was never involved: nothing to decide, nothing to store
    zoom.wanted = wanted
    if wanted and connected:
        # Its staff member's Zoom host, now (a change moves the meeting: decide.py's REPLACE).
        zoom.wanted_host_id = hosts.wanted_host_id(appointment, connection)
    action = action_for(appointment)
    if action is Action.NOTHING:
        # Nothing in Zoom and nothing wanted: a pending or failed create simply stops mattering.
        if zoom.state in (ZoomState.PENDING, ZoomState.FAILED, ZoomState.VANISHED):
            zoom.clear_mark()
            zoom.error = None
            set_state(appointment, ZoomState.NONE, "zoom_sync_dropped", "No Zoom meeting is wanted any more.")
        return False
    if not connected:
        _while_disconnected(appointment)
        return False
    if change is Change.CANCELLED or action is Action.DELETE:
        zoom.retry_at = None  # a DELETE is not held back by the daily create/update limit
    # Always mark (the job is cheap when nothing differs), but only say "pending" when Zoom must change:
    # a notes-only edit keeps showing the ready meeting and ends without any call to Zoom.
    if action is Action.REPLACE:
        zoom.error = None
        set_state(appointment, ZoomState.PENDING, "zoom_sync_requested", _replace_detail(appointment))
    elif action is not Action.UPDATE or pending_changes(appointment):
        zoom.error = None
        set_state(appointment, ZoomState.PENDING, "zoom_sync_requested", detail or PENDING_DETAIL[change])
    zoom.mark()
    return True


def choose(appointment: Appointment, choice: StaffChoice, actor: Any = None) -> Appointment:
    """(In the booking's transaction, before `plan`) staff's Add or Remove Zoom meeting on this
    appointment, kept whatever its service says, and written to the audit log."""
    if appointment.zoom is None:
        appointment.zoom = ZoomMeeting(state=ZoomState.NONE, attempts=0)
    appointment.zoom.staff_choice = choice
    audit.record(
        appointment.org_id,
        f"zoom_meeting_{choice}_by_staff",
        CHOICE_DETAIL[choice],
        actor=actor,
        appointment_id=appointment.id,
    )
    return appointment


CHOICE_DETAIL = {
    StaffChoice.ADDED: "Add Zoom meeting: this appointment gets a Zoom meeting, whatever its service says.",
    StaffChoice.REMOVED: "Remove Zoom meeting: its meeting is deleted and the client is told.",
}


def _replace_detail(appointment: Appointment) -> str:
    zoom = appointment.zoom
    if zoom.is_former_clients:
        return "Client changed: the Zoom meeting will be replaced with a new one."
    new_host = hosts.email_of(appointment.org_id, zoom.wanted_host_id)
    return f"Zoom host changed: the meeting moves to {new_host} (a new meeting and link)."


def _while_disconnected(appointment: Appointment) -> None:
    """Nothing can reach Zoom: existing meetings and links stay as they are, and staff are told why."""
    zoom = appointment.zoom
    zoom.clear_mark()
    state, reason = disconnected_outcome(appointment)
    zoom.error = reason
    event = "zoom_meeting_failed" if state is ZoomState.FAILED else "zoom_meeting_left"
    if state is ZoomState.NONE:
        event = "zoom_sync_dropped"
    if state is not ZoomState.READY:
        set_state(appointment, state, event, reason or "Zoom is disconnected.")


def request_retry(appointment: Appointment, actor: Any = None) -> None:
    """The Retry button: start over (attempts reset) from whatever the appointment wants now. The caller
    commits, then enqueues the reconcile job."""
    zoom = appointment.zoom
    if zoom is None:
        return
    zoom.error = None
    zoom.attempts = 0
    zoom.retry_at = None
    set_state(appointment, ZoomState.PENDING, "zoom_retry_requested", "Retry requested.", actor=actor)
    zoom.mark()
