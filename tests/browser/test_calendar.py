"""The Calendar in a real browser: the drawer, the booking modal (create, edit, cancel, conflicts) and
HTMX navigation — all without a page load (a marker set on `window` survives every step)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from conecta.extensions import db
from conecta.models import Client, User
from tests.support.factories import PASSWORD, password_hash

WEEK = "/calendar/?date=2030-01-07"
MONDAY_NINE = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)  # 09:00 in America/Tijuana


def open_week(page: Page, sign_in, user) -> None:
    sign_in(page, user.email, PASSWORD)
    page.goto(WEEK)
    expect(page.get_by_role("heading", name="Week of 07 Jan – 13 Jan 2030")).to_be_visible()
    page.evaluate("window.__marker = 'no reload'")


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("window.__marker") == "no reload", "the page was reloaded"


def event(page: Page, client_name: str):
    return page.locator("#calendar .event", has_text=client_name)


def test_clicking_an_appointment_opens_the_drawer(acme, page, sign_in) -> None:
    appointment = acme.book(MONDAY_NINE)
    open_week(page, sign_in, acme.staff)
    event(page, "Carla Client").click()
    drawer = page.get_by_role("dialog", name="Consultation · Carla Client")
    expect(drawer).to_be_visible()
    expect(drawer).to_contain_text("Mon 07 Jan 2030, 09:00–10:00")
    expect(drawer).to_contain_text("America/Tijuana")
    expect(page).to_have_url(re.compile(rf"/calendar/appointments/{appointment.id}\?date=2030-01-07$"))
    # Linkable: a reload of that URL shows the same drawer over the same week.
    page.reload()
    expect(page.get_by_role("dialog", name="Consultation · Carla Client")).to_be_visible()
    page.evaluate("window.__marker = 'no reload'")
    page.get_by_role("link", name="Close details").click()
    expect(page.get_by_role("dialog", name="Consultation · Carla Client")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/calendar/\?date=2030-01-07$"))
    assert_no_reload(page)


def test_week_navigation_pushes_urls_and_back_works(acme, page, sign_in) -> None:
    open_week(page, sign_in, acme.staff)
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_role("heading", name="Week of 14 Jan – 20 Jan 2030")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/calendar/\?date=2030-01-14$"))
    page.get_by_role("link", name="Day", exact=True).click()
    expect(page.get_by_role("heading", name="Monday 14 Jan 2030")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Week of 14 Jan – 20 Jan 2030")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Week of 07 Jan – 13 Jan 2030")).to_be_visible()
    assert_no_reload(page)


def test_new_booking_appears_then_moves_then_is_struck_through(acme, page, sign_in) -> None:
    open_week(page, sign_in, acme.staff)
    page.get_by_role("link", name="New booking", exact=True).click()
    modal = page.get_by_role("dialog", name="New booking")
    expect(modal).to_be_visible()
    modal.get_by_label("Search clients").press_sequentially("omar")
    expect(modal.get_by_label("Client", exact=True)).to_have_value(str(acme.other_client.id))
    modal.get_by_label("Service").select_option(label="Consultation (60 min)")
    expect(modal.get_by_label("Staff")).to_have_value(str(acme.staff.id))  # the signed-in staff member
    expect(modal.get_by_label("Date")).to_have_value("2030-01-07")
    modal.get_by_label("Time").fill("11:00")
    modal.get_by_label("Notes").fill("Bring the referral")
    modal.get_by_role("button", name="Save booking").click()

    expect(page.get_by_text("Booking saved.")).to_be_visible()
    booked = event(page, "Omar Other")
    expect(booked).to_contain_text("11:00–12:00")  # the grid refreshed itself (appointment-saved)
    expect(booked).to_have_attribute("style", re.compile(r"--start:660;"))
    assert_no_reload(page)

    # Edit its time: it moves.
    page.get_by_role("dialog", name="Consultation · Omar Other").get_by_role("link", name="Edit").click()
    modal = page.get_by_role("dialog", name="Edit booking")
    modal.get_by_label("Time").fill("14:30")
    modal.get_by_role("button", name="Save booking").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    expect(booked).to_contain_text("14:30–15:30")
    expect(booked).to_have_attribute("style", re.compile(r"--start:870;"))

    # Cancel, after a confirmation step: it stays, struck through.
    page.get_by_role("link", name="Cancel booking").click()
    confirm = page.get_by_role("dialog", name="Cancel this booking?")
    expect(confirm).to_contain_text("Consultation with Omar Other on Mon 07 Jan 2030, 14:30")
    confirm.get_by_role("button", name="Yes, cancel booking").click()
    expect(page.get_by_text("Booking cancelled.")).to_be_visible()
    expect(booked).to_have_class(re.compile(r"\bcancelled\b"))
    expect(booked).to_have_css("text-decoration-line", "line-through")
    assert_no_reload(page)

    # The modal closes with Escape.
    page.keyboard.press("Escape")
    expect(page.locator("#modal .modal")).to_have_count(0)


def test_an_open_drawer_follows_an_edit(acme, page, sign_in) -> None:
    acme.book(MONDAY_NINE)
    open_week(page, sign_in, acme.admin)
    event(page, "Carla Client").click()
    drawer = page.locator("#event-drawer")
    expect(drawer).to_contain_text("09:00–10:00")
    drawer.get_by_role("link", name="Edit").click()
    page.get_by_role("dialog", name="Edit booking").get_by_label("Time").fill("12:00")
    page.get_by_role("button", name="Save booking").click()
    expect(drawer).to_contain_text("Mon 07 Jan 2030, 12:00–13:00")  # refreshed by appointment-saved
    page.get_by_role("link", name="Close", exact=True).click()
    expect(page.locator("#modal .modal")).to_have_count(0)
    assert_no_reload(page)


def test_a_double_booking_shows_the_conflict(acme, page, sign_in) -> None:
    acme.book(MONDAY_NINE, client=acme.other_client)
    open_week(page, sign_in, acme.staff)
    page.get_by_role("link", name="New booking Mon 07 Jan 10:00").click()  # an empty slot
    modal = page.get_by_role("dialog", name="New booking")
    expect(modal.get_by_label("Time")).to_have_value("10:00")
    modal.get_by_label("Time").fill("09:30")
    modal.get_by_label("Client", exact=True).select_option(label="Carla Client · carla@acme.test")
    modal.get_by_label("Service").select_option(label="Consultation (60 min)")
    modal.get_by_role("button", name="Save booking").click()
    expect(modal).to_contain_text(
        "Sam Staff is already booked from 09:00 to 10:00 on Mon 07 Jan (Consultation with Omar Other)."
    )
    expect(modal.get_by_label("Staff")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#calendar .event")).to_have_count(1)
    assert_no_reload(page)


def test_staff_filter(acme, page, sign_in) -> None:
    acme.book(MONDAY_NINE, staff=acme.admin)
    open_week(page, sign_in, acme.staff)
    expect(event(page, "Carla Client")).to_have_count(1)
    page.get_by_label("Staff").select_option(label="Sam Staff")
    expect(event(page, "Carla Client")).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"/calendar/\?date=2030-01-07&staff={acme.staff.id}$"))
    assert_no_reload(page)


# Every drawn event, measured in the page: its box, and each text line's box, style and overflow.
MEASURE_EVENTS = """() => [...document.querySelectorAll('#calendar .event')].map(event => {
  const box = r => { const b = r.getBoundingClientRect(); return {x: b.x, y: b.y, w: b.width, h: b.height}; };
  return {
    id: event.dataset.appointmentId, title: event.title, box: box(event),
    lines: ['event-time', 'event-client', 'event-meta'].map(name => {
      const line = event.querySelector('.' + name), style = getComputedStyle(line);
      return {name, text: line.textContent, box: box(line), display: style.display,
              textOverflow: style.textOverflow, whiteSpace: style.whiteSpace,
              scrollWidth: line.scrollWidth, clientWidth: line.clientWidth};
    }),
  };
})"""


def inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["w"] <= outer["x"] + outer["w"] + slack
        and inner["y"] + inner["h"] <= outer["y"] + outer["h"] + slack
    )


def overlap(a: dict, b: dict, slack: float = 0.5) -> bool:
    return (
        min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) > slack
        and min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) > slack
    )


def test_short_and_side_by_side_events_stay_readable(acme, page, sign_in) -> None:
    """Half-hour, quarter-hour and side-by-side events: the time and the client always show, each line
    inside its event, no text over other text, long names cut with an ellipsis and whole in the title."""
    people = [acme.staff, acme.admin] + [
        User(
            org=acme.org, email=f"extra{i}@acme.test", name=f"Extra Staff {i}", password_hash=password_hash()
        )
        for i in range(2)
    ]
    long_name = Client(org=acme.org, name="Maximiliana Bartholomew-Fitzgerald", email="max@acme.test")
    db.session.add_all([*people[2:], long_name])
    db.session.commit()
    for person in people:  # four half-hour video calls at 09:00, side by side
        acme.book(MONDAY_NINE, staff=person, client=long_name, service=acme.zoom_service)
    acme.book(MONDAY_NINE + timedelta(hours=2), client=long_name)  # an hour, alone: three lines
    acme.book(MONDAY_NINE + timedelta(hours=4), client=long_name, duration_minutes=15)
    for person in people[:2]:  # two hours side by side
        acme.book(MONDAY_NINE + timedelta(hours=5), staff=person, client=long_name)
    open_week(page, sign_in, acme.staff)
    expect(page.locator("#calendar .event")).to_have_count(8)

    events = page.evaluate(MEASURE_EVENTS)
    shown_everywhere = []
    for event in events:
        lines = {line["name"]: line for line in event["lines"]}
        shown = [line for line in event["lines"] if line["display"] != "none"]
        # Time and client always show; the service too when the event is an hour long.
        assert {"event-time", "event-client"} <= {line["name"] for line in shown}, event
        if lines["event-time"]["text"] in ("11:00–12:00", "14:00–15:00"):
            assert lines["event-meta"] in shown, event
        for line in shown:
            assert line["box"]["w"] > 0 and line["box"]["h"] > 0, (event["id"], line)
            assert inside(line["box"], event["box"]), (event["id"], line["name"], line["box"], event["box"])
            assert line["whiteSpace"] == "nowrap" and line["textOverflow"] == "ellipsis", line
        for i, a in enumerate(shown):
            for b in shown[i + 1 :]:
                assert not overlap(a["box"], b["box"]), (event["id"], a, b)
        # Too long for its box: cut with an ellipsis, whole in the tooltip.
        client = lines["event-client"]
        assert client["scrollWidth"] > client["clientWidth"], client
        assert "Maximiliana Bartholomew-Fitzgerald" in event["title"]
        assert lines["event-time"]["text"] in event["title"]
        shown_everywhere += [(event["id"], line["box"]) for line in shown]
    # Side-by-side events: no text of one event over another's.
    for i, (a_id, a) in enumerate(shown_everywhere):
        for b_id, b in shown_everywhere[i + 1 :]:
            assert a_id == b_id or not overlap(a, b), (a_id, a, b_id, b)
    lanes = [e for e in events if e["lines"][0]["text"] == "09:00–09:30"]
    assert len(lanes) == 4 and len({round(e["box"]["x"]) for e in lanes}) == 4  # four lanes
    assert events[0]["title"] == "09:00–09:30 Maximiliana Bartholomew-Fitzgerald · Video call · Sam Staff"
