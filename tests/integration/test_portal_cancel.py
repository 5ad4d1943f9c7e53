"""The portal clients can act in: cancel up to the organization's cutoff (through the booking pipeline,
the staff member emailed with the client's message), refused after it however the POST was sent;
Settings → Organization (the cutoff and the clinic's contact); cross-organization ids are 404."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conecta.extensions import db
from conecta.models import Appointment
from conecta.models.email import EmailKind
from conecta.models.types import utcnow
from tests.support import smtp as mail
from tests.support.smtp import book, outbox, run_mail_worker, text_parts

smtp_server = mail.smtp_server


@pytest.fixture
def app(mail_app):
    return mail_app


def soon(hours: float) -> object:
    return (utcnow() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def fresh(appointment_id: int) -> Appointment:
    db.session.expire_all()
    return db.session.get(Appointment, appointment_id)


def test_a_client_cancels_within_the_cutoff_and_staff_are_told(acme, as_user, smtp_server):
    appointment = book(acme, soon(72))
    run_mail_worker()  # the confirmation: the client knows of the booking
    http = as_user(acme.client)

    page = http.get(f"/portal/bookings/{appointment.id}").get_data(as_text=True)
    assert "You can cancel this booking here until" in page
    assert f'href="/portal/bookings/{appointment.id}/cancel"' in page
    assert http.get(f"/portal/bookings/{appointment.id}/cancel").status_code == 200

    response = http.post(
        f"/portal/bookings/{appointment.id}/cancel", data={"message": "Sorry, I have the flu.\nNext week?"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/portal/bookings/{appointment.id}")
    cancelled = fresh(appointment.id)
    assert cancelled.is_cancelled and cancelled.cancel_message == "Sorry, I have the flu.\nNext week?"
    drawer = as_user(acme.staff).get(f"/calendar/appointments/{appointment.id}").get_data(as_text=True)
    assert "<dt>Client's message</dt>" in drawer and "Sorry, I have the flu." in drawer  # staff read it too
    assert "Cancelled by the client in the portal." in drawer
    kinds = sorted(row.kind for row in outbox(cancelled))
    assert kinds == [EmailKind.CANCELLATION, EmailKind.CLIENT_CANCELLED, EmailKind.CONFIRMATION]

    run_mail_worker()
    by_recipient = {r.envelope_to[0]: r.message for r in smtp_server.messages[1:]}
    to_client = by_recipient["carla@acme.test"]
    assert to_client["Subject"].startswith("Cancelled: Consultation")
    assert "in the portal" not in text_parts(to_client)["text/plain"]  # the team's note stays with the team
    notice = by_recipient["staff@acme.test"]
    assert notice["Subject"].startswith("Cancelled by Carla Client: Consultation on ")
    parts = text_parts(notice)
    for body in (parts["text/plain"], parts["text/html"]):
        assert "Carla Client cancelled this appointment in the client portal" in body
        assert "Sorry, I have the flu." in body and "carla@acme.test" in body
        assert f"http://localhost/bookings/{appointment.id}" in body
    assert "text/calendar" not in parts  # a notice, not an invite

    # The booking now says Cancelled, offers no Cancel, and a second POST is refused.
    page = http.get(f"/portal/bookings/{appointment.id}").get_data(as_text=True)
    assert "Cancelled" in page and "/cancel" not in page
    again = http.post(f"/portal/bookings/{appointment.id}/cancel", data={})
    assert again.status_code == 422 and "This booking is already cancelled." in again.get_data(as_text=True)


def test_after_the_cutoff_the_portal_says_why_and_a_forged_post_is_refused(acme, as_user):
    acme.org.contact_phone = "+1 619 555 0100"
    acme.org.contact_email = "hello@acme.test"
    db.session.commit()
    appointment = acme.book(soon(3))  # 3 hours away; cancellations close 24 hours before
    http = as_user(acme.client)

    page = http.get(f"/portal/bookings/{appointment.id}").get_data(as_text=True)
    why = "Cancellations close 24 hours before the appointment. Please contact Acme Clinic"
    assert why in page and "+1 619 555 0100" in page and "mailto:hello@acme.test" in page
    assert "/cancel" not in page  # no Cancel offered
    assert "/cancel" not in http.get("/portal/").get_data(as_text=True)
    asked = http.get(f"/portal/bookings/{appointment.id}/cancel")
    assert asked.status_code == 200 and why in asked.get_data(as_text=True)

    forged = http.post(f"/portal/bookings/{appointment.id}/cancel", data={"message": "let me"})
    assert forged.status_code == 422
    html = forged.get_data(as_text=True)
    assert why in html and 'role="alert"' in html
    assert not fresh(appointment.id).is_cancelled and outbox(appointment) == []

    # Past and ongoing bookings are refused too.
    started = acme.book(utcnow() - timedelta(minutes=10))
    assert http.post(f"/portal/bookings/{started.id}/cancel").status_code == 422
    assert not fresh(started.id).is_cancelled


def test_with_no_cutoff_clients_cancel_until_the_start(acme, as_user):
    acme.org.portal_cancel_cutoff_hours = 0
    db.session.commit()
    appointment = acme.book(soon(1))
    response = as_user(acme.client).post(f"/portal/bookings/{appointment.id}/cancel", data={})
    assert response.status_code == 303 and fresh(appointment.id).is_cancelled
    assert fresh(appointment.id).cancel_message is None


def test_a_message_with_control_characters_is_refused(acme, as_user):
    appointment = acme.book(soon(72))
    response = as_user(acme.client).post(
        f"/portal/bookings/{appointment.id}/cancel", data={"message": "bad\x00text"}
    )
    assert response.status_code == 422 and not fresh(appointment.id).is_cancelled


def test_nobody_else_can_cancel(acme, rival, as_user):
    mine = acme.book(soon(72))
    theirs = acme.book(soon(96), client=acme.other_client)
    rivals = rival.book(soon(72))
    http = as_user(acme.client)
    for appointment in (theirs, rivals):
        assert http.get(f"/portal/bookings/{appointment.id}/cancel").status_code == 404
        assert http.post(f"/portal/bookings/{appointment.id}/cancel").status_code == 404
        assert not fresh(appointment.id).is_cancelled
    assert as_user(rival.client).post(f"/portal/bookings/{mine.id}/cancel").status_code == 404
    assert as_user(acme.staff).post(f"/portal/bookings/{mine.id}/cancel").status_code == 403
    assert not fresh(mine.id).is_cancelled


def test_the_organization_settings_save_and_refuse_bad_input(acme, as_user):
    http = as_user(acme.admin)
    page = http.get("/settings/organization")
    assert page.status_code == 200
    assert 'value="24"' in page.get_data(as_text=True)  # the default cutoff
    for bad in (
        {"portal_cancel_cutoff_hours": "-1"},
        {"portal_cancel_cutoff_hours": "721"},
        {"portal_cancel_cutoff_hours": "soon"},
        {"portal_cancel_cutoff_hours": ""},
        {"portal_cancel_cutoff_hours": "24", "contact_email": "not an email"},
        {"portal_cancel_cutoff_hours": "24", "contact_phone": "call me maybe"},
    ):
        response = http.post("/settings/organization", data=bad)
        assert response.status_code == 422, bad
        assert 'aria-invalid="true"' in response.get_data(as_text=True)
    saved = http.post(
        "/settings/organization",
        data={
            "portal_cancel_cutoff_hours": "48",
            "contact_phone": "+1 (619) 555-0100",
            "contact_email": "Hello@Acme.test",
            "contact_address": "1 Main St\nTijuana",
        },
    )
    assert saved.status_code == 303
    db.session.expire_all()
    org = acme.org
    assert org.portal_cancel_cutoff_hours == 48 and org.contact_email == "hello@acme.test"
    assert org.contact_phone == "+1 (619) 555-0100" and org.contact_address == "1 Main St\nTijuana"
    assert as_user(acme.staff).get("/settings/organization").status_code == 403


def test_a_group_session_is_not_cancelled_from_the_portal(acme, as_user):
    from conecta.groups.participants import enrol
    from tests.support.groups import add_group_clinic

    clinic = add_group_clinic(acme, capacity=4, zoom=False)
    session = acme.book(soon(72), service=clinic.group)
    enrol(session, clinic.clients[:2])
    db.session.commit()
    http = as_user(acme.client)
    page = http.get(f"/portal/bookings/{session.id}").get_data(as_text=True)
    assert "This is a group session, so it cannot be cancelled here." in page and "/cancel" not in page
    assert http.post(f"/portal/bookings/{session.id}/cancel", data={}).status_code == 422
    assert not fresh(session.id).is_cancelled
