"""Staff's answers to a change made in Zoom, from the Zoom panel: Recreate and resend (deleted in Zoom),
Put Zoom back and Move the appointment to Zoom's time (moved in Zoom).

Each is a save through the booking pipeline (`conecta.bookings.service`); none waits on Zoom. HTMX gets
the panel back (with `appointment-saved` when the appointment itself moved, so the drawer and calendar
refresh); a plain form post is redirected to the panel's page. An action that no longer applies (the
panel was stale) does nothing and shows the panel as it is now.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, render_template, url_for
from flask_htmx import make_response
from flask_login import current_user

from conecta.auth.permissions import staff_required
from conecta.bookings import bp, zoom_actions
from conecta.bookings.access import get_appointment_for
from conecta.extensions import htmx
from conecta.models import Appointment, ZoomState
from conecta.scheduling import BookingError
from conecta.zoom.decide import wants_meeting

NOT_MOVED = "The appointment was not moved: {reason}"


def _answer(appointment: Appointment, *, moved: bool = False, notice: str | None = None, status: int = 200):
    if not htmx and notice is None:
        return redirect(url_for("bookings.zoom_panel", appointment_id=appointment.id), code=303)
    template = "partials/_zoom_panel.html" if htmx else "zoom/panel_staff.html"
    html = render_template(template, appointment=appointment, viewer="staff", zoom_notice=notice)
    if moved:
        return make_response(
            html, status, trigger={"appointment-saved": {"id": appointment.id, "change": "updated"}}
        )
    return html, status


def _when(state: ZoomState, appointment_id: int, act: Callable[[Appointment], object]):
    """Run `act` if the appointment (still) is in `state` and wants a meeting; answer with the panel."""
    appointment = get_appointment_for(current_user, appointment_id)
    if appointment.zoom_state == state and wants_meeting(appointment):
        act(appointment)
    return _answer(appointment)


@bp.route("/<int:appointment_id>/zoom/recreate", methods=["POST"])
@staff_required
def zoom_recreate(appointment_id: int):
    """The meeting was deleted in Zoom: a new one, and its link emailed to the client."""
    return _when(
        ZoomState.VANISHED,
        appointment_id,
        lambda a: zoom_actions.recreate_zoom_meeting(a, actor=current_user),
    )


@bp.route("/<int:appointment_id>/zoom/put-back", methods=["POST"])
@staff_required
def zoom_put_back(appointment_id: int):
    """The meeting was moved in Zoom: move it back to the appointment's time."""
    return _when(
        ZoomState.DRIFTED, appointment_id, lambda a: zoom_actions.put_zoom_back(a, actor=current_user)
    )


@bp.route("/<int:appointment_id>/zoom/move-to-zoom-time", methods=["POST"])
@staff_required
def zoom_move_to_zoom_time(appointment_id: int):
    """The meeting was moved in Zoom: move the appointment there too (a booking edit; a clash says so)."""
    appointment = get_appointment_for(current_user, appointment_id)
    if appointment.zoom_state != ZoomState.DRIFTED or not wants_meeting(appointment):
        return _answer(appointment)
    try:
        zoom_actions.move_to_zoom_time(appointment, actor=current_user)
    except BookingError as exc:
        reason = " ".join(exc.errors.values())
        return _answer(appointment, notice=NOT_MOVED.format(reason=reason), status=422)
    return _answer(appointment, moved=True)
