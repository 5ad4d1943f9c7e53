"""Connecting and disconnecting Zoom in a real browser, with the Zoom sandbox's consent page in between."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from conecta import create_app
from conecta.extensions import db
from conecta.models.zoom import zoom_connection_for
from tests.browser.axe import assert_accessible
from tests.conftest import _test_config
from tests.support.factories import PASSWORD
from tests.support.live_server import LiveServer
from zoom_sandbox.process import SandboxProcess


@pytest.fixture(scope="module")
def live_app(database_url: str, zoom_sandbox_server: SandboxProcess) -> Iterator[Flask]:
    """This module's live app: as tests/browser/conftest.py's, but talking to the Zoom sandbox."""
    app = create_app(
        _test_config(
            database_url,
            WTF_CSRF_ENABLED=True,
            ZOOM_OAUTH_BASE_URL=zoom_sandbox_server.url,
            ZOOM_API_BASE_URL=f"{zoom_sandbox_server.url}/v2",
        )
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app: Flask) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        live_app.config["CONECTA_BASE_URL"] = server.url  # Zoom's redirect_uri comes back here
        yield server


def test_admin_connects_zoom_then_disconnects_after_confirming(
    acme, zoom_sandbox, page: Page, sign_in, live_server: LiveServer
) -> None:
    sign_in(page, acme.admin.email, PASSWORD)
    page.goto("/settings/integrations")
    card = page.locator("#zoom-card")
    expect(card.get_by_text("Not connected")).to_be_visible()

    card.get_by_role("button", name="Connect my Zoom user only").click()
    # Zoom's consent page (the sandbox): the app asks for access; the admin allows it.
    expect(page).to_have_url(re.compile(rf"^{re.escape(zoom_sandbox.url)}/oauth/authorize\?"))
    expect(page.get_by_role("heading", name=re.compile("Allow Conecta"))).to_be_visible()
    page.get_by_role("button", name="Allow").click()

    expect(page).to_have_url(f"{live_server.url}/settings/integrations")
    expect(page.get_by_role("status").filter(has_text="Connected as host@example.com.")).to_be_visible()
    expect(card.get_by_text("Connected as host@example.com", exact=True)).to_be_visible()
    expect(card.get_by_text("Ada Admin")).to_have_count(2)  # connected by, and the activity line
    assert_accessible(page, "settings, integrations (connected)")
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id) is not None

    card.get_by_role("link", name="Disconnect").click()
    dialog = page.get_by_role("alertdialog", name="Disconnect Zoom?")
    expect(dialog).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/settings/integrations")  # swapped in place, no navigation
    expect(dialog.get_by_role("heading", name="Disconnect Zoom?")).to_be_focused()  # app.js: focus in
    assert_accessible(page, "settings, Zoom disconnect confirmation")
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id) is not None  # asking changed nothing

    dialog.get_by_role("button", name="Yes, disconnect").click()
    expect(card.get_by_role("button", name="Connect my Zoom user only")).to_be_visible()
    expect(card.get_by_text("Zoom is disconnected.")).to_be_visible()
    expect(dialog).to_have_count(0)
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id, live_only=False) is None
    assert zoom_sandbox.state()["tokens"]["refresh"] == []  # revoked at Zoom


def test_cancel_keeps_the_connection(acme, zoom_sandbox, page: Page, sign_in) -> None:
    sign_in(page, acme.admin.email, PASSWORD)
    page.goto("/settings/integrations")
    page.get_by_role("button", name="Connect my Zoom user only").click()
    page.get_by_role("button", name="Allow").click()
    card = page.locator("#zoom-card")
    expect(card.get_by_text("Connected as host@example.com", exact=True)).to_be_visible()

    card.get_by_role("link", name="Disconnect").click()
    page.get_by_role("alertdialog", name="Disconnect Zoom?").get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(card.get_by_role("link", name="Disconnect")).to_be_visible()
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id) is not None


def test_declining_on_zoom_says_so_and_stores_nothing(acme, zoom_sandbox, page: Page, sign_in) -> None:
    sign_in(page, acme.admin.email, PASSWORD)
    page.goto("/settings/integrations")
    page.get_by_role("button", name="Connect my Zoom user only").click()
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_role("status").filter(has_text="access was declined")).to_be_visible()
    expect(page.locator("#zoom-card").get_by_role("button", name="Connect my Zoom user only")).to_be_visible()
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id, live_only=False) is None
