"""The staff side a clinic uses every day: the client record's appointments and its Book button,
cancelling with a reason and a choice about the email, Attended / No-show, and search that ignores
accents and case (the same on SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta

from conecta.extensions import db
from conecta.mail.compose import compose
from conecta.models import Appointment, AuditEvent, Client, ZoomState
from conecta.models.email import EmailStatus, OutboxEmail
from conecta.models.types import utcnow
from tests.support.factories import with_zoom

HX = {"HX-Request": "true"}


def _at(acme, when, **kwargs) -> Appointment:
    """An appointment at `when` (past ones are placed directly: the booking rules refuse the past)."""
    appointment = acme.book(utcnow() + timedelta(days=30), **kwargs)
    appointment.starts_at = when
    db.session.commit()
    return appointment


def test_the_client_record_lists_next_upcoming_and_past_each_linking_to_it(acme, as_user) -> None:
    now = utcnow().replace(microsecond=0)
    past = _at(acme, now - timedelta(days=3))
    later = _at(acme, now + timedelta(days=9))
    soon = _at(acme, now + timedelta(days=2), service=acme.zoom_service)
    with_zoom(soon, wanted=True, state=ZoomState.READY)
    cancelled = _at(acme, now + timedelta(days=1))
    cancelled.status = "cancelled"
    past.attendance = "no_show"
    _at(acme, now + timedelta(days=4), client=acme.other_client)  # someone else's
    db.session.commit()

    html = as_user(acme.staff).get(f"/clients/{acme.client.id}").get_data(as_text=True)
    section = html[html.index('id="client-appointments"') :]
    next_part, rest = section.split("<h3>Upcoming</h3>")
    upcoming, past_part = rest.split("<h3>Past</h3>")
    assert f"/calendar/appointments/{soon.id}" in next_part and "Zoom ready" in next_part
    assert upcoming.index(f"/appointments/{cancelled.id}") < upcoming.index(f"/appointments/{later.id}")
    assert "Cancelled" in upcoming
    assert f"/appointments/{past.id}" in past_part and "No-show" in past_part
    assert html.count("/calendar/appointments/") == 4  # not the other client's
    # Book opens the modal with the client chosen.
    book = f'hx-get="/bookings/new?client_id={acme.client.id}" hx-target="#modal"'
    assert book in section
    modal = (
        as_user(acme.staff)
        .get(f"/bookings/new?client_id={acme.client.id}", headers=HX)
        .get_data(as_text=True)
    )
    assert f'<option selected value="{acme.client.id}">' in modal
    # The section refreshes itself after a save.
    fragment = as_user(acme.staff).get(f"/clients/{acme.client.id}/appointments", headers=HX)
    assert fragment.status_code == 200 and 'hx-trigger="appointment-saved from:body"' in fragment.text


def _booked_and_told(acme, as_user) -> Appointment:
    """Booked through the pipeline, its confirmation delivered: a cancellation would be owed."""
    response = as_user(acme.staff).post(
        "/bookings/new",
        data={
            "client_id": acme.client.id,
            "service_id": acme.service.id,
            "staff_id": acme.staff.id,
            "date": "2030-01-08",
            "time": "10:00",
        },
    )
    assert response.status_code == 303
    [row] = db.session.scalars(db.select(OutboxEmail)).all()
    row.status = EmailStatus.SENT
    db.session.commit()
    return db.session.get(Appointment, row.appointment_id)


def _cancellations(appointment) -> list[OutboxEmail]:
    db.session.expire_all()
    query = db.select(OutboxEmail).filter_by(appointment_id=appointment.id, kind="cancellation")
    return list(db.session.scalars(query))


def test_a_cancellation_without_email_the_client_sends_nothing_and_keeps_the_reason(acme, as_user) -> None:
    appointment = _booked_and_told(acme, as_user)
    http = as_user(acme.staff)
    confirm = http.get(f"/bookings/{appointment.id}/cancel", headers=HX).text
    box = re.search(r'<input[^>]*id="email_client"[^>]*>', confirm).group(0)
    assert "checked" in box  # on by default
    assert "reason_in_email" in confirm and 'name="reason"' in confirm
    answer = http.post(
        f"/bookings/{appointment.id}/cancel", data={"reason": "Clinic closed for repairs"}, headers=HX
    )
    assert answer.status_code == 200 and "No email goes to the client." in answer.text
    assert _cancellations(appointment) == []
    assert "Clinic closed for repairs" in answer.text and "the client was not emailed" in answer.text
    drawer = http.get(f"/calendar/appointments/{appointment.id}", headers=HX).text
    assert "Clinic closed for repairs" in drawer
    assert "Appointment cancelled · Sam Staff: the client is not emailed; reason: Clinic closed" in drawer
    [event] = db.session.scalars(db.select(AuditEvent).filter_by(event="appointment_cancelled")).all()
    assert "Clinic closed for repairs" in event.detail and event.actor_id == acme.staff.id


def test_the_reason_reaches_the_client_only_when_staff_include_it(acme, as_user) -> None:
    told = _booked_and_told(acme, as_user)
    as_user(acme.staff).post(
        f"/bookings/{told.id}/cancel",
        data={"reason": "Dr. Sam is ill", "email_client": "y", "reason_in_email": "y"},
    )
    [row] = _cancellations(told)
    assert "Reason: Dr. Sam is ill" in compose(row).text

    db.session.execute(db.delete(OutboxEmail))
    db.session.commit()
    quiet = _booked_and_told(acme, as_user)
    as_user(acme.staff).post(
        f"/bookings/{quiet.id}/cancel", data={"reason": "Private note", "email_client": "y"}
    )
    [row] = _cancellations(quiet)
    composed = compose(row)
    assert "Private note" not in composed.text and "Private note" not in composed.html


def test_attended_and_no_show_once_started_shown_on_the_calendar(acme, as_user) -> None:
    http = as_user(acme.staff)
    upcoming = _at(acme, utcnow() + timedelta(hours=2))
    refused = http.post(f"/bookings/{upcoming.id}/attendance", data={"attendance": "no_show"}, headers=HX)
    assert refused.status_code == 422 and "once the appointment has started" in refused.text
    assert 'name="attendance"' not in http.get(f"/calendar/appointments/{upcoming.id}", headers=HX).text

    started = _at(acme, utcnow() - timedelta(minutes=10))
    drawer = http.get(f"/calendar/appointments/{started.id}", headers=HX).text
    assert 'value="no_show"' in drawer and 'value="attended"' in drawer
    answer = http.post(f"/bookings/{started.id}/attendance", data={"attendance": "no_show"}, headers=HX)
    assert answer.status_code == 200 and "Marked No-show." in answer.text
    assert "appointment-saved" in answer.headers["HX-Trigger"]
    db.session.expire_all()
    assert db.session.get(Appointment, started.id).attendance == "no_show"
    history = http.get(f"/calendar/appointments/{started.id}", headers=HX).text
    assert "Attendance marked · Sam Staff: Marked No-show." in history
    day = started.starts_at.astimezone(acme.org.tz).date().isoformat()
    calendar = http.get(f"/calendar/?view=day&date={day}").text
    assert 'event-attendance">No-show' in calendar
    assert http.post(f"/bookings/{started.id}/attendance", data={"attendance": "maybe"}).status_code == 422
    assert http.post(f"/bookings/{started.id}/attendance", data={"attendance": "attended"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Appointment, started.id).attendance == "attended"


def test_search_ignores_accents_and_case(acme, rival, as_user) -> None:
    db.session.add_all(
        [
            Client(org=acme.org, name="Lucía Gómez", email="lucia@acme.test"),
            Client(org=acme.org, name="LUCIA GOMEZ-PEÑA", email="lgp@acme.test"),
            Client(org=acme.org, name="Ana Núñez", email="ana@acme.test"),
            Client(org=rival.org, name="Lucía Gómez", email="lucia@rival.test"),
        ]
    )
    db.session.commit()
    http = as_user(acme.staff)

    def found(query: str) -> list[str]:
        html = http.get("/clients/", query_string={"q": query}, headers=HX).text
        return sorted(name for name in ("Lucía Gómez", "LUCIA GOMEZ-PEÑA", "Ana Núñez") if name in html)

    assert found("gomez") == ["LUCIA GOMEZ-PEÑA", "Lucía Gómez"]
    assert found("lucia") == ["LUCIA GOMEZ-PEÑA", "Lucía Gómez"]
    assert found("GÓMEZ pena") == ["LUCIA GOMEZ-PEÑA"]
    assert found("nunez") == ["Ana Núñez"]
    assert found("rival.test") == []  # another organization's clients never show
    # A renamed client is found by the new name (the model keeps the column).
    ana = db.session.scalar(db.select(Client).filter_by(email="ana@acme.test"))
    ana.name = "Ána Ibáñez"
    db.session.commit()
    assert "Ána Ibáñez" in http.get("/clients/?q=IBANEZ", headers=HX).text
    # The booking modal's client search alike.
    options = http.get("/bookings/client-options", query_string={"client_search": "gómez"}).text
    assert "Lucía Gómez" in options and "LUCIA GOMEZ-PEÑA" in options and "Ibáñez" not in options
    assert "lucia@rival.test" not in options
