"""Keyboard paths, phones and paper, in a real browser: the dialog pattern of app.js (focus in, Tab and
Shift-Tab trapped, Escape closes, focus back on the opener) on the booking modal, the drawer and a
confirmation; the skip link; the calendar at 390×844; the day sheet printed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from conecta.extensions import db
from conecta.models import Client, ZoomState
from tests.support.factories import PASSWORD, with_zoom

WEEK = "/calendar/?date=2030-01-07"
MONDAY_NINE = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)  # 09:00 in America/Tijuana
LONG_NAME = "Maximiliana Bartholomew-Fitzgerald"

FOCUSED = "() => { const e = document.activeElement; return e ? (e.id || e.textContent.trim()) : null; }"
FOCUS_INSIDE = "sel => document.querySelector(sel).contains(document.activeElement)"


def focused(page: Page) -> str | None:
    return page.evaluate(FOCUSED)


def tab_around(page: Page, dialog: str, presses: int) -> None:
    """Press Tab, then Shift-Tab, `presses` times each: focus never leaves the dialog."""
    for key in ("Tab", "Shift+Tab"):
        for _ in range(presses):
            page.keyboard.press(key)
            assert page.evaluate(FOCUS_INSIDE, dialog), f"{key} left {dialog} for {focused(page)!r}"


def long_named_booking(acme):
    client = Client(org=acme.org, name=LONG_NAME, email="max@acme.test")
    db.session.add(client)
    db.session.commit()
    video = acme.book(MONDAY_NINE, client=client, service=acme.zoom_service)
    with_zoom(video, wanted=True, state=ZoomState.READY, meeting_id="81234567890")
    db.session.commit()
    return video


def test_dialogs_take_focus_keep_it_close_on_escape_and_give_it_back(acme, page, sign_in) -> None:
    acme.book(MONDAY_NINE)
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(WEEK)

    # The booking modal, opened from the keyboard: focus on its first field, kept inside, given back.
    new_booking = page.get_by_role("link", name="New booking", exact=True)
    new_booking.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="New booking")).to_be_visible()
    expect(page.get_by_label("Search clients")).to_be_focused()
    tab_around(page, "#booking-modal", 14)  # more presses than the modal has controls
    page.keyboard.press("Escape")
    expect(page.locator("#modal .modal")).to_have_count(0)
    expect(new_booking).to_be_focused()

    # Errors are announced, and focus goes to the first invalid field.
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Save booking").click()
    expect(page.locator("#announcer")).to_have_attribute("data-said", re.compile("^There are problems: "))
    expect(page.get_by_label("Client", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(new_booking).to_be_focused()

    # The drawer: focus on its heading (no field in it), kept inside, back on the event (re-rendered).
    event = page.locator("#calendar .event", has_text="Carla Client")
    event.focus()
    page.keyboard.press("Enter")
    drawer = page.get_by_role("dialog", name="Consultation · Carla Client")
    expect(drawer).to_be_visible()
    expect(drawer.get_by_role("heading", name="Consultation · Carla Client")).to_be_focused()
    tab_around(page, "#event-drawer", 6)

    # A confirmation over the drawer: focus in (on its reason), Escape closes it alone, focus back on its
    # opener.
    cancel = drawer.get_by_role("link", name="Cancel booking")
    cancel.focus()
    page.keyboard.press("Enter")
    confirm = page.get_by_role("dialog", name="Cancel this booking?")
    expect(confirm.get_by_label("Reason (optional)")).to_be_focused()  # its first field
    tab_around(page, "#booking-modal", 8)
    page.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(drawer).to_be_visible()
    expect(cancel).to_be_focused()

    page.keyboard.press("Escape")
    expect(drawer).to_have_count(0)
    expect(page.locator("#calendar .event", has_text="Carla Client")).to_be_focused()


def test_escape_pressed_before_a_re_rendered_dialog_settles_still_closes_it(acme, page, sign_in) -> None:
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(WEEK)
    page.get_by_role("link", name="New booking", exact=True).click()
    expect(page.get_by_role("dialog", name="New booking")).to_be_visible()
    # htmx settles a swap a moment after it (20 ms); stretched, the Escape below is sure to land in between.
    page.evaluate("htmx.config.defaultSettleDelay = 2000")
    page.get_by_role("button", name="Save booking").click()  # re-rendered with its errors
    expect(page.locator("#modal.htmx-settling")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator("#modal .modal")).to_have_count(0)


def test_the_skip_link_is_the_first_stop_and_lands_in_main(acme, page, sign_in) -> None:
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(WEEK)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 0  # shown on screen while focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the main content, past the navigation
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


# Every control on screen that a finger has to hit: too small (width or height under 44 px)?
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'a.button, button, select, input:not([type=hidden]), .topbar a, .tabs a, a.close, #calendar .event')]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map(e => { const b = e.getBoundingClientRect(); return {text: e.textContent.trim() || e.outerHTML.slice(0, 60),
                                                          w: Math.round(b.width), h: Math.round(b.height)}; })
  .filter(t => t.w < 44 || t.h < 44)"""
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_phone_calendar_is_a_list_with_whole_names(acme, page, sign_in) -> None:
    long_named_booking(acme)
    acme.book(MONDAY_NINE + timedelta(days=1), staff=acme.admin, client=acme.other_client)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(WEEK)

    expect(page.locator(".time-gutter")).to_be_hidden()  # no grid: the events as a list
    expect(page.locator("#calendar .slot").first).to_be_hidden()
    item = page.locator("#calendar .event", has_text=LONG_NAME)
    expect(item).to_be_visible()
    expect(item).to_contain_text("09:00–09:30")
    expect(item).to_contain_text("Video call · Sam Staff")
    expect(item).to_contain_text("Zoom ready · ID 812 3456 7890")
    name = item.locator(".event-client")
    expect(name).to_have_text(LONG_NAME)
    assert name.evaluate(
        "e => e.scrollWidth <= e.clientWidth && getComputedStyle(e).textOverflow !== 'ellipsis'"
    )
    assert page.evaluate(SIDEWAYS) == 0
    assert page.evaluate(SMALL_TARGETS) == []

    # The top bar is collapsed behind Menu.
    menu = page.get_by_role("button", name="Menu")
    expect(page.get_by_role("link", name="Clients")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Clients")).to_be_visible()
    assert page.evaluate(SMALL_TARGETS) == []
    menu.click()

    # The drawer and the modal are full-screen sheets.
    item.click()
    drawer = page.get_by_role("dialog", name=f"Video call · {LONG_NAME}")
    expect(drawer).to_be_visible()
    box = drawer.bounding_box()
    assert box and round(box["x"]) == 0 and round(box["width"]) == 390
    assert page.evaluate(SMALL_TARGETS) == []
    drawer.get_by_role("link", name="Edit").click()
    modal = page.locator("#booking-modal")
    expect(page.get_by_role("dialog", name="Edit booking")).to_be_visible()
    box = modal.bounding_box()
    assert box and round(box["x"]) == 0 and round(box["width"]) == 390 and box["height"] >= 844
    assert page.evaluate(SIDEWAYS) == 0

    # Other pages do not scroll sideways either.
    for path in (
        "/clients/",
        f"/clients/{acme.client.id}",
        "/settings/calendar/events",
        "/settings/integrations",
    ):
        page.goto(path)
        assert page.evaluate(SIDEWAYS) == 0, path


def test_the_day_view_prints_as_a_clean_day_sheet(acme, page, sign_in) -> None:
    long_named_booking(acme)
    acme.book(MONDAY_NINE + timedelta(hours=2), client=acme.other_client)
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(WEEK + "&view=day")
    page.emulate_media(media="print")

    sheet = page.locator("#calendar .events")
    expect(sheet).to_be_visible()
    for text in ("09:00–09:30", LONG_NAME, "Video call", "ID 812 3456 7890", "11:00–12:00", "Omar Other"):
        expect(sheet).to_contain_text(text)
    expect(page.get_by_role("heading", name="Monday 07 Jan 2030")).to_be_visible()
    for hidden in ("nav", "header.topbar", "button", ".button", "select", ".time-gutter", ".slot"):
        locator = page.locator(hidden)
        for i in range(locator.count()):
            expect(locator.nth(i)).to_be_hidden()
    # What lands on paper: a screenshot under print media, with nothing but the sheet's content.
    shot = page.screenshot(full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    visible_links = page.evaluate(
        "() => [...document.querySelectorAll('a')].filter(a => a.getClientRects().length)"
        ".map(a => a.className)"
    )
    assert set(visible_links) <= {"event"}, visible_links
