"""A meeting deleted in Zoom, in a real browser: the host deletes it on the Zoom sandbox's page, the
sandbox's signed webhook reaches Conecta over HTTP, a real worker process takes it in; the drawer says
so, and Recreate and resend gives a new Join link and emails it to the client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.test_zoom_meeting import zoom_ready_acme  # noqa: F401  (a fixture)
from tests.support.factories import PASSWORD
from tests.support.smtp import text_parts
from tests.support.worker import wait_until
from tests.support.zoom_sync import START, book, fresh


@pytest.fixture
def mail_to(zoom_live_app, smtp_server) -> Iterator:
    """The live app (and the worker started from its config) send email to the test's SMTP server."""
    saved = {k: zoom_live_app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    zoom_live_app.config.update(smtp_server.config())
    yield smtp_server
    zoom_live_app.config.update(saved)


def test_a_meeting_deleted_in_zoom_shows_in_the_drawer_and_recreate_and_resend_sends_a_new_link(
    zoom_ready_acme,  # noqa: F811
    zoom_live_app,
    zoom_sandbox,
    live_server,
    mail_to,
    worker_process,
    page,
    sign_in,
):
    acme = zoom_ready_acme
    zoom_sandbox.configure_webhooks(url=f"{live_server.url}/webhooks/zoom")
    worker_process(zoom_live_app)
    appointment = book(acme, starts_at=START)
    appointment = wait_until(lambda: (a := fresh(appointment.id)).zoom_state == "ready" and a, timeout=30)
    old_link = appointment.zoom.join_url
    wait_until(lambda: len(mail_to.messages) == 1, timeout=30, what="the confirmation")

    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(f"/calendar/appointments/{appointment.id}")
    drawer = page.get_by_role("dialog")
    expect(drawer.get_by_role("link", name="Join Zoom Meeting")).to_have_attribute("href", old_link)

    # The host deletes the meeting on Zoom's website (the sandbox's home page).
    zoom_page = page.context.new_page()
    zoom_page.goto(zoom_sandbox.url)
    zoom_page.get_by_role("button", name="Delete", exact=True).click()
    expect(zoom_page.get_by_role("heading", name="Recently deleted")).to_be_visible()
    zoom_page.close()
    wait_until(lambda: fresh(appointment.id).zoom_state == "vanished", timeout=30, what="the webhook")

    page.reload()
    panel = page.get_by_role("region", name="Zoom meeting")
    expect(panel).to_contain_text("deleted in Zoom")
    assert_accessible(page, "event drawer, meeting deleted in Zoom")
    expect(panel).to_contain_text("The Zoom meeting was deleted in Zoom")
    expect(panel.get_by_role("link", name="Join Zoom Meeting")).to_have_count(0)
    assert old_link not in page.content()

    panel.get_by_role("button", name="Recreate and resend").click()
    join = panel.get_by_role("link", name="Join Zoom Meeting")
    expect(join).to_be_visible()
    appointment = wait_until(lambda: (a := fresh(appointment.id)).zoom_state == "ready" and a, timeout=30)
    assert appointment.zoom.join_url != old_link
    expect(join).to_have_attribute("href", appointment.zoom.join_url)

    wait_until(lambda: len(mail_to.messages) == 2, timeout=30, what="the update email")
    update = mail_to.messages[1].message
    assert update["Subject"].startswith("Updated:")
    parts = text_parts(update)
    assert appointment.zoom.join_url in parts["text/plain"]
    assert all(old_link not in content for content in parts.values())
