"""axe-core over the signed-out pages, the client portal and a staff member's forbidden page: the second
walk of tests/browser/test_accessibility.py (same rules; the world is built by its `book_world`)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from conecta.auth import links
from conecta.extensions import db
from conecta.models import Appointment, ZoomState
from conecta.models.types import utcnow
from tests.browser.axe import assert_accessible
from tests.browser.test_accessibility import Step, book_world
from tests.support.factories import PASSWORD, OrgBundle, with_zoom

# -- signed out, the client portal, and a staff member's forbidden page ------------------------------


def staff_sign_in(page: Page, acme: OrgBundle) -> str:
    page.goto("/login")
    return "staff sign-in"


def staff_sign_in_failed(page: Page, acme: OrgBundle) -> str:
    page.get_by_label("Email").fill("nobody@acme.test")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".flash-error, .error-text").first).to_be_visible()
    return "staff sign-in, refused"


def forbidden(page: Page, acme: OrgBundle) -> str:
    page.goto("/login")
    page.get_by_label("Email").fill(acme.staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.goto("/settings/team").status == 403
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    return "error page (403)"


def forgot_password(page: Page, acme: OrgBundle) -> str:
    page.goto("/login")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot password")).to_be_visible()
    return "forgot password"


def password_link(page: Page, acme: OrgBundle) -> str:
    page.goto(f"/password/{links.make_token(acme.staff, links.RESET)}")
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    return "password link, choose a new password"


def password_link_invalid(page: Page, acme: OrgBundle) -> str:
    page.goto("/portal/invite/not-a-real-link")
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
    return "password link, not valid"


def portal_sign_in(page: Page, acme: OrgBundle) -> str:
    page.goto("/portal/login")
    expect(page.get_by_role("heading", name="Client portal")).to_be_visible()
    expect(page.get_by_text("manage your bookings with Acme Clinic")).to_be_visible()
    return "portal sign-in, with the clinic's name"


def portal_list(page: Page, acme: OrgBundle) -> str:
    page.get_by_label("Email").fill(acme.client.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    return "portal, my bookings"


def portal_detail(page: Page, acme: OrgBundle) -> str:
    page.get_by_role("link", name="Wed 09 Jan 2030").click()
    expect(page.get_by_role("link", name="Join Zoom Meeting")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel booking")).to_be_visible()
    return "portal, booking detail with Zoom and Cancel"


def portal_cancel(page: Page, acme: OrgBundle) -> str:
    page.get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("heading", name="Cancel this booking?")).to_be_visible()
    return "portal, cancel a booking"


def portal_cancelled(page: Page, acme: OrgBundle) -> str:
    page.get_by_label("Message to the clinic (optional)").fill("Sorry!")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_text("Your booking is cancelled.")).to_be_visible()
    return "portal, booking cancelled"


def portal_list_with_join(page: Page, acme: OrgBundle) -> str:
    """A video call due in ten minutes (Join on the list), one three hours away (past the cutoff)."""
    now = utcnow().replace(second=0, microsecond=0)
    due = acme.book(now + timedelta(minutes=10), service=acme.zoom_service)
    with_zoom(due, wanted=True, state=ZoomState.READY, meeting_id="81234567899",
              join_url="https://zoom.example/j/81234567899")  # fmt: skip
    acme.book(now + timedelta(hours=3))
    acme.org.contact_phone = "+1 619 555 0100"
    db.session.commit()
    page.goto("/portal/")
    expect(page.get_by_role("link", name="Join Zoom Meeting")).to_be_visible()
    return "portal, my bookings with Join"


def portal_after_cutoff(page: Page, acme: OrgBundle) -> str:
    late = db.session.scalars(
        db.select(Appointment).where(Appointment.starts_at > utcnow() + timedelta(hours=2))
        .order_by(Appointment.starts_at)
    ).first()  # fmt: skip
    page.goto(f"/portal/bookings/{late.id}")
    expect(page.get_by_text("Cancellations close 24 hours before the appointment.")).to_be_visible()
    return "portal, booking past the cancellation cutoff"


def portal_account(page: Page, acme: OrgBundle) -> str:
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    return "portal, your account"


def portal_preferences(page: Page, acme: OrgBundle) -> str:
    page.goto("/portal/")
    page.get_by_role("link", name="Language and time zone").click()
    expect(page.get_by_label("Time zone", exact=True)).to_be_visible()
    return "portal, language and time zone"


OUTSIDE_WALK: list[Step] = [
    staff_sign_in,
    staff_sign_in_failed,
    forbidden,
    forgot_password,
    password_link,
    password_link_invalid,
    portal_sign_in,
    portal_list,
    portal_detail,
    portal_cancel,
    portal_cancelled,
    portal_list_with_join,
    portal_after_cutoff,
    portal_account,
    portal_preferences,
]


def test_signed_out_and_portal_pages_pass_axe(acme, page) -> None:
    book_world(acme)
    for step in OUTSIDE_WALK:
        assert_accessible(page, step(page, acme))
