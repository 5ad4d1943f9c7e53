"""The Zoom panel's routes: staff see (and retry, start, add and remove) their organization's meetings; a
portal client sees only the panel of their own booking; the list's Zoom toggle is for admins."""

from conecta.extensions import db
from conecta.models.types import utcnow
from tests.authz import Route, expect
from tests.support.factories import with_zoom


def appointment_id(w) -> dict:
    return {"appointment_id": w.appointment.id}


def with_meeting(w) -> dict:
    """acme's appointment with a ready meeting and a fresh start URL (the Start link redirects to it)."""
    appointment = w.appointment
    with_zoom(
        appointment,
        wanted=True,
        state="ready",
        meeting_id="81234567890",
        join_url="https://zoom.example/j/81234567890?pwd=abc",
        start_url="https://zoom.example/s/81234567890?zak=host-token",
        start_url_issued_at=utcnow(),
    )
    db.session.commit()
    return {"appointment_id": appointment.id}


ROUTES = [
    Route("bookings.zoom_panel", expect(302, 403, 403, 200, 200, 404), params=appointment_id),
    Route(
        "bookings.zoom_panel",
        expect(302, 403, 403, 404, 404, 200),
        params=lambda w: {"appointment_id": w.rival_appointment.id},
    ),
    Route("bookings.zoom_retry", expect(302, 403, 403, 303, 303, 404), method="POST", params=appointment_id),
    Route("bookings.zoom_start", expect(302, 403, 403, 302, 302, 404), params=with_meeting),
    # Add / Remove Zoom meeting: staff of the organization (Zoom is not connected here, so the modal
    # comes back saying so: 422 for the POSTs, the view for Remove's question).
    Route("bookings.zoom_add", expect(302, 403, 403, 422, 422, 404), method="POST", params=appointment_id),
    Route("bookings.zoom_remove", expect(302, 403, 403, 200, 200, 404), params=with_meeting),
    Route("bookings.zoom_remove", expect(302, 403, 403, 422, 422, 404), method="POST", params=with_meeting),
    Route("portal.zoom_panel", expect(302, 200, 404, 403, 403, 403), params=appointment_id),
    Route(
        "portal.zoom_panel",
        expect(302, 404, 404, 403, 403, 403),
        params=lambda w: {"appointment_id": w.rival_appointment.id},
    ),
    # An empty form switches Zoom off (always allowed) for an admin of acme; the rival admin gets 404.
    Route(
        "settings.event_zoom",
        expect(302, 403, 403, 403, 303, 404),
        method="POST",
        params=lambda w: {"service_id": w.acme.zoom_service.id},
    ),
]
