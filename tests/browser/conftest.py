"""Browser tests: Conecta served over real HTTP (CSRF on, as in production), driven by Debian's Chromium
through Playwright. No browser is ever downloaded.

The live server uses this run's database, so a test creates data with the usual fixtures (`acme`, ...),
which commit, and then drives the browser; rows are wiped after each test as everywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from conecta import create_app
from conecta.extensions import db
from tests.conftest import _test_config
from tests.support.live_server import LiveServer
from tests.support.worker import fresh_namespace
from tests.support.zoom import zoom_config

CHROMIUM = os.environ.get("CONECTA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).resolve().parent
# Every wait in a browser test is a condition with this limit: the machine is small and often busy.
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)


def pytest_terminal_summary(terminalreporter) -> None:
    """axe's moderate and minor findings of the run (tests/browser/axe.py): listed, not failed."""
    from tests.browser.axe import LISTED

    if LISTED:
        terminalreporter.section("axe: moderate and minor findings (to fix; they do not fail the run)")
        for entry in LISTED:
            terminalreporter.write_line(entry)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser/ carries the `browser` marker (`-m "not browser"` skips them all)."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app as a browser meets it: CSRF protection on, on the same database as the `app` fixture."""
    app = create_app(_test_config(database_url, WTF_CSRF_ENABLED=True))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        live_app.config["CONECTA_BASE_URL"] = server.url  # links made for outside point back here
        yield server


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does it when it can).")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def zoom_live_app(live_app: Flask, zoom_sandbox) -> Iterator[Flask]:
    """The live server's app pointed at the sandbox, with job queues and panel waiting slots of its own
    for this test."""
    keys = ("ZOOM_OAUTH_BASE_URL", "ZOOM_API_BASE_URL", "CONECTA_QUEUE")
    keys += ("ZOOM_PANEL_WAIT_SLOTS", "ZOOM_PANEL_WAIT_SECONDS")
    saved = {k: live_app.config[k] for k in keys}
    live_app.config.update(zoom_config(zoom_sandbox))
    live_app.extensions.pop("zoom_oauth", None)
    live_app.extensions.pop("zoom_panel_slots", None)
    fresh_namespace(live_app)
    yield live_app
    live_app.config.update(saved)
    live_app.extensions.pop("zoom_oauth", None)
    live_app.extensions.pop("zoom_panel_slots", None)


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose relative URLs go to the live server.

    Whatever the test does, the Content-Security-Policy must not have refused anything on the way:
    Chromium reports each refusal on the console, and the test fails on any."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    context.close()
    assert refused == [], "the Content-Security-Policy refused something:\n" + "\n".join(refused)


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in as staff or admin the way a person does: the form, by its labels."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture(name="sign_in")
def sign_in_fixture() -> Callable[[Page, str, str], None]:
    """`sign_in(page, email, password)` for tests that prefer fixtures to imports."""
    return sign_in


__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "expect", "sign_in"]
