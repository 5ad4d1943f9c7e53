"""The Dev mailbox in a real browser, under the Content-Security-Policy: an email's HTML (inline styles
and all) shows in its sandboxed frame, its script does not run, and another organization sees nothing."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from conecta.mail.compose import ORG_HEADER
from tests.browser.axe import assert_accessible
from tests.support.factories import PASSWORD

NAME = "20300107T170000000000Z-0123456789abcdef0123456789abcdef.eml"


@pytest.fixture
def mailbox(live_app: Flask, tmp_path: Path) -> Iterator[Path]:
    saved = live_app.config.get("MAIL_CATCHER_DIR")
    live_app.config["MAIL_CATCHER_DIR"] = str(tmp_path)
    yield tmp_path
    live_app.config["MAIL_CATCHER_DIR"] = saved


def _caught(directory: Path, org_id: int) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "Acme <no-reply@x.test>", "carla@acme.test", "Styled"
    message[ORG_HEADER] = str(org_id)
    message.set_content("plain part")
    message.add_alternative(
        '<p style="color: rgb(200, 0, 0)">Hello in red</p><script>document.title = "ran"</script>',
        subtype="html",
    )
    (directory / NAME).write_bytes(bytes(message))


def test_the_html_part_shows_in_its_frame_and_only_to_its_organization(
    acme, rival, mailbox, page: Page, sign_in
) -> None:
    _caught(mailbox, acme.org.id)
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto("/dev/mailbox")
    page.get_by_role("link", name="Styled").click()
    body = page.frame_locator('iframe[title="HTML part of the message"]').locator("p")
    expect(body).to_have_text("Hello in red")
    expect(body).to_have_css("color", "rgb(200, 0, 0)")  # the email's own inline style applies
    assert page.title() != "ran"
    assert_accessible(page, "dev mailbox, a message")

    page.context.clear_cookies()
    sign_in(page, rival.staff.email, PASSWORD)
    page.goto("/dev/mailbox")
    expect(page.get_by_text("No mail caught yet.")).to_be_visible()
    assert page.goto(f"/dev/mailbox/{NAME}").status == 404
