"""Zoom meetings in a real browser, with a real worker process and the Zoom sandbox over HTTP: staff book in
the modal and watch "Creating Zoom meeting…" turn into **Join Zoom Meeting** without a reload; the client
sees Join and the passcode in the portal.

The swap is pushed (`conecta.zoom.panel_push`): the pending panel's one request is held by the server
until the job settles. Zoom answers slowly here, so a polling panel would be seen asking several times;
with no free waiting slot the panel falls back to polling, and still gets there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.support.factories import PASSWORD
from tests.support.worker import wait_until
from tests.support.zoom_sync import START, book, fresh

WEEK = "/calendar/?date=2030-03-11"
SLOW_ZOOM_MS = 2500  # longer than two polls of the fallback (1 s)


@pytest.fixture
def zoom_ready_acme(acme, connect_zoom, zoom_live_app, app):
    """acme connected to the sandbox; the test app shares the live app's job namespace."""
    connect_zoom(acme)
    app.config["CONECTA_QUEUE"] = zoom_live_app.config["CONECTA_QUEUE"]
    return acme


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("window.__marker") == "no reload", "the page was reloaded"


def panel_requests(page: Page) -> list[str]:
    """Every request the page makes for a Zoom panel fragment, as it makes it."""
    seen: list[str] = []
    panel = re.compile(r"/bookings/\d+/zoom(\?|$)")
    page.on("request", lambda request: seen.append(request.url) if panel.search(request.url) else None)
    return seen


def book_in_the_modal(page: Page, acme) -> None:
    page.get_by_role("link", name="New booking", exact=True).click()
    modal = page.get_by_role("dialog", name="New booking")
    modal.get_by_label("Client", exact=True).select_option(str(acme.client.id))
    modal.get_by_label("Service").select_option(label="Video call (30 min)")
    modal.get_by_label("Date").fill("2030-03-11")
    modal.get_by_label("Time").fill("10:00")
    modal.get_by_role("button", name="Save booking").click()


def test_booking_in_the_modal_swaps_in_the_join_button_pushed(
    zoom_ready_acme, zoom_live_app, zoom_sandbox, worker_process, page, sign_in
):
    acme = zoom_ready_acme
    zoom_sandbox.set_faults(latency_ms=SLOW_ZOOM_MS)
    worker_process(zoom_live_app)
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(WEEK)
    page.evaluate("window.__marker = 'no reload'")
    asked = panel_requests(page)

    book_in_the_modal(page, acme)
    panel = page.get_by_role("region", name="Zoom meeting")
    expect(panel).to_contain_text("Creating Zoom meeting…")
    join = panel.get_by_role("link", name="Join Zoom Meeting")
    expect(join).to_be_visible()
    assert_no_reload(page)
    # Said out loud in the polite live region, as each swap lands (app.js, data-announce).
    expect(page.locator("#announcer")).to_have_attribute("data-said", re.compile("Zoom meeting ready"))
    assert_accessible(page, "booking modal, Zoom meeting ready")

    (appointment,) = _appointments()
    assert appointment.zoom_state == "ready"
    # One request, held by the server for the seconds Zoom took, then answered with Join.
    assert asked == [f"{zoom_live_app.config['CONECTA_BASE_URL']}/bookings/{appointment.id}/zoom?wait=1"]
    expect(join).to_have_attribute("href", appointment.zoom.join_url)
    expect(join).to_have_attribute("target", "_blank")
    expect(panel.locator("dd code")).to_have_text(appointment.zoom.passcode)
    expect(panel.get_by_role("link", name="Start meeting")).to_have_attribute(
        "href", f"/bookings/{appointment.id}/zoom/start"
    )
    assert appointment.zoom.start_url not in page.content()


def test_with_no_free_waiting_slot_the_panel_polls_and_still_swaps_in_join(
    zoom_ready_acme, zoom_live_app, zoom_sandbox, worker_process, page, sign_in
):
    acme = zoom_ready_acme
    zoom_live_app.config["ZOOM_PANEL_WAIT_SLOTS"] = 0  # every waiting place taken: the fallback
    zoom_sandbox.set_faults(latency_ms=SLOW_ZOOM_MS)
    worker_process(zoom_live_app)
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(WEEK)
    page.evaluate("window.__marker = 'no reload'")
    asked = panel_requests(page)

    book_in_the_modal(page, acme)
    panel = page.get_by_role("region", name="Zoom meeting")
    expect(panel).to_contain_text("Creating Zoom meeting…")
    expect(panel.get_by_role("link", name="Join Zoom Meeting")).to_be_visible()
    assert_no_reload(page)
    assert len(asked) >= 2, asked  # it polled: asked again while Zoom was still answering


def test_the_client_sees_join_and_the_passcode_in_the_portal(
    zoom_ready_acme, zoom_live_app, worker_process, page
):
    acme = zoom_ready_acme
    zoom_live_app.config["ZOOM_PANEL_WAIT_SECONDS"] = 120  # longer than the worker takes to start
    appointment = book(acme, starts_at=START)  # queued: no worker yet, so the portal shows it pending

    page.goto("/portal/login")
    page.get_by_label("Email").fill(acme.client.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    asked = panel_requests(page)
    page.goto(f"/portal/bookings/{appointment.id}")
    page.evaluate("window.__marker = 'no reload'")
    panel = page.get_by_role("region", name="Zoom meeting")
    expect(panel).to_contain_text("Meeting link coming soon")  # what a client reads while it is made

    worker_process(zoom_live_app)
    join = panel.get_by_role("link", name="Join Zoom Meeting")
    expect(join).to_be_visible()
    assert_no_reload(page)
    # The panel's one request waited for the worker to start and the job to settle: pushed, not polled.
    assert [url.rpartition("/portal")[2] for url in asked] == [f"/bookings/{appointment.id}/zoom?wait=1"]

    appointment = wait_until(lambda: (a := fresh(appointment.id)).zoom_state == "ready" and a, timeout=20)
    expect(join).to_have_attribute("href", appointment.zoom.join_url)
    expect(panel.locator("dd code")).to_have_text(appointment.zoom.passcode)
    expect(panel.get_by_role("link", name="Start meeting")).to_have_count(0)
    assert "zak=" not in page.content()
    expect(page).to_have_url(re.compile(rf"/portal/bookings/{appointment.id}$"))


def _appointments():
    from conecta.extensions import db
    from conecta.models import Appointment

    db.session.expire_all()
    return db.session.scalars(db.select(Appointment)).all()


def test_a_panel_whose_request_failed_asks_again(
    zoom_ready_acme, zoom_live_app, worker_process, page, sign_in
):
    """The connection drops during the wait (a deploy restarts the server): app.js asks again."""
    acme = zoom_ready_acme
    dropped: list[str] = []

    def drop_the_first(route) -> None:
        if dropped:
            route.continue_()
        else:
            dropped.append(route.request.url)
            route.abort("connectionreset")

    page.route(re.compile(r"/bookings/\d+/zoom\?wait=1$"), drop_the_first)
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(WEEK)
    book_in_the_modal(page, acme)
    panel = page.get_by_role("region", name="Zoom meeting")
    expect(panel).to_contain_text("Creating Zoom meeting…")
    worker_process(zoom_live_app)
    expect(panel.get_by_role("link", name="Join Zoom Meeting")).to_be_visible()
    assert len(dropped) == 1
