"""Zoom fixtures: the sandbox over real HTTP, an app pointed at it, and a real OAuth connect.

- `zoom_sandbox`: the Zoom sandbox (`python -m zoom_sandbox`, started once for the whole run by
  `zoom_sandbox.process.SandboxProcess`, the way benchmarks start it too) reset before every test; a
  `SandboxHandle` with helpers for its control API (faults, state, config, clock, users, limits,
  policies, webhooks, meetings changed on Zoom's side).
- `zoom_app`: the test `app` (same app, same context, same database as `acme`) with ZOOM_OAUTH_BASE_URL and
  ZOOM_API_BASE_URL pointing at the sandbox.
- `connect_zoom(org, user=None, mode="user")`: drives Connect (for "my Zoom user only", or "account" for
  the whole Zoom account) → the sandbox's consent page (Allow) → our callback over HTTP, exactly like an
  admin in a browser, and returns the stored `ZoomConnection`.
- `zoom_config(sandbox)`: the config overrides for a second app (`make_app(**zoom_config(zoom_sandbox))`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, g, url_for

from conecta.models.zoom import ZoomConnection, zoom_connection_for
from zoom_sandbox.process import SandboxProcess

_HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class SandboxHandle:
    """The running sandbox: its URLs and its control endpoints (`/__sandbox/...`)."""

    def __init__(self, server: SandboxProcess) -> None:
        self.server = server
        self.url = server.url
        self.oauth_base_url = server.url
        self.api_base_url = server.api_base_url
        self.http = requests.Session()
        self.http.trust_env = False  # loopback: never through a proxy from the environment

    def _control(self, method: str, path: str, **kwargs: Any) -> dict:
        response = self.http.request(method, f"{self.url}/__sandbox/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """Forget meetings, tokens, users, policies, limits, faults, webhooks, config changes, the log."""
        self._control("POST", "reset")

    def set_faults(self, **faults: Any) -> dict:
        """E.g. `set_faults(errors=[{"path": "/oauth/token", "status": 500, "count": 1}])`,
        `set_faults(latency_ms=200)`, `set_faults(expire_all_tokens=True)`. Replaces earlier faults."""
        return self._control("POST", "faults", json=faults)

    def clear_faults(self) -> None:
        self._control("DELETE", "faults")

    def release_held(self) -> None:
        """Calls held by a `held` fault rule go on now (the slow call "lands")."""
        self._control("POST", "faults/release")

    def expire_all_tokens(self) -> None:
        """Every access token issued so far is expired from now on (refresh tokens still work)."""
        self.set_faults(expire_all_tokens=True)

    def state(self) -> dict:
        """meetings, tokens {access, refresh}, refresh_count, request_log, create_update_count, faults."""
        return self._control("GET", "state")

    def configure(self, **config: Any) -> dict:
        """Change the sandbox's config keys (e.g. ACCESS_TOKEN_LIFETIME=60, SCOPES="...") until reset."""
        return self._control("POST", "config", json=config)

    def advance_clock(self, seconds: float) -> dict:
        return self._control("POST", "clock", json={"advance_seconds": seconds})

    def send_webhook(self, url: str, **options: Any) -> dict:
        """Uninstall on "Zoom's side": the sandbox drops the grant and POSTs a signed app_deauthorized
        event to `url` (options: secret, timestamp, revoke). Returns {status, body} of our answer."""
        return self._control("POST", "webhook", json={"url": url, **options})

    def add_user(self, email: str, role: str = "member", **fields: Any) -> dict:
        """A new user of the Zoom account (id `sandbox-user-N` unless given)."""
        return self._control("POST", "users", json={"email": email, "role": role, **fields})

    def remove_user(self, user: str) -> dict:
        """Take a user (id or email) off the account: their meetings and grants go with them."""
        return self._control("DELETE", f"users/{user}")

    def set_limit(self, user: str, **values: int | None) -> dict:
        """One host's daily create/update `limit` (None: the default) and/or today's `used` count."""
        return self._control("POST", "limits", json={"user": user, **values})

    def set_policies(self, **policies: Any) -> dict:
        """Account policies, e.g. `locked_settings={"waiting_room": True}`, `require_passcode=True`."""
        return self._control("POST", "policies", json=policies)

    def configure_webhooks(self, **settings: Any) -> dict:
        """url, secret, retry_delays, timeout_seconds, delay_seconds, duplicate, hold."""
        return self._control("POST", "webhooks", json=settings)

    def webhook_deliveries(self) -> list[dict]:
        return self._control("GET", "webhooks/deliveries")["deliveries"]

    def wait_for_webhooks(self, timeout: float = 30.0) -> None:
        """Until every queued webhook was delivered or gave up (held ones must be released first)."""
        answer = self.http.post(
            f"{self.url}/__sandbox/webhooks/wait", json={"timeout_seconds": timeout}, timeout=timeout + 10
        )
        assert answer.status_code == 200, f"webhooks still unfinished: {answer.text}"

    def release_webhooks(self, order: str = "sent") -> int:
        return self._control("POST", "webhooks/release", json={"order": order})["released"]

    def update_meeting(self, meeting_id: int, **changes: Any) -> dict:
        """Change a meeting on Zoom's side (as its host, or `operator=`): sends meeting.updated."""
        return self._control("POST", f"meetings/{meeting_id}/update", json=changes)

    def delete_meeting(self, meeting_id: int, **options: Any) -> dict:
        """Delete a meeting on Zoom's side (`permanently=True`, `operator=`): sends meeting.deleted."""
        return self._control("POST", f"meetings/{meeting_id}/delete", json=options)

    def requests_to(self, path: str, method: str | None = None) -> list[dict]:
        """The request log entries for one path (and method), oldest first."""
        return [
            entry
            for entry in self.state()["request_log"]
            if entry["path"] == path and (method is None or entry["method"] == method)
        ]


