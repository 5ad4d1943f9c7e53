"""Zoom meetings in a real browser, with a real worker process and the Zoom sandbox over HTTP: staff book in
the modal and watch "Creating Zoom meeting…" turn into **Join Zoom Meeting** without a reload; the client
sees Join and the passcode in the portal."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.factories import PASSWORD
from tests.support.worker import wait_until
from tests.support.zoom_sync import START, book, fresh

WEEK = "/calendar/?date=2030-03-11"


@pytest.fixture
def zoom_ready_acme(acme, connect_zoom, zoom_live_app, app):
    """acme connected to the sandbox; the test app shares the live app's job namespace."""
    connect_zoom(acme)
    app.config["CONECTA_QUEUE"] = zoom_live_app.config["CONECTA_QUEUE"]
    return acme


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("window.__marker") == "no reload", "the page was reloaded"


def test_booking_in_the_modal_swaps_in_the_join_button(
    zoom_ready_acme, zoom_live_app, worker_process, page, sign_in
):
    acme = zoom_ready_acme
    worker_process(zoom_live_app)
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(WEEK)
    page.evaluate("window.__marker = 'no reload'")

    page.get_by_role("link", name="New booking", exact=True).click()
    modal = page.get_by_role("dialog", name="New booking")
    modal.get_by_label("Client", exact=True).select_option(str(acme.client.id))
    modal.get_by_label("Service").select_option(label="Video call (30 min)")
    modal.get_by_label("Date").fill("2030-03-11")
    modal.get_by_label("Time").fill("10:00")
    modal.get_by_role("button", name="Save booking").click()

    panel = page.get_by_role("region", name="Zoom meeting")
    expect(panel).to_contain_text("Creating Zoom meeting…")
    join = panel.get_by_role("link", name="Join Zoom Meeting")
    expect(join).to_be_visible()
    assert_no_reload(page)

    (appointment,) = _appointments()
    assert appointment.zoom_state == "ready"
    expect(join).to_have_attribute("href", appointment.zoom.join_url)
    expect(join).to_have_attribute("target", "_blank")
    expect(panel.locator("dd code")).to_have_text(appointment.zoom.passcode)
    expect(panel.get_by_role("link", name="Start meeting")).to_have_attribute(
        "href", f"/bookings/{appointment.id}/zoom/start"
    )
    assert appointment.zoom.start_url not in page.content()


def test_the_client_sees_join_and_the_passcode_in_the_portal(
    zoom_ready_acme, zoom_live_app, worker_process, page
):
    acme = zoom_ready_acme
    appointment = book(acme, starts_at=START)  # queued: no worker yet, so the portal shows it pending

    page.goto("/portal/login")
    page.get_by_label("Email").fill(acme.client.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/portal/bookings/{appointment.id}")
    page.evaluate("window.__marker = 'no reload'")
    panel = page.get_by_role("region", name="Zoom meeting")
    expect(panel).to_contain_text("Creating Zoom meeting…")

    worker_process(zoom_live_app)
    join = panel.get_by_role("link", name="Join Zoom Meeting")
    expect(join).to_be_visible()
    assert_no_reload(page)

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
