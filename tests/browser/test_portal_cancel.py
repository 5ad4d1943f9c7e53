"""A portal clients can act in, in a real browser on a phone (390 px): a client cancels within the cutoff
and the Zoom meeting is deleted in the sandbox by a real worker; after the cutoff the portal says why not
and offers no Cancel; Join on the list while a meeting is due. Nothing scrolls sideways, and every
button is a 44 px target."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from conecta.extensions import db
from conecta.models import ZoomState
from conecta.models.email import EmailKind, OutboxEmail
from conecta.models.types import utcnow
from tests.browser.test_keyboard_and_phone import SIDEWAYS, SMALL_TARGETS
from tests.support.factories import PASSWORD, with_zoom
from tests.support.worker import wait_until
from tests.support.zoom_sync import START, book, fresh, meetings

PHONE = {"width": 390, "height": 844}


def portal_sign_in(page: Page, email: str) -> None:
    page.goto("/portal/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()


def fits_a_phone(page: Page, where: str) -> None:
    page.wait_for_load_state("load")  # the stylesheet applied: a heading can show before it has loaded
    assert page.evaluate(SIDEWAYS) == 0, where
    assert page.evaluate(SMALL_TARGETS) == [], where


@pytest.fixture
def zoom_ready_acme(acme, connect_zoom, zoom_live_app, app):
    connect_zoom(acme)
    app.config["CONECTA_QUEUE"] = zoom_live_app.config["CONECTA_QUEUE"]
    return acme


def test_a_client_cancels_in_the_portal_and_the_meeting_is_deleted(
    zoom_ready_acme, zoom_live_app, zoom_sandbox, worker_process, page
) -> None:
    acme = zoom_ready_acme
    worker_process(zoom_live_app)
    appointment = book(acme, starts_at=START)  # a video call in March 2030: well within the cutoff
    ready = wait_until(lambda: (a := fresh(appointment.id)).zoom_state == "ready" and a, timeout=30)
    assert [str(m["id"]) for m in meetings(zoom_sandbox)] == [ready.zoom.meeting_id]

    page.set_viewport_size(PHONE)
    portal_sign_in(page, acme.client.email)
    fits_a_phone(page, "portal, my bookings")
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Upcoming"))
    upcoming.get_by_role("link", name="Mon 11 Mar 2030, 10:00–10:30", exact=True).click()
    expect(page.get_by_text("You can cancel this booking here until")).to_be_visible()
    fits_a_phone(page, "portal, booking detail")

    page.get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("heading", name="Cancel this booking?")).to_be_visible()
    fits_a_phone(page, "portal, cancel")
    page.get_by_label("Message to the clinic (optional)").fill("Something came up, sorry.")
    page.get_by_role("button", name="Cancel booking").click()

    expect(page).to_have_url(re.compile(rf"/portal/bookings/{appointment.id}$"))
    expect(page.get_by_text("Your booking is cancelled. Acme Clinic has been told")).to_be_visible()
    expect(page.locator("dl.details")).to_contain_text("Cancelled")
    expect(page.get_by_role("link", name="Cancel booking")).to_have_count(0)
    # The pipeline deleted the meeting at Zoom (plan → mark → job → reconcile).
    wait_until(lambda: meetings(zoom_sandbox) == [], timeout=30, what="the meeting deleted in the sandbox")
    cancelled = wait_until(lambda: (a := fresh(appointment.id)).zoom_state == "deleted" and a, timeout=30)
    assert cancelled.is_cancelled and cancelled.cancel_message == "Something came up, sorry."
    db.session.expire_all()
    notice = db.session.scalar(db.select(OutboxEmail).filter_by(kind=EmailKind.CLIENT_CANCELLED))
    assert notice is not None and notice.to_address == acme.staff.email


def test_after_the_cutoff_the_portal_says_why_not_and_join_shows_when_due(acme, page) -> None:
    now = utcnow().replace(second=0, microsecond=0)
    late = acme.book(now + timedelta(hours=3))  # cancellations close 24 hours before
    due = acme.book(now + timedelta(minutes=10), service=acme.zoom_service)
    with_zoom(due, wanted=True, state=ZoomState.READY, meeting_id="81234567890",
              join_url="https://zoom.example/j/81234567890", start_url="https://zoom.example/s/1?zak=HOST")  # fmt: skip
    acme.org.contact_phone = "+1 619 555 0100"
    db.session.commit()

    page.set_viewport_size(PHONE)
    portal_sign_in(page, acme.client.email)
    join = page.get_by_role("link", name="Join Zoom Meeting")
    expect(join).to_have_count(1)
    expect(join).to_have_attribute("href", "https://zoom.example/j/81234567890")
    assert "zak=" not in page.content()
    expect(page.get_by_role("link", name=re.compile("^Cancel"))).to_have_count(0)
    fits_a_phone(page, "portal, list with Join")

    page.goto(f"/portal/bookings/{late.id}")
    expect(
        page.get_by_text(
            "Cancellations close 24 hours before the appointment. "
            "Please contact Acme Clinic to cancel or change it."
        )
    ).to_be_visible()
    expect(page.get_by_role("link", name="+1 619 555 0100")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel booking")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel booking")).to_have_count(0)
    fits_a_phone(page, "portal, after the cutoff")
