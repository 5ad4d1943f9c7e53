"""axe-core over every page and htmx state the suite opens (tests/browser/axe.py: WCAG 2.0/2.1 A and
AA; serious and critical fail, the rest is listed at the end of the run).

One browser page per audience walks through the states in order, running axe at each: a walk is far
cheaper than a test per state. The staff walk is here; the signed-out and portal walk is in
test_accessibility_portal.py. To cover a new page or state, add a step to the walk it belongs to (a
function taking the page and the world, and returning the state's name after leading the page there).
Zoom states that need a worker and the sandbox run axe inside their own tests (test_zoom_*.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from conecta.extensions import db
from conecta.groups.participants import enrol
from conecta.models import ZoomState
from conecta.models.types import utcnow
from tests.browser.axe import assert_accessible
from tests.support.factories import PASSWORD, OrgBundle, with_zoom
from tests.support.groups import add_group_clinic

WEEK = "/calendar/?date=2030-01-07"
MONDAY_NINE = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)  # 09:00 in America/Tijuana

Step = Callable[[Page, OrgBundle], str]


def book_world(acme: OrgBundle) -> None:
    """A week with something of everything: two people, a cancelled booking, a ready Zoom meeting."""
    acme.book(MONDAY_NINE)
    acme.book(MONDAY_NINE + timedelta(hours=2), staff=acme.admin, client=acme.other_client)
    cancelled = acme.book(MONDAY_NINE + timedelta(days=1))
    cancelled.status = "cancelled"
    video = acme.book(MONDAY_NINE + timedelta(days=2), service=acme.zoom_service)
    with_zoom(
        video,
        wanted=True,
        state=ZoomState.READY,
        meeting_id="81234567890",
        join_url="https://zoom.example/j/81234567890",
        passcode="x7Yq2",
    )
    db.session.commit()


# -- the staff side, signed in as the admin ----------------------------------------------------------


def week(page: Page, acme: OrgBundle) -> str:
    page.goto(WEEK)
    expect(page.locator("#calendar .event")).to_have_count(4)
    return "calendar, week, everyone"


def drawer(page: Page, acme: OrgBundle) -> str:
    page.locator("#calendar .event", has_text="Carla Client").first.click()
    expect(page.get_by_role("dialog", name="Consultation · Carla Client")).to_be_visible()
    return "calendar, event drawer"


def drawer_with_zoom(page: Page, acme: OrgBundle) -> str:
    page.locator("#calendar .event", has_text="Video call").click()
    expect(page.get_by_role("link", name="Join Zoom Meeting")).to_be_visible()
    return "calendar, event drawer with a ready Zoom meeting"


def modal_edit(page: Page, acme: OrgBundle) -> str:
    page.get_by_role("dialog").get_by_role("link", name="Edit").click()
    expect(page.get_by_role("dialog", name="Edit booking")).to_be_visible()
    expect(page.locator("#event-drawer")).to_have_attribute("aria-hidden", "true")  # under the modal
    return "booking modal, edit"


def modal_confirm_cancel(page: Page, acme: OrgBundle) -> str:
    page.keyboard.press("Escape")
    expect(page.locator("#modal .modal")).to_have_count(0)
    page.locator("#event-drawer").get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("dialog", name="Cancel this booking?")).to_be_visible()
    return "booking modal, cancel confirmation"


def day_view(page: Page, acme: OrgBundle) -> str:
    page.goto(WEEK + "&view=day")
    expect(page.get_by_role("heading", name="Monday 07 Jan 2030")).to_be_visible()
    return "calendar, day"


def one_person(page: Page, acme: OrgBundle) -> str:
    page.goto(WEEK)
    page.get_by_label("Staff", exact=True).select_option(label="Sam Staff")
    expect(page.locator("#calendar .event")).to_have_count(3)
    return "calendar, week, one staff member"


def modal_new(page: Page, acme: OrgBundle) -> str:
    page.get_by_role("link", name="New booking", exact=True).click()
    expect(page.get_by_role("dialog", name="New booking")).to_be_visible()
    return "booking modal, new"


def modal_conflict(page: Page, acme: OrgBundle) -> str:
    modal = page.get_by_role("dialog", name="New booking")
    modal.get_by_label("Client", exact=True).select_option(label="Omar Other · omar@acme.test")
    modal.get_by_label("Service").select_option(label="Consultation (60 min)")
    modal.get_by_label("Staff").select_option(label="Sam Staff")
    modal.get_by_label("Time").fill("09:30")
    modal.get_by_role("button", name="Save booking").click()
    expect(modal).to_contain_text("already booked")
    return "booking modal, conflict (422)"


def modal_saved(page: Page, acme: OrgBundle) -> str:
    modal = page.get_by_role("dialog", name="New booking")
    modal.get_by_label("Time").fill("14:00")
    modal.get_by_role("button", name="Save booking").click()
    expect(page.get_by_text("Booking saved.")).to_be_visible()
    return "booking modal, saved (view)"


def drawer_attendance(page: Page, acme: OrgBundle) -> str:
    started = acme.book(MONDAY_NINE + timedelta(days=30))  # (the rules refuse the past: moved there)
    started.starts_at = utcnow() - timedelta(hours=1)
    started.attendance = "no_show"
    db.session.commit()
    page.goto(f"/calendar/appointments/{started.id}")
    expect(page.get_by_role("group", name="Attendance")).to_be_visible()
    return "calendar, event drawer of a started appointment (attendance)"


def modal_series_conflicts(page: Page, acme: OrgBundle) -> str:
    page.goto(WEEK)
    page.get_by_role("link", name="New booking", exact=True).click()
    modal = page.get_by_role("dialog", name="New booking")
    modal.get_by_label("Client", exact=True).select_option(label="Carla Client · carla@acme.test")
    modal.get_by_label("Service").select_option(label="Consultation (60 min)")
    modal.get_by_label("Staff").select_option(label="Sam Staff")
    modal.get_by_label("Date", exact=True).fill("2030-01-07")
    modal.get_by_label("Time", exact=True).fill("09:00")
    modal.get_by_text("Repeat", exact=True).click()
    modal.get_by_label("Repeat weekly").check()
    modal.get_by_label("Occurrences").fill("2")
    modal.get_by_role("button", name="Save booking").click()
    expect(page.get_by_role("dialog", name="Some dates of this series are taken")).to_be_visible()
    return "booking modal, series conflicts"


def clients(page: Page, acme: OrgBundle) -> str:
    page.goto("/clients/")
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    return "clients"


def client_search(page: Page, acme: OrgBundle) -> str:
    page.get_by_label("Search clients").fill("omar")
    expect(page.locator("#client-rows tr")).to_have_count(1)
    return "clients, searched"


def client_detail(page: Page, acme: OrgBundle) -> str:
    page.goto(f"/clients/{acme.client.id}")
    expect(page.get_by_role("heading", name="Carla Client")).to_be_visible()
    return "client record"


def client_form_errors(page: Page, acme: OrgBundle) -> str:
    page.goto("/clients/new")
    page.get_by_role("button", name="Add client").click()
    expect(page.locator(".error-text").first).to_be_visible()
    return "client form, with errors"


def your_account(page: Page, acme: OrgBundle) -> str:
    page.goto("/account")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".error-text").first).to_be_visible()
    return "your account, change password refused"


def settings_team(page: Page, acme: OrgBundle) -> str:
    page.goto("/settings/team")
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    return "settings, team"


def settings_deactivate(page: Page, acme: OrgBundle) -> str:
    page.get_by_role("link", name="Deactivate Sam Staff").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    return "settings, deactivate confirmation"


def settings_events(page: Page, acme: OrgBundle) -> str:
    page.goto("/settings/calendar/events")
    expect(page.get_by_role("heading", name="Events")).to_be_visible()
    return "settings, events"


def settings_event_form(page: Page, acme: OrgBundle) -> str:
    page.goto(f"/settings/calendar/events/{acme.zoom_service.id}/edit")
    expect(page.get_by_label("Name")).to_be_visible()
    return "settings, event form"


def settings_integrations(page: Page, acme: OrgBundle) -> str:
    page.goto("/settings/integrations")
    expect(page.get_by_role("heading", name="Zoom")).to_be_visible()
    return "settings, integrations (not connected)"


def settings_emails(page: Page, acme: OrgBundle) -> str:
    page.goto("/settings/emails")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    return "settings, emails"


def settings_organization(page: Page, acme: OrgBundle) -> str:
    page.goto("/settings/organization")
    expect(page.get_by_role("heading", name="Contact details")).to_be_visible()
    return "settings, organization"


def settings_organization_errors(page: Page, acme: OrgBundle) -> str:
    page.get_by_label("Clients may cancel in the portal until").fill("1000")
    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-text").first).to_be_visible()
    return "settings, organization, with errors (422)"


def group_session(page: Page, acme: OrgBundle) -> str:
    """A group session's drawer: its clients, each with Remove, and Add client (another week's)."""
    clinic = add_group_clinic(acme, capacity=4, zoom=False)
    session = acme.book(MONDAY_NINE + timedelta(days=70), service=clinic.group)
    enrol(session, clinic.clients[:3])
    db.session.commit()
    page.goto(f"/calendar/appointments/{session.id}")
    expect(page.get_by_role("dialog", name="Group therapy · 3/4")).to_be_visible()
    expect(page.get_by_role("button", name="Add client")).to_be_visible()
    return "calendar, a group session's drawer (clients, Remove, Add client)"


def settings_language(page: Page, acme: OrgBundle) -> str:
    page.goto("/settings/language")
    expect(page.get_by_role("combobox", name="Your language")).to_be_visible()
    return "settings, language (the admin's own and the organization's)"


def not_found(page: Page, acme: OrgBundle) -> str:
    assert page.goto("/calendar/appointments/999999").status == 404
    return "error page (404)"


def phone_calendar(page: Page, acme: OrgBundle) -> str:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(WEEK)
    expect(page.locator(".time-gutter")).to_be_hidden()
    expect(page.locator("#calendar .event").first).to_be_visible()
    return "calendar on a phone (a list)"


def phone_menu(page: Page, acme: OrgBundle) -> str:
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Clients")).to_be_visible()
    return "calendar on a phone, menu open"


STAFF_WALK: list[Step] = [
    week,
    drawer,
    drawer_with_zoom,
    modal_edit,
    modal_confirm_cancel,
    day_view,
    one_person,
    modal_new,
    modal_conflict,
    modal_saved,
    modal_series_conflicts,
    clients,
    client_search,
    client_detail,
    client_form_errors,
    drawer_attendance,
    your_account,
    settings_team,
    settings_deactivate,
    settings_events,
    settings_event_form,
    settings_integrations,
    settings_emails,
    settings_organization,
    settings_organization_errors,
    group_session,
    settings_language,
    not_found,
    phone_calendar,
    phone_menu,
]


def test_staff_pages_and_states_pass_axe(acme, page, sign_in) -> None:
    book_world(acme)
    sign_in(page, acme.admin.email, PASSWORD)
    for step in STAFF_WALK:
        assert_accessible(page, step(page, acme))
