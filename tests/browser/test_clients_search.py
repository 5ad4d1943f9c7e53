"""The Clients page in a real browser: search as you type (HTMX swaps the rows and pushes the URL), and
the portal invite link created through HTMX (which must carry the CSRF token)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.factories import PASSWORD


def test_search_as_you_type_filters_the_rows_and_the_url(acme, page, sign_in) -> None:
    sign_in(page, acme.staff.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    rows = page.locator("#client-rows")
    expect(rows.get_by_role("link", name="Omar Other")).to_be_visible()
    page.wait_for_load_state("load")  # htmx bound (a deferred script): rows show before it runs

    page.get_by_label("Search clients").press_sequentially("carl")
    expect(rows.get_by_role("link", name="Omar Other")).to_have_count(0)
    expect(rows.get_by_role("link", name="Carla Client")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/clients/\?q=carl$"))

    page.get_by_label("Search clients").fill("nobody-by-this-name")
    expect(rows).to_contain_text("No client matches “nobody-by-this-name”.")


def test_staff_create_a_portal_invite_link_to_copy(acme, page, sign_in) -> None:
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(f"/clients/{acme.client.id}")
    page.get_by_role("button", name="Create portal invite link").click()
    link = page.get_by_label("Portal invite link for Carla Client")
    expect(link).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/portal/invite/[\w.-]+$"))
    expect(page).to_have_url(re.compile(rf"/clients/{acme.client.id}$"))  # swapped in place, no reload
