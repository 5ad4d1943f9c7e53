"""A meeting made for a former client of an appointment is shown to nobody and sent to nobody."""

from __future__ import annotations

from conecta.extensions import db
from conecta.mail.compose import zoom_details_for
from tests.support.factories import with_zoom

JOIN = "https://zoom.example/j/111?pwd=former-client-secret"


def _meeting_of_the_former_client(acme):
    appointment = acme.book(service=acme.zoom_service)
    with_zoom(
        appointment,
        wanted=True,
        state="ready",
        meeting_id="111",
        join_url=JOIN,
        passcode="former",
        client_id=acme.client.id,
    )
    # The client changed while Zoom could not be reached: the old meeting is still on file.
    appointment.client = acme.other_client
    db.session.commit()
    return appointment


def test_the_new_client_sees_no_link_of_the_former_clients_meeting(acme, as_user) -> None:
    appointment = _meeting_of_the_former_client(acme)
    assert appointment.zoom.is_former_clients
    page = as_user(acme.other_client).get(f"/portal/bookings/{appointment.id}").get_data(as_text=True)
    staff_view = as_user(acme.staff).get(f"/bookings/{appointment.id}").get_data(as_text=True)
    assert "former-client-secret" not in page and "former-client-secret" not in staff_view
    assert zoom_details_for(appointment) is None


def test_a_meeting_with_no_recorded_client_is_the_current_clients(acme) -> None:
    appointment = _meeting_of_the_former_client(acme)
    appointment.zoom.client_id = None
    assert not appointment.zoom.is_former_clients
    assert zoom_details_for(appointment).join_url == JOIN
