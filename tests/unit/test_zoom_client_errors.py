"""How ZoomClient maps Zoom's answers to our exceptions (HTTP faked with `responses`; no DB, no Redis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from flask import Flask

from conecta.zoom import recovery
from conecta.zoom.client import ZoomClient
from conecta.zoom.errors import (
    ZoomAuthError,
    ZoomError,
    ZoomNotConnected,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRequestError,
    ZoomTransientError,
    ZoomUserMissing,
    parse_retry_after,
)
from conecta.zoom.tokens import Grant

API = "https://api.zoom.test/v2"
TOKEN = "secret-access-token-" + "x" * 40
FRESH = "fresh-access-token-" + "y" * 40


@pytest.fixture
def zoom(monkeypatch):
    """A ZoomClient whose token comes from a stub (token storage is tested against the sandbox)."""
    app = Flask(__name__)
    app.config.update(
        ZOOM_API_BASE_URL=API,
        ZOOM_OAUTH_BASE_URL="https://zoom.test",
        ZOOM_CLIENT_ID="id",
        ZOOM_CLIENT_SECRET="secret",
    )
    refreshes: list[str | None] = []
    monkeypatch.setattr(Grant, "access_token", lambda self: TOKEN)

    def refresh(self, stale_token):
        refreshes.append(stale_token)
        return FRESH

    monkeypatch.setattr(Grant, "refresh", refresh)
    # How calls went feeds the recovery marks in Redis (tested against a real one in integration).
    monkeypatch.setattr(recovery, "call_failed", lambda org_id, exc: None)
    monkeypatch.setattr(recovery, "call_succeeded", lambda org_id: None)
    with app.app_context(), responses.RequestsMock() as mock:
        client = ZoomClient(1)
        client.refreshes = refreshes
        client.mock = mock
        yield client


def _answer(zoom, status, body=None, headers=None, method="GET", path="/users/me"):
    zoom.mock.add(method, f"{API}{path}", json=body, status=status, headers=headers or {})


MAPPING = [
    (404, {"code": 3001, "message": "Meeting does not exist: 81234567890."}, ZoomNotFound, 3001),
    # A host removed from the Zoom account: Zoom says 1001 with a 404 or a 400.
    (404, {"code": 1001, "message": "User does not exist: me."}, ZoomUserMissing, 1001),
    (400, {"code": 1001, "message": "User does not exist: sofia@example.com."}, ZoomUserMissing, 1001),
    (400, {"code": 300, "message": "Invalid field: start_time."}, ZoomRequestError, 300),
    (400, {"code": 3000, "message": "Cannot update a meeting that has started."}, ZoomRequestError, 3000),
    (400, {"code": 3002, "message": "Meeting is in progress."}, ZoomRequestError, 3002),
    (
        400,
        {"code": 4711, "message": "Invalid access token, does not contain scopes."},
        ZoomRequestError,
        4711,
    ),
    (401, {"code": 4700, "message": "Invalid access token, does not contain scopes."}, ZoomAuthError, 4700),
    (500, {"code": 500, "message": "Internal error."}, ZoomTransientError, None),
    (502, None, ZoomTransientError, None),
    (503, {"code": 503, "message": "Service unavailable."}, ZoomTransientError, None),
]


@pytest.mark.parametrize(("status", "body", "error", "code"), MAPPING)
def test_status_and_code_map_to_our_exceptions(zoom, status, body, error, code):
    _answer(zoom, status, body)
    with pytest.raises(error) as caught:
        zoom.me()
    assert type(caught.value) is error
    assert caught.value.status == status
    if code is not None:
        assert caught.value.code == code
    assert f"HTTP {status}" in caught.value.message
    assert TOKEN not in str(caught.value)
    assert zoom.refreshes == []  # only 401/124 refreshes


def test_a_missing_scope_says_to_reconnect(zoom):
    _answer(zoom, 400, {"code": 4711, "message": "Invalid access token, does not contain scopes."})
    with pytest.raises(ZoomRequestError, match="Reconnect Zoom"):
        zoom.me()


def test_401_code_124_refreshes_once_and_retries_once(zoom):
    _answer(zoom, 401, {"code": 124, "message": "Access token is expired."})
    _answer(zoom, 200, {"id": "u1"})
    assert zoom.me() == {"id": "u1"}
    assert zoom.refreshes == [TOKEN]
    sent = [call.request.headers["Authorization"] for call in zoom.mock.calls]
    assert sent == [f"Bearer {TOKEN}", f"Bearer {FRESH}"]


def test_a_second_401_after_the_refresh_is_an_auth_error_not_a_loop(zoom):
    _answer(zoom, 401, {"code": 124, "message": "Invalid access token."})
    _answer(zoom, 401, {"code": 124, "message": "Invalid access token."})
    with pytest.raises(ZoomAuthError):
        zoom.me()
    assert zoom.refreshes == [TOKEN] and len(zoom.mock.calls) == 2


def test_per_second_429_honours_retry_after_seconds(zoom):
    headers = {"Retry-After": "2", "X-RateLimit-Type": "QPS", "X-RateLimit-Category": "Light"}
    _answer(
        zoom, 429, {"code": 429, "message": "You have reached the maximum per-second rate limit."}, headers
    )
    with pytest.raises(ZoomRateLimited) as caught:
        zoom.me()
    assert caught.value.retry_after == 2.0
    assert caught.value.daily is False and caught.value.resume_at is None


def test_daily_429_with_an_iso_retry_after(zoom):
    resume = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    headers = {"Retry-After": resume.strftime("%Y-%m-%dT%H:%M:%SZ"), "X-RateLimit-Type": "Daily-limit"}
    message = "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests"
    _answer(zoom, 429, {"code": 429, "message": message}, headers, method="POST", path="/users/me/meetings")
    with pytest.raises(ZoomRateLimited) as caught:
        zoom.create_meeting({"topic": "x"})
    limit = caught.value
    assert limit.daily and limit.resume_at == resume
    assert 0 < limit.retry_after <= 24 * 3600
    assert "daily limit" in limit.message and "00:00 GMT" in limit.message


def test_daily_429_recognised_from_the_message_alone(zoom):
    message = "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests"
    _answer(zoom, 429, {"code": 429, "message": message})
    with pytest.raises(ZoomRateLimited) as caught:
        zoom.me()
    limit = caught.value
    assert limit.daily
    assert (limit.resume_at.hour, limit.resume_at.minute, limit.resume_at.tzinfo) == (0, 0, UTC)
    assert limit.resume_at > datetime.now(UTC)


@pytest.mark.parametrize(
    ("value", "seconds", "absolute"),
    [
        ("3", 3.0, False),
        ("0.5", 0.5, False),
        ("2030-01-08T00:00:00Z", 3600.0, True),
        ("Tue, 08 Jan 2030 00:00:00 GMT", 3600.0, True),
        ("2020-01-01T00:00:00Z", 0.0, True),  # already past: retry now
        ("whenever", None, False),
        (None, None, False),
    ],
)
def test_retry_after_as_seconds_or_a_time(value, seconds, absolute):
    now = datetime(2030, 1, 7, 23, 0, tzinfo=UTC)
    wait, when = parse_retry_after(value, now)
    assert wait == seconds
    assert (when is not None) == absolute


@pytest.mark.parametrize(
    "failure",
    [requests.ConnectTimeout, requests.ReadTimeout, requests.ConnectionError],
)
def test_network_failures_are_transient(zoom, failure):
    zoom.mock.add("GET", f"{API}/users/me", body=failure(f"failed talking to {API}/users/me?secret=1"))
    with pytest.raises(ZoomTransientError) as caught:
        zoom.me()
    assert "secret" not in caught.value.message and API not in caught.value.message
    assert caught.value.__cause__ is None  # the original text (with URLs) is not chained along


def test_token_shaped_text_in_zoom_messages_is_redacted(zoom):
    _answer(zoom, 400, {"code": 300, "message": f"Invalid field: {TOKEN}"})
    with pytest.raises(ZoomRequestError) as caught:
        zoom.me()
    assert TOKEN not in caught.value.message and "[redacted]" in caught.value.message


def test_meeting_ids_are_path_escaped(zoom):
    zoom.mock.add("DELETE", f"{API}/meetings/..%2Fusers%2Fme", status=204)
    zoom.delete_meeting("../users/me")
    assert zoom.mock.calls[0].request.url == f"{API}/meetings/..%2Fusers%2Fme"


def test_every_exception_is_a_zoom_error_with_a_message():
    for error in (ZoomAuthError, ZoomNotFound, ZoomRequestError, ZoomTransientError):
        exc = error("Zoom answered HTTP 400: nope", 400, 300)
        assert isinstance(exc, ZoomError) and str(exc) == "Zoom answered HTTP 400: nope"
    limited = ZoomRateLimited("slow down", retry_after=2.5)
    assert (limited.status, limited.retry_after, limited.daily, limited.resume_at) == (429, 2.5, False, None)
    assert ZoomNotConnected("not connected").needs_reconnect is False
