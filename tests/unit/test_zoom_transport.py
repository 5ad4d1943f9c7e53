"""The Zoom transport's HTTP session is kept per thread across jobs (its connections reused), so it must
carry nothing from one call to the next but the connection: no cookies (HTTP faked with `responses`)."""

from __future__ import annotations

import threading

import responses
from flask import Flask

from conecta.zoom.transport import Transport, environment

API = "https://api.zoom.test/v2"


def _transport(app: Flask) -> Transport:
    with app.app_context():
        return Transport(5.0)


def test_the_session_is_kept_per_thread_and_keeps_no_cookies():
    app = Flask(__name__)
    app.config.update(ZOOM_API_BASE_URL=API, ZOOM_OAUTH_BASE_URL="https://zoom.test")
    app.config.update(ZOOM_CLIENT_ID="id", ZOOM_CLIENT_SECRET="secret")
    first, second = _transport(app), _transport(app)
    assert first.http is second.http  # one session for this thread's jobs

    with responses.RequestsMock() as mock:
        mock.get(f"{API}/users/me", json={}, headers={"Set-Cookie": "zm_aid=org-one; Domain=api.zoom.test"})
        mock.get(f"{API}/users/me", json={})
        first.send("GET", API, "/users/me", operation="get_user", timeout=None)
        second.send("GET", API, "/users/me", operation="get_user", timeout=None)
        assert len(first.http.cookies) == 0
        assert "Cookie" not in mock.calls[1].request.headers

    other: list[Transport] = []
    thread = threading.Thread(target=lambda: other.append(_transport(app)))
    thread.start()
    thread.join()
    assert other[0].http is not first.http  # requests.Session is not shared between threads


def test_the_environment_is_read_once_and_still_honoured(monkeypatch):
    """Proxy variables, NO_PROXY and a CA bundle are looked up once per base URL, not on every call (the
    session does not trust the environment itself), and what they say still applies."""
    environment.cache_clear()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.clinic.test:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,sandbox.test")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/clinic-ca.pem")
    try:
        assert environment(API)["proxies"]["https"] == "http://proxy.clinic.test:3128"
        assert environment(API)["verify"] == "/etc/clinic-ca.pem"
        assert environment("http://sandbox.test:8008/v2")["proxies"] == {}  # NO_PROXY
        monkeypatch.delenv("HTTPS_PROXY")
        assert environment(API)["proxies"]["https"] == "http://proxy.clinic.test:3128"  # read once
    finally:
        environment.cache_clear()

    app = Flask(__name__)
    app.config.update(ZOOM_API_BASE_URL=API, ZOOM_OAUTH_BASE_URL="https://zoom.test")
    app.config.update(ZOOM_CLIENT_ID="id", ZOOM_CLIENT_SECRET="secret")
    assert _transport(app).http.trust_env is False
