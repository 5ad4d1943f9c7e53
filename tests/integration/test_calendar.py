"""The Calendar page and the event drawer: what is drawn where, navigation, filters, DST, SQL count."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from conecta.calendar.layout import staff_color
from conecta.extensions import db
from conecta.models import Appointment, Client, User
from conecta.scheduling import to_utc
from tests.support.factories import password_hash

HX = {"HX-Request": "true"}
MONDAY = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)  # 09:00 in America/Tijuana (PST, UTC-8)


def event_markup(html: str, appointment_id: int) -> str:
    """The <a class="event"> element drawn for one appointment."""
    match = re.search(
        rf'<a class="event[^"]*"[^>]*data-appointment-id="{appointment_id}"[^>]*>.*?</a>', html, re.S
    )
    assert match, f"appointment {appointment_id} is not drawn"
    return match.group(0)


def column_of(html: str, appointment_id: int) -> str:
    """The aria-label of the day column an appointment is drawn in."""
    position = html.index(f'data-appointment-id="{appointment_id}"')
    labels = list(re.finditer(r'class="day-column[^"]*" role="group" aria-label="([^"]+)"', html[:position]))
    return labels[-1].group(1)


@contextmanager
def count_statements():
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_week_view_draws_appointments_at_their_local_time(acme, as_user):
    appt = acme.book(MONDAY)
    html = as_user(acme.staff).get("/calendar/?date=2030-01-09").get_data(as_text=True)
    assert "America/Tijuana" in html
    assert "Week of 07 Jan – 13 Jan 2030" in html
    drawn = event_markup(html, appt.id)
    assert "--start:540;" in drawn  # 09:00 local = 540 minutes after midnight
    assert "--len:60;" in drawn
    assert f"--color:{staff_color(acme.staff.id, None)}" in drawn  # everyone shown: the person's colour
    assert "09:00–10:00" in drawn
    assert "Carla Client" in drawn and "Consultation" in drawn and "Sam Staff" in drawn
    assert 'title="09:00–10:00 Carla Client · Consultation · Sam Staff"' in drawn  # the whole text
    assert column_of(html, appt.id) == "Mon 07 Jan"
    assert f'href="/calendar/appointments/{appt.id}?date=2030-01-09"' in drawn


def test_day_view_shows_only_that_day(acme, as_user):
    monday = acme.book(MONDAY)
    tuesday = acme.book(MONDAY + timedelta(days=1))
    html = as_user(acme.admin).get("/calendar/?view=day&date=2030-01-08").get_data(as_text=True)
    assert "Tuesday 08 Jan 2030" in html
    assert f'data-appointment-id="{tuesday.id}"' in html
    assert f'data-appointment-id="{monday.id}"' not in html
    assert 'href="/calendar/?view=day&amp;date=2030-01-07"' in html  # previous day
    assert 'href="/calendar/?view=day&amp;date=2030-01-09"' in html  # next day


def test_navigation_is_htmx_with_pushed_urls_and_full_pages_on_direct_load(acme, as_user):
    http = as_user(acme.staff)
    page = http.get("/calendar/?date=2030-01-07").get_data(as_text=True)
    assert "<html" in page and 'id="calendar-page"' in page
    previous = "/calendar/?date=2029-12-31"
    assert f'href="{previous}" hx-get="{previous}" hx-target="#calendar-page"' in page
    assert 'hx-push-url="true"' in page
    fragment = http.get(previous, headers=HX)
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="calendar-page"')
    assert "Week of 31 Dec – 06 Jan 2030" in body
    assert "HX-Request" in fragment.headers.get("Vary", "")
    # Back button after a cache miss: htmx asks for the whole page.
    restored = http.get(previous, headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restored.get_data(as_text=True)


def test_defaults_and_malformed_parameters_fall_back(acme, as_user):
    response = as_user(acme.staff).get("/calendar/?view=month&date=yesterday&staff=abc")
    assert response.status_code == 200
    assert "Week of" in response.get_data(as_text=True)


def test_names_are_escaped_in_the_event_and_its_title(acme, as_user):
    acme.client.name = 'Ana "<b>" & Co'
    acme.staff.name = "Sam <i>"
    db.session.commit()
    appt = acme.book(MONDAY)
    html = as_user(acme.admin).get("/calendar/?date=2030-01-07").get_data(as_text=True)
    drawn = event_markup(html, appt.id)
    assert "<b>" not in drawn and "<i>" not in drawn
    assert '<span class="event-client">Ana &#34;&lt;b&gt;&#34; &amp; Co</span>' in drawn
    assert '<span class="event-meta">Consultation · Sam &lt;i&gt;</span>' in drawn
    assert 'title="09:00–10:00 Ana &#34;&lt;b&gt;&#34; &amp; Co · Consultation · Sam &lt;i&gt;"' in drawn


def test_cancelled_appointments_stay_visible_struck_through(acme, as_user):
    appt = acme.book(MONDAY)
    appt.status = "cancelled"
    db.session.commit()
    html = as_user(acme.staff).get("/calendar/?date=2030-01-07").get_data(as_text=True)
    assert 'class="event cancelled"' in event_markup(html, appt.id)
    assert "(cancelled)" in event_markup(html, appt.id)
    assert 'title="09:00–10:00 Carla Client · Consultation · Sam Staff (cancelled)"' in event_markup(
        html, appt.id
    )


def test_staff_filter(acme, as_user):
    other = User(org=acme.org, email="bo@acme.test", name="Bo Other", password_hash=password_hash())
    db.session.add(other)
    db.session.commit()
    sams = acme.book(MONDAY)
    bos = acme.book(MONDAY, staff=other)
    http = as_user(acme.admin)
    everyone = http.get("/calendar/?date=2030-01-07").get_data(as_text=True)
    assert f'data-appointment-id="{sams.id}"' in everyone and f'data-appointment-id="{bos.id}"' in everyone
    # Overlapping appointments share the column side by side.
    assert "--lanes:2" in event_markup(everyone, sams.id)
    only_bo = http.get(f"/calendar/?date=2030-01-07&staff={other.id}", headers=HX).get_data(as_text=True)
    assert f'data-appointment-id="{bos.id}"' in only_bo and f'data-appointment-id="{sams.id}"' not in only_bo
    assert f'<option value="{other.id}" selected>' in only_bo
    # New bookings from a filtered calendar are for that staff member.
    assert f"staff_id={other.id}" in only_bo


def test_other_organizations_never_appear(acme, rival, as_user):
    theirs = rival.book(MONDAY)
    html = (
        as_user(acme.admin).get(f"/calendar/?date=2030-01-07&staff={rival.staff.id}").get_data(as_text=True)
    )
    assert f'data-appointment-id="{theirs.id}"' not in html
    assert "Rival Studio" not in html
    assert f'<option value="{rival.staff.id}"' not in html


def test_empty_slots_open_the_booking_modal_at_that_time(acme, as_user):
    html = as_user(acme.staff).get("/calendar/?date=2030-01-07").get_data(as_text=True)
    # Slot and event links are boosted; their container says where the answer goes.
    assert (
        '<div class="slots" hx-boost="true" hx-target="#modal" hx-swap="innerHTML show:none" hx-push-url="false">'
        in html
    )
    assert '<div class="events" hx-boost="true" hx-target="#drawer" hx-swap="innerHTML show:none">' in html
    assert (
        '<a class="slot" href="/bookings/new?date=2030-01-08&amp;time=10:30" aria-label="New booking Tue 08 Jan 10:30" tabindex="-1">'
        in html
    )  # out of the tab order: "New booking" does the same from the keyboard
    assert re.search(r'hx-get="/bookings/new\?date=2030-01-07"\s+hx-target="#modal">New booking</a>', html)


def test_visible_hours_widen_to_show_early_and_overnight_appointments(acme, as_user):
    # 23:00 Monday local for two hours: runs past midnight into Tuesday.
    late = acme.book(datetime(2030, 1, 8, 7, 0, tzinfo=UTC), duration_minutes=120)
    html = as_user(acme.staff).get("/calendar/?date=2030-01-07").get_data(as_text=True)
    assert html.count(f'data-appointment-id="{late.id}"') == 2  # drawn on Monday and Tuesday
    assert "--total-minutes: 1440" in html  # 00:00 to 24:00
    assert '<div class="hour-label">00:00</div>' in html


@pytest.mark.parametrize(
    ("local_day", "expected_utc"),
    [
        (date(2030, 3, 9), datetime(2030, 3, 9, 18, 0, tzinfo=UTC)),  # PST, the day before spring forward
        (date(2030, 3, 11), datetime(2030, 3, 11, 17, 0, tzinfo=UTC)),  # PDT, the day after
        (date(2030, 11, 2), datetime(2030, 11, 2, 17, 0, tzinfo=UTC)),  # PDT, the day before falling back
        (date(2030, 11, 4), datetime(2030, 11, 4, 18, 0, tzinfo=UTC)),  # PST, the day after
    ],
)
def test_ten_oclock_local_on_both_sides_of_a_dst_change(acme, as_user, local_day, expected_utc):
    starts_at = to_utc(local_day, time(10, 0), acme.org.timezone)
    assert starts_at == expected_utc
    appt = acme.book(starts_at)
    html = as_user(acme.staff).get(f"/calendar/?date={local_day.isoformat()}").get_data(as_text=True)
    drawn = event_markup(html, appt.id)
    assert "--start:600;" in drawn and "10:00–11:00" in drawn
    assert column_of(html, appt.id) == local_day.strftime("%a %d %b")


def test_the_week_is_one_query_whatever_its_size(acme, as_user):
    http = as_user(acme.admin)
    http.get("/calendar/?date=2030-01-07")  # warm up: user and org loading are per request anyway

    def statements_for_week() -> int:
        with count_statements() as statements:
            assert http.get("/calendar/?date=2030-01-07").status_code == 200
        return len(statements)

    acme.book(MONDAY)
    few = statements_for_week()
    clients = [Client(org=acme.org, name=f"Client {i}", email=f"c{i}@acme.test") for i in range(20)]
    db.session.add_all(clients)
    db.session.commit()
    for i, client in enumerate(clients):
        acme.book(MONDAY + timedelta(days=i % 6, hours=1 + i // 6), client=client)
    many = statements_for_week()
    assert few == many
    assert many <= 6


def test_drawer_fragment_and_linkable_page(acme, as_user):
    appt = acme.book(MONDAY, notes="Bring the X-rays")
    http = as_user(acme.staff)
    fragment = http.get(f"/calendar/appointments/{appt.id}?date=2030-01-09", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'id="event-drawer"' in body
    assert "Mon 07 Jan 2030, 09:00–10:00" in body and "America/Tijuana" in body
    assert "Carla Client" in body and "Sam Staff" in body and "Bring the X-rays" in body
    assert f'hx-get="/bookings/{appt.id}/edit" hx-target="#modal">Edit</a>' in body
    assert f'hx-get="/bookings/{appt.id}/cancel" hx-target="#modal">Cancel booking</a>' in body
    assert 'hx-trigger="appointment-saved from:body"' in body
    assert 'href="/calendar/?date=2030-01-09"' in body  # close goes back to the same calendar
    # A direct visit: the whole page, calendar of the appointment's week, drawer open.
    page = http.get(f"/calendar/appointments/{appt.id}").get_data(as_text=True)
    assert "<html" in page and 'id="event-drawer"' in page
    assert "Week of 07 Jan – 13 Jan 2030" in page
    assert f'data-appointment-id="{appt.id}"' in page


def test_drawer_of_a_cancelled_appointment_has_no_actions(acme, as_user):
    appt = acme.book(MONDAY)
    appt.status = "cancelled"
    db.session.commit()
    body = as_user(acme.staff).get(f"/calendar/appointments/{appt.id}", headers=HX).get_data(as_text=True)
    assert "Cancelled" in body and ">Edit</a>" not in body


def test_drawer_of_another_organization_is_404(acme, rival, as_user):
    theirs = rival.book(MONDAY)
    assert as_user(acme.admin).get(f"/calendar/appointments/{theirs.id}").status_code == 404
    assert as_user(acme.admin).get("/calendar/appointments/999999", headers=HX).status_code == 404


def test_clients_cannot_see_the_calendar(acme, as_user):
    assert as_user(acme.client).get("/calendar/").status_code == 403
    appt = acme.book(MONDAY)
    assert as_user(acme.client).get(f"/calendar/appointments/{appt.id}").status_code == 403


def test_appointment_query_excludes_what_ended_before_the_period(acme, as_user):
    sunday_evening = acme.book(datetime(2030, 1, 7, 6, 0, tzinfo=UTC))  # Sun 22:00 local, ends 23:00
    html = as_user(acme.staff).get("/calendar/?date=2030-01-07").get_data(as_text=True)
    assert f'data-appointment-id="{sunday_evening.id}"' not in html
    assert db.session.get(Appointment, sunday_evening.id) is not None
