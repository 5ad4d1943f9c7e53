"""The portal's list (upcoming and past, what happened, Join while a meeting is due), the sign-in page
with the clinic's name, and client emails that help: the clinic's contact, a portal link that names the
clinic, and an Updated email with the old time struck through."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from conecta.clinic import clinic_token
from conecta.extensions import db
from conecta.models import ZoomState
from conecta.models.types import utcnow
from tests.support import smtp as mail
from tests.support.factories import with_zoom
from tests.support.smtp import JOIN_URL, START_URL, book, edit, run_mail_worker, text_parts

smtp_server = mail.smtp_server
MONDAY_9AM = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)  # 09:00 PST in Tijuana


@pytest.fixture
def app(mail_app):
    return mail_app


def video(acme, starts_at: datetime, **kwargs):
    appointment = acme.book(starts_at, service=acme.zoom_service, **kwargs)
    with_zoom(
        appointment,
        wanted=True,
        state=ZoomState.READY,
        meeting_id="85746352901",
        join_url=f"{JOIN_URL}&at={starts_at:%H%M}",
        start_url=START_URL,
    )
    db.session.commit()
    return appointment


def test_the_list_separates_says_what_happened_and_offers_join_only_when_due(acme, as_user):
    now = utcnow().replace(second=0, microsecond=0)
    due = video(acme, now + timedelta(minutes=10))  # starts within 15 minutes
    ongoing = video(acme, now - timedelta(minutes=20))  # 30 min: under way
    later = video(acme, now + timedelta(hours=2))  # Join not yet
    not_yet = video(acme, now + timedelta(minutes=20), staff=acme.admin)  # 5 minutes before the window
    past = video(acme, now - timedelta(days=2))
    past_cancelled = acme.book(now - timedelta(days=3))
    past_cancelled.status = "cancelled"
    db.session.commit()

    html = as_user(acme.client).get("/portal/").get_data(as_text=True)
    upcoming_html, past_html = html.split('id="past-title"')
    join_links = re.findall(r'<a class="button primary" href="([^"]+)"[^>]*>Join Zoom Meeting</a>', html)
    assert sorted(join_links) == sorted(a.zoom.join_url.replace("&", "&amp;") for a in (due, ongoing))
    for closed in (later, not_yet, past):
        assert closed.zoom.join_url.replace("&", "&amp;") not in html
    assert "zak=" not in html and "zoom.example/s/" not in html  # never the host's start URL
    assert "Under way" in upcoming_html and "Booked" in upcoming_html
    for appointment in (due, ongoing, later):
        assert f"/portal/bookings/{appointment.id}" in upcoming_html
    assert "Took place" in past_html and "Cancelled" in past_html and "Booked" not in past_html
    assert past_html.index(f"/bookings/{past.id}") < past_html.index(f"/bookings/{past_cancelled.id}")
    # Cancel is offered on a booking's own page, where the cutoff is spelled out, not on the list.
    assert "/cancel" not in html

    # The detail page of a past booking does not say Booked either.
    detail = as_user(acme.client).get(f"/portal/bookings/{past.id}").get_data(as_text=True)
    assert "Took place" in detail and ">Booked<" not in detail


def test_the_sign_in_page_names_the_clinic_of_the_link(acme, rival, client):
    assert "Acme Clinic" not in client.get("/portal/login").get_data(as_text=True)  # two organizations
    with_token = client.get(f"/portal/login?clinic={clinic_token(acme.org.id)}").get_data(as_text=True)
    assert "Sign in to see and manage your bookings with Acme Clinic." in with_token
    assert "Rival Studio" not in with_token
    # Sent to sign in from a portal link: the clinic comes along in `next`.
    redirected = client.get(f"/portal/?clinic={clinic_token(rival.org.id)}")
    assert redirected.status_code == 302
    page = client.get(redirected.headers["Location"]).get_data(as_text=True)
    assert "with Rival Studio." in page
    for bogus in ("1", "x.y", clinic_token(acme.org.id)[:-2] + "zz"):
        assert "Acme Clinic" not in client.get(f"/portal/login?clinic={bogus}").get_data(as_text=True)


def test_a_single_organization_install_shows_its_name(acme, client):
    assert "with Acme Clinic." in client.get("/portal/login").get_data(as_text=True)


def test_client_emails_carry_the_clinics_contact_and_a_portal_link(acme, smtp_server, client):
    acme.org.contact_phone = "+1 619 555 0100"
    acme.org.contact_email = "hello@acme.test"
    acme.org.contact_address = "1 Main St, Tijuana"
    db.session.commit()
    appointment = book(acme, MONDAY_9AM)
    run_mail_worker()

    (received,) = smtp_server.messages
    parts = text_parts(received.message)
    link = f"http://localhost/portal/bookings/{appointment.id}?clinic={clinic_token(acme.org.id)}"
    for body in (parts["text/plain"], parts["text/html"]):
        for line in ("Acme Clinic", "+1 619 555 0100", "hello@acme.test", "1 Main St, Tijuana", link):
            assert line in body, line
    assert "Your bookings in the client portal: " + link in parts["text/plain"]
    assert f'href="{link}"' in parts["text/html"]
    # The link leads to the sign-in page with the clinic's name, then to the booking.
    response = client.get(link.removeprefix("http://localhost"))
    assert response.status_code == 302
    assert "with Acme Clinic." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_without_contact_details_only_the_name_and_link_are_shown(acme, smtp_server):
    book(acme, MONDAY_9AM)
    run_mail_worker()
    text = text_parts(smtp_server.messages[0].message)["text/plain"].replace("\r\n", "\n")
    assert "Phone:" not in text and "Email:" not in text and "Address:" not in text
    assert "\n--\nAcme Clinic\nYour bookings in the client portal: http://localhost/portal/" in text


def test_the_updated_email_strikes_the_old_time_through(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM)
    run_mail_worker()
    edit(appointment, starts_at=MONDAY_9AM + timedelta(days=1, hours=1))
    run_mail_worker()

    confirmed, updated = (r.message for r in smtp_server.messages)
    assert updated["Subject"].startswith("Updated: Consultation")
    parts = text_parts(updated)
    old = "Monday 7 January 2030, 09:00–10:00 (Mexico (Tijuana) Time)"
    new = "Tuesday 8 January 2030, 10:00–11:00 (Mexico (Tijuana) Time)"
    assert f"<del>{old}</del><br>{new}" in parts["text/html"]
    assert f"When: {new} (was: {old})" in parts["text/plain"]
    assert "<del>" not in text_parts(confirmed)["text/html"]  # nothing struck through on a confirmation
    assert "was:" not in text_parts(confirmed)["text/plain"]


def test_the_portal_invite_carries_the_contact_block(acme, as_user, smtp_server):
    acme.org.contact_phone = "+1 619 555 0100"
    db.session.commit()
    response = as_user(acme.staff).post(f"/clients/{acme.client.id}/invite-email")
    assert response.status_code == 303
    run_mail_worker()
    (received,) = smtp_server.messages
    text = text_parts(received.message)["text/plain"]
    assert (
        "+1 619 555 0100" in text and "Your bookings in the client portal: http://localhost/portal/" in text
    )


def test_the_series_email_carries_the_contact_block(acme, smtp_server):
    from conecta.bookings import series as series_service
    from conecta.scheduling import BookingDetails

    acme.org.contact_email = "hello@acme.test"
    db.session.commit()
    details = BookingDetails(client=acme.client, service=acme.service, staff=acme.staff, starts_at=MONDAY_9AM)
    repeat = series_service.rules.Repeat(interval_weeks=1, weekdays=(0,), count=3)
    series_service.book_series(acme.org, details, series_service.plan_series(acme.org, details, repeat))
    run_mail_worker()
    (received,) = smtp_server.messages
    parts = text_parts(received.message)
    link = f"http://localhost/portal/?clinic={clinic_token(acme.org.id)}"
    assert "Email: hello@acme.test" in parts["text/plain"] and link in parts["text/plain"]
    assert f'href="{link}"' in parts["text/html"]
