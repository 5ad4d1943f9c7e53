"""The client portal in a real browser: a client sees their booking, and nobody else's."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from tests.support.factories import PASSWORD


def portal_sign_in(page: Page, email: str) -> None:
    page.goto("/portal/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_client_sees_their_booking_and_not_anothers(acme, page) -> None:
    mine = acme.book(datetime(2030, 1, 7, 17, 0, tzinfo=UTC))
    theirs = acme.book(datetime(2030, 1, 8, 17, 0, tzinfo=UTC), client=acme.other_client)

    portal_sign_in(page, acme.client.email)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("link", name="Acme Clinic")).to_be_visible()  # the portal's own layout
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Upcoming"))
    link = upcoming.get_by_role("link", name="Mon 07 Jan 2030, 09:00–10:00")
    expect(link).to_be_visible()
    expect(upcoming).not_to_contain_text("Tue 08 Jan")

    link.click()
    expect(page).to_have_url(re.compile(rf"/portal/bookings/{mine.id}$"))
    expect(page.get_by_role("heading", name="Consultation")).to_be_visible()
    details = page.locator("dl.details")
    expect(details).to_contain_text("Mon 07 Jan 2030, 09:00–10:00 (Mexico (Tijuana) Time)")
    expect(details).to_contain_text("Sam Staff")
    expect(details).to_contain_text("Booked")

    response = page.goto(f"/portal/bookings/{theirs.id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("Omar Other")).to_have_count(0)
