"""Signing in through a real browser: the navigation appears; a wrong password says so."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.factories import PASSWORD


def test_admin_signs_in_and_sees_the_navigation(acme, page, sign_in) -> None:
    sign_in(page, acme.admin.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/calendar/$"))
    navigation = page.get_by_role("navigation", name="Main")
    for area in ("Calendar", "Clients", "Settings"):
        expect(navigation.get_by_role("link", name=area)).to_be_visible()
    expect(page.get_by_text("Ada Admin · Acme Clinic")).to_be_visible()


def test_a_wrong_password_shows_a_message_and_no_navigation(acme, page, sign_in) -> None:
    sign_in(page, acme.admin.email, "not-the-password")
    expect(page.get_by_text("Email or password is incorrect.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_label("Email")).to_have_value(acme.admin.email)
