"""What staff do about one appointment's Zoom meeting: Retry after a failure, the answers to a change made
in Zoom (Recreate and resend, Put Zoom back, Move the appointment to Zoom's time) and Add / Remove Zoom
meeting. Each is a save through the booking pipeline (`conecta.bookings.service`), so the one rule, the
marks, the emails and the audit log are those of any other save.
"""

from __future__ import annotations

from typing import Any

from conecta import scheduling
from conecta.bookings.service import save_change
from conecta.extensions import db
from conecta.models import Appointment, StaffChoice
from conecta.scheduling import BookingDetails
from conecta.zoom import dispatch as zoom_dispatch
from conecta.zoom import plan as zoom_plan
from conecta.zoom import zoom_changes
from conecta.zoom.plan import Change


def retry_zoom(appointment: Appointment, actor: Any = None) -> None:
    """Staff's Retry after a Zoom failure: start the sync over from what the appointment wants now."""
    zoom_plan.request_retry(appointment, actor=actor)
    db.session.commit()
    zoom_dispatch.request_reconcile(appointment.id)


# ---- answers to changes made in Zoom (conecta.zoom.zoom_changes): each one a save like any other -----


def recreate_zoom_meeting(appointment: Appointment, actor: Any = None) -> Appointment:
    """Recreate and resend, after the meeting was deleted in Zoom: a new meeting, and an update email to
    the client (the mail plan owes one: their last Join link is gone), which waits for the new link."""
    return save_change(Change.UPDATED, None, lambda: zoom_changes.recreate_requested(appointment, actor))


def put_zoom_back(appointment: Appointment, actor: Any = None) -> Appointment:
    """Put Zoom back, after the meeting was moved in Zoom: PATCH it to the appointment's time."""
    return save_change(Change.UPDATED, None, lambda: zoom_changes.put_back_requested(appointment, actor))


def move_to_zoom_time(appointment: Appointment, actor: Any = None) -> Appointment:
    """Move the appointment to the time and duration it has in Zoom: a booking edit like any other (the
    rules, the conflict check, the update email); raises `BookingError` when the slot is not free."""
    zoom = appointment.zoom
    details = BookingDetails(
        client=appointment.client,
        service=appointment.service,
        staff=appointment.staff,
        starts_at=zoom.synced_start_at if zoom is not None else None,
        duration_minutes=zoom.synced_duration if zoom is not None else None,
        notes=appointment.notes,
    )

    def apply() -> Appointment:
        scheduling.update_appointment(db.session, appointment, details)
        return zoom_changes.moved_to_zoom_time(appointment, actor)

    return save_change(Change.UPDATED, appointment.staff, apply)


# ---- staff's choice for one appointment's meeting, whatever its service says (conecta.zoom.rule) -------


def add_zoom_meeting(appointment: Appointment, actor: Any = None) -> Appointment:
    """Add Zoom meeting: a one-off video session, on an appointment of any service. The client gets the
    link by email once the meeting exists."""
    return save_change(
        Change.UPDATED,
        None,
        lambda: zoom_plan.choose(appointment, StaffChoice.ADDED, actor),
        detail="Zoom meeting added by staff: a meeting will be created.",
    )


def remove_zoom_meeting(appointment: Appointment, actor: Any = None) -> Appointment:
    """Remove Zoom meeting (asked first, by the view): the meeting is deleted in Zoom, and the client is
    emailed that the link they have no longer works."""
    return save_change(
        Change.UPDATED,
        None,
        lambda: zoom_plan.choose(appointment, StaffChoice.REMOVED, actor),
        detail="Zoom meeting removed by staff: the meeting will be deleted.",
    )
