"""Staff accounts and cancellations in a real browser, with email through a real SMTP server:
- an admin adds a team member, who sets their own password from the invite email's link -- once (a
  second use and an expired link are refused);
- a portal client's Forgot password: the emailed link works once, a second use and an expired link
  are refused;
- a cancellation with "Email the client" unticked sends nothing at all.
Expiry is shown with links signed in the past (a signed timestamp), never by waiting."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from conecta.auth import links
from conecta.extensions import db
from conecta.models import User
from conecta.models.email import OutboxEmail
from conecta.models.types import utcnow
from tests.browser.axe import assert_accessible
from tests.support import smtp as mail
from tests.support.factories import PASSWORD
from tests.support.smtp import run_mail_worker, text_parts

smtp_server = mail.smtp_server  # the fixture, for this module's tests
NEW = "my-own-secret-pass"


@pytest.fixture
def mailbox(app, smtp_server) -> Iterator[mail.SmtpServer]:
    """Jobs the live server enqueues run here (`run_mail_worker`) and deliver to the test's server."""
    app.config.update(smtp_server.config())
    yield smtp_server


def _link_to(mailbox: mail.SmtpServer, address: str) -> str:
    """The path of the password link in the latest message to `address`."""
    run_mail_worker()
    mine = [m.message for m in mailbox.messages if address in m.envelope_to]
    assert mine, f"no email to {address}"
    text = text_parts(mine[-1])["text/plain"]
    return re.search(r"https?://[^/\s]+(/(?:password|portal/invite)/\S+)", text).group(1)


def _set_password(page: Page, path: str) -> None:
    page.goto(path)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Confirm password", exact=True).fill(NEW)
    page.get_by_role("button", name="Set password").click()


def _refused(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()


def test_an_invited_team_member_sets_their_own_password_once(app, acme, mailbox, page: Page, sign_in) -> None:
    sign_in(page, acme.admin.email, PASSWORD)
    page.goto("/settings/team")
    expect(page.get_by_label("Password")).to_have_count(0)  # the admin never types one
    page.get_by_label("Name").fill("Nora New")
    page.get_by_label("Email").fill("nora@acme.test")
    page.get_by_role("button", name="Add and send invite").click()
    expect(
        page.get_by_text("an invite to set their password is on its way to nora@acme.test")
    ).to_be_visible()
    expect(page.locator("#member-" + str(_user_id("nora@acme.test")))).to_contain_text("Invited")

    path = _link_to(mailbox, "nora@acme.test")
    page.context.clear_cookies()
    page.goto(path)
    expect(page.get_by_role("heading", name="Welcome, Nora New")).to_be_visible()
    assert_accessible(page, "set your password from an invite")
    _set_password(page, path)
    expect(page).to_have_url(re.compile(r"/calendar/"))
    expect(page.get_by_text("Your password is set. Welcome!")).to_be_visible()

    page.context.clear_cookies()
    _refused(page, path)  # used once: refused
    nora = db.session.get(User, _user_id("nora@acme.test"))
    week_ago = time.time() - app.config["PORTAL_INVITE_MAX_AGE"] - 60
    _refused(page, f"/password/{links.make_token(nora, links.INVITE, issued_at=week_ago)}")
    sign_in(page, "nora@acme.test", NEW)
    expect(page).to_have_url(re.compile(r"/calendar/"))


def _user_id(email: str) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(User.id).filter_by(email=email))


def test_a_client_resets_a_forgotten_password_once(acme, mailbox, page: Page) -> None:
    page.goto("/portal/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email").fill(acme.client.email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page, "forgot password, the answer")

    path = _link_to(mailbox, acme.client.email)
    assert path.startswith("/portal/invite/")
    page.goto(path)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    _set_password(page, path)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_text("Your password is changed.")).to_be_visible()

    page.context.clear_cookies()
    _refused(page, path)
    db.session.refresh(acme.client)
    over_an_hour_ago = time.time() - 3600 - 60
    _refused(page, f"/portal/invite/{links.make_token(acme.client, links.RESET, issued_at=over_an_hour_ago)}")
    page.goto("/portal/login")
    page.get_by_label("Email").fill(acme.client.email)
    page.get_by_label("Password").fill(NEW)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))


def test_a_cancellation_without_email_the_client_sends_nothing(acme, mailbox, page: Page, sign_in) -> None:
    appointment = mail.book(acme, utcnow().replace(microsecond=0) + timedelta(days=3))
    run_mail_worker()  # the confirmation went out: a cancellation would be owed
    assert [m.envelope_to for m in mailbox.messages] == [[acme.client.email]]

    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(f"/calendar/appointments/{appointment.id}")
    page.get_by_role("link", name="Cancel booking").click()
    dialog = page.get_by_role("dialog", name="Cancel this booking?")
    expect(dialog.get_by_label("Email the client")).to_be_checked()
    dialog.get_by_label("Reason (optional)").fill("Sam is away at a congress")
    dialog.get_by_label("Email the client").uncheck()
    assert_accessible(page, "cancel confirmation with a reason and the email choice")
    dialog.get_by_role("button", name="Yes, cancel booking").click()
    expect(page.get_by_text("No email goes to the client.")).to_be_visible()
    drawer = page.locator("#event-drawer")
    expect(drawer).to_contain_text("Sam is away at a congress")  # refreshed by appointment-saved
    page.keyboard.press("Escape")
    drawer.get_by_text("History").click()
    expect(drawer.get_by_text("Appointment cancelled · Sam Staff")).to_be_visible()
    assert_accessible(page, "event drawer of a cancelled appointment, its history open")

    run_mail_worker()
    assert len(mailbox.messages) == 1  # still only the confirmation
    kinds = db.session.scalars(db.select(OutboxEmail.kind).filter_by(appointment_id=appointment.id)).all()
    assert kinds == ["confirmation"]
