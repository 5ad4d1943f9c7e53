"""The Zoom sandbox tested on its own, over real HTTP: it must behave the way Zoom does.

Everything else (ZoomClient, the reconciler, the demo) trusts this sandbox, so each Zoom behaviour it
imitates, each fault kind and each control endpoint is pinned here. One sandbox process serves the whole
run (`zoom_sandbox_server`, from tests/support/zoom.py); every test starts from a reset.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.support.live_server import LiveServer
from tests.support.zoom_http import WebhookReceiver, connect
from zoom_sandbox.process import SandboxProcess


@pytest.fixture
def http(zoom_sandbox_server: SandboxProcess) -> Iterator[requests.Session]:
    """A session against a freshly reset sandbox (proxies from the environment ignored)."""
    with requests.Session() as session:
        session.trust_env = False
        assert session.post(f"{zoom_sandbox_server.url}/__sandbox/reset").status_code == 200
        yield session
        session.post(f"{zoom_sandbox_server.url}/__sandbox/reset")  # stop any webhook still retrying


@pytest.fixture
def base(zoom_sandbox_server: SandboxProcess) -> str:
    return zoom_sandbox_server.url


@pytest.fixture
def token(http: requests.Session, base: str) -> str:
    """A user-level access token of the default user (host@example.com, the account's admin)."""
    return connect(http, base)["access_token"]


@pytest.fixture
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    """A webhook endpoint of the test's own and its URL."""
    endpoint = WebhookReceiver()
    with LiveServer(endpoint) as server:
        yield endpoint, f"{server.url}/webhooks/zoom"
