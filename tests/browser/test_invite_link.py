"""The portal invite link on a client's page: created in place by htmx, copied by static/app.js (the
Content-Security-Policy allows no inline script), and it works for the client."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.factories import PASSWORD


def test_staff_copy_an_invite_link_that_lets_the_client_in(acme, page: Page, sign_in, live_server) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(f"/clients/{acme.client.id}")
    page.get_by_role("button", name="Create portal invite link").click()
    link = page.get_by_label(f"Portal invite link for {acme.client.name}")
    expect(link).to_have_value(re.compile(rf"^{re.escape(live_server.url)}/portal/invite/"))
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == link.input_value()

    page.context.clear_cookies()
    page.goto(copied)
    page.get_by_label("New password").fill("a-fresh-password")
    page.get_by_label("Confirm password").fill("a-fresh-password")
    page.get_by_role("button", name="Set password").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_text("Your password is set. Welcome!")).to_be_visible()
