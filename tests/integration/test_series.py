"""Weekly series through the booking modal: the rule, wall-clock times across a DST change, conflicts
listed per date (skip or go back), scoped edits and cancellations (past dates untouched, "this and
following" splitting the rule), the one series email with every date and one .ics, and the portal.

Zoom is not connected here (its meetings are the browser test's and the property test's); the emails go
through a real RQ worker to a real SMTP server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from conecta.bookings import series as series_service
from conecta.extensions import db
from conecta.mail import reminders
from conecta.models import Appointment, Series
from conecta.models.email import EmailKind, EmailStatus, OutboxEmail
from conecta.scheduling import BookingDetails
from tests.support import smtp as mail
from tests.support.factories import with_zoom
from tests.support.smtp import JOIN_URL, book, ics_of, run_mail_worker, settle, text_parts

smtp_server = mail.smtp_server

HX = {"HX-Request": "true"}
# Monday 4 March 2030, 10:00 in Tijuana (acme's zone): 18:00 UTC (PST); from 10 March it is PDT, so the
# next Mondays at 10:00 are 17:00 UTC.
FIRST = datetime(2030, 3, 4, 18, 0, tzinfo=UTC)
EXPECTED_UTC = [FIRST, *(datetime(2030, 3, d, 17, 0, tzinfo=UTC) for d in (11, 18, 25))]


@pytest.fixture
def app(mail_app):
    return mail_app


def series_form(acme, **overrides):
    form = {
        "client_id": acme.client.id,
        "service_id": acme.zoom_service.id,
        "staff_id": acme.staff.id,
        "date": "2030-03-04",
        "time": "10:00",
        "duration_minutes": "",
        "notes": "",
        "repeat": "y",
        "repeat_interval": "1",
        "repeat_weekdays": ["0"],
        "repeat_end": "count",
        "repeat_count": "4",
    }
    form.update(overrides)
    return form


def occurrences() -> list[Appointment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Appointment).where(Appointment.series_id.is_not(None)).order_by(Appointment.starts_at)
        )
    )


def test_a_weekly_series_keeps_its_wall_clock_time_across_dst_and_sends_one_email(acme, as_user, smtp_server):
    answer = as_user(acme.staff).post("/bookings/new", data=series_form(acme), headers=HX)
    assert answer.status_code == 200, answer.text
    assert "Series booked: 4 dates." in answer.text
    booked = occurrences()
    assert [a.starts_at for a in booked] == EXPECTED_UTC
    assert {a.series_id for a in booked} == {booked[0].series_id}
    series = db.session.get(Series, booked[0].series_id)
    assert series.rule == "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;COUNT=4"
    assert series.dtstart_local == datetime(2030, 3, 4, 10, 0)
    assert series.timezone == "America/Tijuana"

    run_mail_worker()
    assert len(smtp_server.messages) == 1, [m.message["Subject"] for m in smtp_server.messages]
    message = smtp_server.messages[0].message
    assert message["Subject"].startswith(
        "Confirmed: Video call, 4 dates from Mon 4 Mar 2030, 10:00 (Mexico (Tijuana) Time)"
    )
    for body in (text_parts(message)["text/plain"], text_parts(message)["text/html"]):
        for day in ("Monday 4 March 2030, 10:00–10:30 (Mexico", "Monday 11 March 2030, 10:00–10:30 (Mexico"):
            assert day in body
        assert "Monday 25 March 2030" in body
    events = ics_of(message).walk("VEVENT")
    assert [e.decoded("DTSTART") for e in events] == EXPECTED_UTC
    assert len({str(e["UID"]) for e in events}) == 4
    rows = list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
    assert sorted(r.status for r in rows) == [EmailStatus.FOLDED] * 4 + [EmailStatus.SENT]

    outbox_page = as_user(acme.admin).get("/settings/emails").text
    assert outbox_page.count("Sent in its series email") == 4
    assert "Confirmed: Video call, 4 dates from Mon 4 Mar 2030" in outbox_page

    # The portal lists every date, each with its own booking page.
    portal = as_user(acme.client).get("/portal/")
    for appointment in booked:
        assert f"/portal/bookings/{appointment.id}" in portal.text
    detail = as_user(acme.client).get(f"/portal/bookings/{booked[1].id}").text
    assert "Part of a weekly series: Every week on Monday" in detail


def test_conflicts_are_listed_per_date_and_can_be_skipped_or_gone_back_from(acme, as_user, smtp_server):
    book(acme, EXPECTED_UTC[1], staff=acme.staff, client=acme.other_client)  # staff busy on 11 March
    book(acme, EXPECTED_UTC[2] + timedelta(minutes=15), staff=acme.admin)  # the client busy on 18 March
    run_mail_worker()
    before = len(smtp_server.messages)
    staff = as_user(acme.staff)

    answer = staff.post("/bookings/new", data=series_form(acme), headers=HX)
    assert answer.status_code == 200
    assert "Some dates of this series are taken" in answer.text
    assert "2 of the 4 dates cannot be booked" in answer.text
    assert "Sam Staff is busy (Consultation" in answer.text
    assert "Carla Client already has a booking (Consultation with Ada Admin" in answer.text
    assert occurrences() == []

    as_page = staff.post("/bookings/new", data=series_form(acme))  # without htmx: the same step, a page
    assert as_page.status_code == 200 and "Skip these dates and book the other 2" in as_page.text
    assert "hx-post" not in as_page.text

    back = staff.post("/bookings/new", data=series_form(acme, series_step="back"), headers=HX)
    assert back.status_code == 200 and 'id="repeat"' in back.text and occurrences() == []

    saved = staff.post("/bookings/new", data=series_form(acme, series_step="skip"), headers=HX)
    assert "Series booked: 2 dates. 2 dates skipped." in saved.text
    assert [a.starts_at for a in occurrences()] == [EXPECTED_UTC[0], EXPECTED_UTC[3]]
    series = db.session.get(Series, occurrences()[0].series_id)
    assert series.rule.endswith("\nEXDATE:20300311T170000Z,20300318T170000Z")
    run_mail_worker()
    assert len(smtp_server.messages) == before + 1
    assert len(ics_of(smtp_server.messages[-1].message).walk("VEVENT")) == 2


def test_a_repeat_the_rules_refuse_comes_back_with_its_messages(acme, as_user):
    staff = as_user(acme.staff)
    answer = staff.post("/bookings/new", data=series_form(acme, repeat_count="53"), headers=HX)
    assert answer.status_code == 422 and "From 1 to 52 occurrences." in answer.text
    until = series_form(acme, repeat_end="until", repeat_until="2031-12-31")
    answer = staff.post("/bookings/new", data=until, headers=HX)
    assert answer.status_code == 422 and "more than 52 dates" in answer.text
    far = series_form(acme, repeat_end="until", repeat_until="9999-12-31")
    answer = staff.post("/bookings/new", data=far, headers=HX)
    assert answer.status_code == 422 and "Choose a date before 3000." in answer.text
    assert occurrences() == []


def _series_of(acme, first: datetime, count: int) -> list[Appointment]:
    details = BookingDetails(client=acme.client, service=acme.service, staff=acme.staff, starts_at=first)
    repeat = series_service.rules.Repeat(
        interval_weeks=1, weekdays=(first.astimezone(acme.org.tz).weekday(),), count=count
    )
    plan = series_service.plan_series(acme.org, details, repeat)
    return series_service.book_series(acme.org, details, plan)


def test_scoped_edits_and_cancellations_leave_past_dates_and_split_the_rule(acme, as_user, smtp_server):
    # A series that started two weeks ago: its first two dates are past.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(days=14) + timedelta(hours=2)
    booked = _series_of(acme, start, 6)
    run_mail_worker()
    sent = len(smtp_server.messages)
    past = [(a.id, a.starts_at) for a in booked[:2]]
    third, fourth = booked[2], booked[3]
    local = fourth.starts_at.astimezone(acme.org.tz)
    form = {
        "client_id": acme.client.id,
        "service_id": acme.service.id,
        "staff_id": acme.staff.id,
        "date": local.date().isoformat(),
        "time": (local + timedelta(hours=1)).strftime("%H:%M"),
        "duration_minutes": "",
        "notes": "",
        "scope": "following",
    }
    staff = as_user(acme.staff)
    assert 'value="following"' in staff.get(f"/bookings/{fourth.id}/edit", headers=HX).text
    answer = staff.post(f"/bookings/{fourth.id}/edit", data=form, headers=HX)
    assert "Changes saved to 3 dates." in answer.text, answer.text
    after = {a.id: a for a in occurrences()}
    assert [(i, after[i].starts_at) for i, _ in past] == past
    assert after[third.id].starts_at == third.starts_at
    for moved in booked[3:]:
        assert after[moved.id].starts_at.astimezone(acme.org.tz).hour == (local.hour + 1) % 24
    old, new = db.session.get(Series, booked[0].series_id), db.session.get(Series, after[fourth.id].series_id)
    assert old.id != new.id and "UNTIL=" in old.rule and "COUNT" not in old.rule
    assert new.rule.endswith("COUNT=3")
    assert {after[a.id].series_id for a in booked[:3]} == {old.id}
    run_mail_worker()
    assert len(smtp_server.messages) == sent + 1
    assert smtp_server.messages[-1].message["Subject"].startswith("Updated: Consultation, 3 dates")

    # Cancel the whole series from the third date: only upcoming ones go, with one email.
    assert 'name="scope" value="all"' in staff.get(f"/bookings/{third.id}/cancel", headers=HX).text
    answer = staff.post(
        f"/bookings/{third.id}/cancel", data={"scope": "all", "email_client": "y"}, headers=HX
    )
    assert "1 date cancelled." in answer.text  # the third's series now ends with it
    answer = staff.post(
        f"/bookings/{fourth.id}/cancel", data={"scope": "all", "email_client": "y"}, headers=HX
    )
    assert "3 dates cancelled." in answer.text
    statuses = {a.id: a.status for a in occurrences()}
    assert [statuses[i] for i, _ in past] == ["booked", "booked"]
    assert all(statuses[a.id] == "cancelled" for a in booked[2:])
    run_mail_worker()
    assert len(smtp_server.messages) == sent + 3
    cancellation = smtp_server.messages[-1].message
    assert cancellation["Subject"].startswith("Cancelled: Consultation, 3 dates")
    assert str(ics_of(cancellation)["METHOD"]) == "CANCEL"
    kinds = db.session.scalars(select(OutboxEmail.kind).where(OutboxEmail.status == EmailStatus.SENT))
    assert EmailKind.CANCELLATION not in list(kinds)  # folded, not one each


def test_a_whole_series_given_to_another_client_confirms_them_and_cancels_it_for_the_first(
    acme, as_user, smtp_server
):
    booked = _series_of(acme, FIRST, 3)
    run_mail_worker()
    assert len(smtp_server.messages) == 1
    local = FIRST.astimezone(acme.org.tz)
    form = {
        "client_id": acme.other_client.id,
        "service_id": acme.service.id,
        "staff_id": acme.staff.id,
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "duration_minutes": "",
        "notes": "",
        "scope": "all",
    }
    answer = as_user(acme.staff).post(f"/bookings/{booked[0].id}/edit", data=form, headers=HX)
    assert "Changes saved to 3 dates." in answer.text
    run_mail_worker()
    received = {m.envelope_to[0]: m.message for m in smtp_server.messages[1:]}
    assert sorted(received) == ["carla@acme.test", "omar@acme.test"]
    assert received["carla@acme.test"]["Subject"].startswith("Cancelled: Consultation, 3 dates")
    assert received["omar@acme.test"]["Subject"].startswith("Confirmed: Consultation, 3 dates")
    assert "Carla" not in text_parts(received["omar@acme.test"])["text/plain"]


def test_each_occurrence_is_reminded_with_its_own_join_link(acme, smtp_server):
    booked = _series_of(acme, FIRST, 2)
    run_mail_worker()
    with_zoom(booked[1], wanted=True)
    settle(booked[1], "ready")  # the second date's meeting exists (as the reconciler leaves it)
    assert reminders.send_if_due(booked[1].id, booked[1].starts_at - timedelta(hours=1))
    run_mail_worker()
    reminder = smtp_server.messages[-1].message
    assert reminder["Subject"].startswith(
        "Reminder: Consultation on Mon 11 Mar 2030, 10:00 (Mexico (Tijuana) Time)"
    )
    assert JOIN_URL in text_parts(reminder)["text/plain"]
    assert len(smtp_server.messages) == 2  # the series confirmation, then this reminder: no link email


def test_a_whole_series_cancelled_without_email_the_client_sends_nothing(acme, as_user, smtp_server):
    booked = _series_of(acme, datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2), 3)
    run_mail_worker()
    sent = len(smtp_server.messages)
    answer = as_user(acme.staff).post(
        f"/bookings/{booked[0].id}/cancel", data={"scope": "all", "reason": "Moving away"}, headers=HX
    )
    assert "3 dates cancelled." in answer.text and "No email goes to the client." in answer.text
    run_mail_worker()
    assert len(smtp_server.messages) == sent
    assert all(a.status == "cancelled" and a.cancel_reason == "Moving away" for a in occurrences())
