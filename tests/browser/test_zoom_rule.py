"""The one Zoom rule in a real browser, with a real worker process and the Zoom sandbox over HTTP:
switching a service on reaches its upcoming appointments (asked first; the client reads "Meeting link
coming soon" until the link is pushed in, and gets it by email once); an appointment booked while Zoom was
disconnected gets its meeting after the reconnect; Add and Remove Zoom meeting on one appointment of a
service without the switch, where the host's first action is Start meeting."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.test_zoom_meeting import zoom_ready_acme  # noqa: F401  (a fixture)
from tests.support.factories import PASSWORD
from tests.support.smtp import text_parts
from tests.support.worker import wait_until
from tests.support.zoom_side import run_until_quiet
from tests.support.zoom_sync import START, book, fresh, meetings


@pytest.fixture
def mail_to(zoom_live_app, app, smtp_server) -> Iterator:
    """The live app, its worker and the test's own app send email to the test's SMTP server."""
    saved = {k: zoom_live_app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    zoom_live_app.config.update(smtp_server.config())
    app.config.update(smtp_server.config())
    yield smtp_server
    zoom_live_app.config.update(saved)


def carrying(mailbox, text: str) -> list:
    """The messages whose plain text carries `text` (a Join link)."""
    return [m.message for m in mailbox.messages if text in text_parts(m.message)["text/plain"]]


def test_switching_a_service_on_creates_the_meetings_and_each_client_gets_the_link_once(
    zoom_ready_acme,  # noqa: F811
    zoom_live_app,
    app,
    mail_to,
    worker_process,
    browser,
    live_server,
    page,
    sign_in,
):
    acme = zoom_ready_acme
    carla = book(acme, service=acme.service, starts_at=START)
    omar = book(acme, service=acme.service, client=acme.other_client, starts_at=START.replace(hour=19))
    run_until_quiet(app)  # their confirmations went out, without a link
    assert len(mail_to.messages) == 2

    # The client keeps her booking open in the portal.
    portal = browser.new_context(base_url=live_server.url).new_page()
    portal.goto("/portal/login")
    portal.get_by_label("Email").fill(acme.client.email)
    portal.get_by_label("Password").fill(PASSWORD)
    portal.get_by_role("button", name="Sign in").click()
    portal.goto(f"/portal/bookings/{carla.id}")
    portal.evaluate("window.__marker = 'no reload'")
    expect(portal.get_by_role("region", name="Zoom meeting")).to_have_count(0)

    sign_in(page, acme.admin.email, PASSWORD)
    page.goto("/settings/calendar/events")
    page.get_by_label("Auto-create Zoom meeting for Consultation").check()
    question = page.get_by_role("dialog", name="Switch on Zoom meetings for Consultation?")
    expect(question).to_contain_text(
        "2 upcoming Consultation appointments will get a Zoom meeting, and their clients an email with the link."
    )
    assert_accessible(page, "events list, switching Zoom on: the question")
    question.get_by_role("button", name="Switch on").click()
    expect(
        page.get_by_role("status").filter(has_text="2 upcoming appointments are getting a Zoom meeting")
    ).to_be_visible()

    # No worker yet: the meeting is due and not made. The client is told so, not left with a gap.
    portal.reload()
    portal.evaluate("window.__marker = 'no reload'")
    panel = portal.get_by_role("region", name="Zoom meeting")
    expect(panel).to_contain_text("Meeting link coming soon")
    assert_accessible(portal, "portal booking, meeting link coming soon")

    worker_process(zoom_live_app)
    join = panel.get_by_role("link", name="Join Zoom Meeting")
    expect(join).to_be_visible()  # pushed in, without a reload
    assert portal.evaluate("window.__marker") == "no reload"
    for appointment in (carla, omar):
        ready = wait_until(lambda a=appointment: (f := fresh(a.id)).zoom_state == "ready" and f, timeout=30)
        wait_until(lambda r=ready: carrying(mail_to, r.zoom.join_url), timeout=30, what="the link's email")
        (with_link,) = carrying(mail_to, ready.zoom.join_url)
        assert with_link["Subject"].startswith("Zoom link:")
    expect(join).to_have_attribute("href", fresh(carla.id).zoom.join_url)


def test_an_appointment_booked_while_disconnected_gets_its_meeting_after_the_reconnect(
    acme, zoom_live_app, zoom_sandbox, live_server, worker_process, page, sign_in
):
    appointment = book(acme, starts_at=START)  # a Video call, but Zoom is not connected
    assert appointment.zoom is None
    worker_process(zoom_live_app)

    sign_in(page, acme.admin.email, PASSWORD)
    page.goto(f"/calendar/appointments/{appointment.id}")
    expect(page.get_by_role("region", name="Zoom meeting")).to_contain_text("Zoom is not connected")

    page.goto("/settings/integrations")
    page.get_by_role("button", name="Connect my Zoom user only").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(zoom_sandbox.url)}/oauth/authorize\?"))
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(f"{live_server.url}/settings/integrations")
    expect(
        page.get_by_role("status").filter(has_text="1 upcoming appointment is getting its Zoom meeting")
    ).to_be_visible()

    page.goto(f"/calendar/appointments/{appointment.id}")
    expect(
        page.get_by_role("region", name="Zoom meeting").get_by_role("link", name="Join Zoom Meeting")
    ).to_be_visible()
    ready = wait_until(lambda: (a := fresh(appointment.id)).zoom_state == "ready" and a, timeout=30)
    assert [str(m["id"]) for m in meetings(zoom_sandbox)] == [ready.zoom.meeting_id]


def test_add_and_remove_zoom_meeting_on_one_appointment_of_a_service_without_the_switch(
    zoom_ready_acme,  # noqa: F811
    zoom_live_app,
    zoom_sandbox,
    worker_process,
    page,
    sign_in,
):
    acme = zoom_ready_acme
    appointment = book(acme, service=acme.service, starts_at=START)  # in person
    worker_process(zoom_live_app)
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(f"/calendar/appointments/{appointment.id}")
    drawer = page.get_by_role("dialog", name=re.compile("Consultation"))
    expect(drawer.get_by_role("region", name="Zoom meeting")).to_contain_text("No Zoom meeting")
    assert_accessible(page, "event drawer, no Zoom meeting: Add Zoom meeting")

    drawer.get_by_role("button", name="Add Zoom meeting").click()
    modal = page.locator("#booking-modal")
    expect(modal).to_contain_text("Zoom meeting added")
    start = modal.get_by_role("link", name="Start meeting")
    expect(start).to_be_visible()
    expect(start).to_have_class(re.compile(r"\bprimary\b"))  # the host starts; Join comes second
    expect(modal.get_by_role("link", name="Join Zoom Meeting")).not_to_have_class(re.compile(r"\bprimary\b"))
    ready = wait_until(lambda: (a := fresh(appointment.id)).zoom_state == "ready" and a, timeout=30)
    assert [str(m["id"]) for m in meetings(zoom_sandbox)] == [ready.zoom.meeting_id]

    modal.get_by_role("link", name="Remove Zoom meeting").click()
    question = page.get_by_role("dialog", name="Remove the Zoom meeting?")
    expect(question).to_contain_text("its link stops working")
    assert_accessible(page, "booking modal, remove the Zoom meeting?")
    question.get_by_role("button", name="Yes, remove the Zoom meeting").click()
    expect(page.locator("#booking-modal")).to_contain_text("Zoom meeting removed")
    wait_until(lambda: meetings(zoom_sandbox) == [], timeout=30, what="the meeting deleted in Zoom")
    expect(page.get_by_role("region", name="Zoom meeting").first).to_contain_text("Zoom meeting deleted")