def zoom_config(sandbox: SandboxHandle) -> dict[str, str]:
    """Config overrides that point an app at the sandbox (for `make_app(**zoom_config(zoom_sandbox))`)."""
    return {"ZOOM_OAUTH_BASE_URL": sandbox.oauth_base_url, "ZOOM_API_BASE_URL": sandbox.api_base_url}


@pytest.fixture(scope="session")
def zoom_sandbox_server() -> Iterator[SandboxProcess]:
    """One sandbox process for the whole run (cheap to reset, so tests never share its state)."""
    with SandboxProcess() as server:
        yield server


@pytest.fixture
def zoom_sandbox(zoom_sandbox_server: SandboxProcess) -> Iterator[SandboxHandle]:
    """The Zoom sandbox, freshly reset, over real HTTP."""
    handle = SandboxHandle(zoom_sandbox_server)
    handle.reset()
    yield handle
    handle.reset()
    handle.http.close()


@pytest.fixture
def zoom_app(app: Flask, zoom_sandbox: SandboxHandle) -> Flask:
    """The test app (context pushed, same database as `acme`) talking to the sandbox."""
    app.config.update(zoom_config(zoom_sandbox))
    app.extensions.pop("zoom_oauth", None)  # rebuilt from the new base URLs on first use

    @app.before_request
    def _forget_cached_user() -> None:
        # Test requests reuse the test's app context, so `g` outlives a request and Flask-Login would
        # keep the first client's user for every later client. Real requests each get a fresh `g`.
        g.pop("_login_user", None)

    return app


def consent(sandbox: SandboxHandle, authorize_url: str, decision: str = "allow") -> str:
    """Open the sandbox's consent page like a browser and click Allow (or Decline).

    Returns where Zoom sends the browser back: our callback URL with `code` and `state` (or `error`).
    """
    page = sandbox.http.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    fields = {name: html.unescape(value) for name, value in _HIDDEN_INPUT.findall(page.text)}
    answer = sandbox.http.post(
        f"{sandbox.url}/oauth/authorize",
        data={**fields, "decision": decision},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["Location"]


def local_path(url: str) -> str:
    """The path and query of one of our own absolute URLs, for the Flask test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def connect_zoom(zoom_app: Flask, zoom_sandbox: SandboxHandle):
    """`connect_zoom(org, user=None, mode="user") -> ZoomConnection`: a real OAuth connect against the
    sandbox, in user mode or in account ("account": the admin scopes) mode.

    `org` is an Organization or an OrgBundle (`acme`); `user` defaults to the bundle's admin.
    """

    def connect(org: Any, user: Any = None, mode: str = "user") -> ZoomConnection:
        if user is None:
            user = org.admin
        organization = getattr(org, "org", org)
        http = zoom_app.test_client(user=user)
        with zoom_app.test_request_context():
            start_url = url_for("settings.zoom_connect")
        started = http.post(start_url, data={"mode": mode})
        assert started.status_code == 303, started.text
        back = consent(zoom_sandbox, started.headers["Location"])
        finished = http.get(local_path(back))
        assert finished.status_code == 303, finished.text
        connection = zoom_connection_for(organization.id)
        assert connection is not None, "the OAuth callback stored no connection"
        return connection

    return connect


__all__ = [
    "SandboxHandle",
    "connect_zoom",
    "consent",
    "local_path",
    "zoom_app",
    "zoom_config",
    "zoom_sandbox",
    "zoom_sandbox_server",
]
