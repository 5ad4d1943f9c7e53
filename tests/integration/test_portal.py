"""The client portal: the signed-in client's bookings, and nobody else's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conecta.extensions import db
from conecta.models.types import utcnow

FUTURE = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)  # Mon 07 Jan 2030, 09:00 in America/Tijuana


def test_upcoming_and_past_bookings(acme, as_user):
    now = utcnow().replace(second=0, microsecond=0)
    past = acme.book(now - timedelta(days=3))
    ongoing = acme.book(now - timedelta(minutes=30))
    upcoming = acme.book(FUTURE)
    cancelled = acme.book(FUTURE + timedelta(days=1))
    cancelled.status = "cancelled"
    db.session.commit()
    someone_elses = acme.book(FUTURE + timedelta(days=2), client=acme.other_client)

    response = as_user(acme.client).get("/portal/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Acme Clinic" in html  # the portal's own layout, with the organization's name
    assert 'class="portal"' in html and 'aria-label="Main"' not in html  # not the staff layout
    upcoming_html, past_html = html.split('id="past-title"')
    for appointment in (ongoing, upcoming, cancelled):
        assert f"/portal/bookings/{appointment.id}" in upcoming_html
    assert f"/portal/bookings/{past.id}" in past_html and f"/portal/bookings/{past.id}" not in upcoming_html
    assert upcoming_html.index(f"/bookings/{ongoing.id}") < upcoming_html.index(f"/bookings/{upcoming.id}")
    assert f"/portal/bookings/{someone_elses.id}" not in html
    assert (
        "Mon 07 Jan 2030, 09:00–10:00" in html and "Mexico (Tijuana) Time" in html
    )  # the client's zone, named
    assert 'class="portal-when cancelled"' in upcoming_html and "Cancelled" in upcoming_html
    assert "Took place" in past_html and "Booked" not in past_html  # a past booking says what happened


def test_empty_portal(acme, as_user):
    html = as_user(acme.client).get("/portal/").get_data(as_text=True)
    assert "No upcoming bookings." in html and "No past bookings." in html


def test_booking_detail(acme, as_user):
    appointment = acme.book(FUTURE, notes="Staff-only note")
    response = as_user(acme.client).get(f"/portal/bookings/{appointment.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Consultation" in html and "Sam Staff" in html and "Booked" in html
    assert "Mon 07 Jan 2030, 09:00–10:00" in html and "(Mexico (Tijuana) Time)" in html
    assert "Staff-only note" not in html  # notes are for staff
    assert "Acme Clinic" in html


def test_detail_time_is_in_the_organizations_zone(rival, as_user):
    appointment = rival.book(datetime(2030, 7, 1, 8, 0, tzinfo=UTC))  # 10:00 in Madrid (CEST)
    html = as_user(rival.client).get(f"/portal/bookings/{appointment.id}").get_data(as_text=True)
    assert "Mon 01 Jul 2030, 10:00–11:00" in html and "Spain (Madrid) Time" in html


def test_another_clients_booking_is_404(acme, rival, as_user):
    mine = acme.book(FUTURE)
    theirs = acme.book(FUTURE + timedelta(days=1), client=acme.other_client)
    rivals = rival.book(FUTURE)
    http = as_user(acme.client)
    assert http.get(f"/portal/bookings/{mine.id}").status_code == 200
    assert http.get(f"/portal/bookings/{theirs.id}").status_code == 404
    assert http.get(f"/portal/bookings/{rivals.id}").status_code == 404
    assert http.get("/portal/bookings/999999").status_code == 404


def test_staff_and_anonymous_are_kept_out(acme, client):
    appointment = acme.book(FUTURE)
    response = client.get(f"/portal/bookings/{appointment.id}")
    assert response.status_code == 302 and "/portal/login" in response.headers["Location"]


def test_staff_get_403(acme, as_user):
    appointment = acme.book(FUTURE)
    assert as_user(acme.staff).get(f"/portal/bookings/{appointment.id}").status_code == 403
    assert as_user(acme.admin).get("/portal/").status_code == 403
