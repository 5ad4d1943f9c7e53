"""The Zoom sandbox over real HTTP: it must behave the way FACTS.md says Zoom does.

Everything else (ZoomClient, the reconciler, the demo) trusts this sandbox, so each documented Zoom
behaviour and each fault kind is pinned here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.live_server import LiveServer
from zoom_sandbox.process import SandboxProcess

CLIENT = ("sandbox-client-id", "sandbox-client-secret")
REDIRECT_URI = "http://conecta.test/settings/integrations/zoom/callback"
MEETINGS = "/v2/users/me/meetings"


@pytest.fixture
def http(zoom_sandbox_server: SandboxProcess) -> Iterator[requests.Session]:
    """A session against a freshly reset sandbox (proxies from the environment ignored)."""
    with requests.Session() as session:
        session.trust_env = False
        assert session.post(f"{zoom_sandbox_server.url}/__sandbox/reset").status_code == 200
        yield session


@pytest.fixture
def base(zoom_sandbox_server: SandboxProcess) -> str:
    return zoom_sandbox_server.url


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def consent(
    http: requests.Session, base: str, decision: str = "allow", **params: str
) -> dict[str, list[str]]:
    """Open the consent page, submit its own form with the chosen button; return the redirect's query."""
    query = {"response_type": "code", "client_id": CLIENT[0], "redirect_uri": REDIRECT_URI, "state": "st-1"}
    page = http.get(f"{base}/oauth/authorize", params={**query, **params})
    assert page.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    fields = {name: html.unescape(value) for name, value in fields.items()}
    answer = http.post(
        f"{base}/oauth/authorize", data={**fields, "decision": decision}, allow_redirects=False
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return parse_qs(urlsplit(location).query)


def exchange(http: requests.Session, base: str, code: str, **extra: str) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra}
    return http.post(f"{base}/oauth/token", auth=CLIENT, data=data)


def refresh(http: requests.Session, base: str, refresh_token: str) -> requests.Response:
    return http.post(
        f"{base}/oauth/token",
        auth=CLIENT,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )


def connect(http: requests.Session, base: str) -> dict[str, Any]:
    """The whole consent → token dance with PKCE, as Conecta's Authlib client performs it."""
    verifier = "v" * 43
    code = consent(http, base, code_challenge=s256(verifier), code_challenge_method="S256")["code"][0]
    answer = exchange(http, base, code, code_verifier=verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def token(http: requests.Session, base: str) -> str:
    return connect(http, base)["access_token"]


def api(
    http: requests.Session, base: str, token: str, method: str, path: str, **kwargs: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return http.request(method, base + path, headers=headers, **kwargs)


def create(http: requests.Session, base: str, token: str, **fields: Any) -> dict[str, Any]:
    body = {
        "topic": "Consultation",
        "type": 2,
        "start_time": "2099-01-05T15:00:00Z",
        "duration": 30,
        **fields,
    }
    answer = api(http, base, token, "POST", MEETINGS, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def sandbox_json(http: requests.Session, base: str, method: str, path: str, body: Any = None) -> Any:
    answer = http.request(method, f"{base}/__sandbox/{path}", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


# ---- OAuth -------------------------------------------------------------------------------------------


def test_consent_page_names_the_app_and_scopes_and_offers_allow_and_decline(http, base):
    page = http.get(
        f"{base}/oauth/authorize",
        params={"response_type": "code", "client_id": CLIENT[0], "redirect_uri": REDIRECT_URI, "state": "s"},
    )
    assert page.status_code == 200
    assert "Conecta" in page.text and "meeting:write:meeting" in page.text and "user:read:user" in page.text
    assert re.search(r"<button[^>]*>Allow</button>", page.text)
    assert re.search(r"<button[^>]*>Decline</button>", page.text)
    assert '<form method="post" action="/oauth/authorize">' in page.text


def test_authorization_code_with_pkce_gives_zoom_shaped_tokens_that_open_the_api(http, base):
    tokens = connect(http, base)
    assert set(tokens) == {"access_token", "token_type", "refresh_token", "expires_in", "scope", "api_url"}
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3599 and tokens["api_url"] == base
    assert "meeting:delete:meeting" in tokens["scope"].split()
    assert len(tokens["access_token"]) > 500  # Zoom's tokens are long JWTs: columns must fit them
    me = api(http, base, tokens["access_token"], "GET", "/v2/users/me")
    assert me.status_code == 200
    assert {k: me.json()[k] for k in ("id", "email", "account_id", "type")} == {
        "id": "sandbox-user-1",
        "email": "host@example.com",
        "account_id": "sandbox-account-1",
        "type": 1,
    }


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"code_verifier": "w" * 43}, id="wrong-verifier"),
        pytest.param({}, id="missing-verifier"),
        pytest.param(
            {"code_verifier": "v" * 43, "redirect_uri": "http://evil.test/cb"}, id="wrong-redirect-uri"
        ),
    ],
)
def test_token_exchange_refuses_a_code_it_cannot_trust(http, base, extra):
    code = consent(http, base, code_challenge=s256("v" * 43), code_challenge_method="S256")["code"][0]
    answer = exchange(http, base, code, **extra)
    assert answer.status_code == 400
    assert answer.json() == {"reason": "Invalid authorization code", "error": "invalid_grant"}


def test_code_is_single_use_and_lives_five_minutes(http, base):
    code = consent(http, base)["code"][0]
    assert exchange(http, base, code).status_code == 200
    assert exchange(http, base, code).json()["error"] == "invalid_grant"

    late = consent(http, base)["code"][0]
    sandbox_json(http, base, "POST", "clock", {"advance_seconds": 301})
    assert exchange(http, base, late).json() == {
        "reason": "Invalid authorization code",
        "error": "invalid_grant",
    }


def test_client_credentials_by_basic_auth_or_form_and_bad_ones_are_invalid_client(http, base):
    code = consent(http, base)["code"][0]
    wrong = http.post(
        f"{base}/oauth/token",
        auth=(CLIENT[0], "nope"),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    in_form = http.post(
        f"{base}/oauth/token",
        data={"grant_type": "authorization_code", "code": consent(http, base)["code"][0]}
        | {"redirect_uri": REDIRECT_URI, "client_id": CLIENT[0], "client_secret": CLIENT[1]},
    )
    assert in_form.status_code == 200 and in_form.json()["token_type"] == "bearer"


def test_unknown_client_id_gets_an_error_page_not_a_redirect(http, base):
    page = http.get(
        f"{base}/oauth/authorize",
        params={"response_type": "code", "client_id": "someone-else", "redirect_uri": REDIRECT_URI},
        allow_redirects=False,
    )
    assert page.status_code == 400 and "Location" not in page.headers


def test_decline_redirects_back_with_access_denied_and_the_state(http, base):
    assert consent(http, base, decision="decline") == {"error": ["access_denied"], "state": ["st-1"]}


def test_refresh_rotates_the_refresh_token_and_the_old_one_dies(http, base):
    first = connect(http, base)
    second = refresh(http, base, first["refresh_token"])
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]

    reused = refresh(http, base, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}
    assert sandbox_json(http, base, "GET", "state")["refresh_count"] == 1

    assert refresh(http, base, second["refresh_token"]).status_code == 200
    assert sandbox_json(http, base, "GET", "state")["refresh_count"] == 2


def test_a_new_authorization_revokes_the_users_older_tokens(http, base):
    old = connect(http, base)
    new = connect(http, base)
    assert api(http, base, old["access_token"], "GET", "/v2/users/me").json()["code"] == 124
    assert refresh(http, base, old["refresh_token"]).json()["error"] == "invalid_grant"
    assert api(http, base, new["access_token"], "GET", "/v2/users/me").status_code == 200


def test_revoke_kills_the_access_token_and_its_refresh_token(http, base):
    tokens = connect(http, base)
    answer = http.post(f"{base}/oauth/revoke", auth=CLIENT, data={"token": tokens["access_token"]})
    assert answer.status_code == 200 and answer.json() == {"status": "success"}
    assert api(http, base, tokens["access_token"], "GET", "/v2/users/me").status_code == 401
    assert refresh(http, base, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert sandbox_json(http, base, "GET", "state")["tokens"] == {"access": [], "refresh": []}


def test_bearer_errors_are_code_124(http, base, token):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = http.get(f"{base}/v2/users/me", headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"code": 124, "message": "Invalid access token."}
    sandbox_json(http, base, "POST", "clock", {"advance_seconds": 3600})
    expired = api(http, base, token, "GET", "/v2/users/me")
    assert expired.status_code == 401
    assert expired.json() == {"code": 124, "message": "Access token is expired."}


def test_state_with_markup_survives_the_consent_form(http, base):
    assert consent(http, base, state='a"b<c>&d')["state"] == ['a"b<c>&d']


def test_a_missing_scope_is_code_4711(http, base):
    sandbox_json(http, base, "POST", "config", {"SCOPES": "meeting:write:meeting meeting:read:meeting"})
    token = connect(http, base)["access_token"]
    meeting = create(http, base, token)
    answer = api(http, base, token, "DELETE", f"/v2/meetings/{meeting['id']}")
    assert answer.status_code == 400 and answer.json()["code"] == 4711
    assert "meeting:delete:meeting" in answer.json()["message"]


# ---- meetings ----------------------------------------------------------------------------------------


def test_meeting_create_get_patch_delete(http, base, token):
    meeting = create(http, base, token, timezone="Europe/Madrid", agenda="attempt:abc123")
    assert 10**10 <= meeting["id"] < 10**11  # 11 digits: more than a 32-bit int holds
    assert meeting["host_id"] == "sandbox-user-1" and meeting["host_email"] == "host@example.com"
    assert meeting["start_time"] == "2099-01-05T15:00:00Z" and meeting["timezone"] == "Europe/Madrid"
    assert meeting["agenda"] == "attempt:abc123" and meeting["duration"] == 30 and meeting["uuid"]
    assert re.fullmatch(r"[A-Za-z0-9@_*-]{6,10}", meeting["password"])  # generated, like Zoom does
    assert meeting["join_url"].startswith(f"{base}/j/{meeting['id']}?pwd=")
    assert meeting["start_url"].startswith(f"{base}/s/{meeting['id']}?zak=")
    assert http.get(meeting["join_url"]).text.count(f"Sandbox Zoom meeting {meeting['id']}") >= 1

    path = f"/v2/meetings/{meeting['id']}"
    got = api(http, base, token, "GET", path)
    assert got.status_code == 200 and got.json()["status"] == "waiting"
    assert got.json()["topic"] == "Consultation"

    patched = api(http, base, token, "PATCH", path, json={"topic": "Follow-up", "duration": 45})
    assert patched.status_code == 204 and patched.content == b""
    after = api(http, base, token, "GET", path).json()
    assert (after["topic"], after["duration"], after["start_time"]) == (
        "Follow-up",
        45,
        "2099-01-05T15:00:00Z",
    )
    assert after["password"] == meeting["password"]  # partial update keeps the rest

    deleted = api(http, base, token, "DELETE", path)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = api(http, base, token, "GET", path)
    assert gone.status_code == 404
    assert gone.json() == {"code": 3001, "message": f"Meeting does not exist: {meeting['id']}."}


def test_a_given_password_is_honoured(http, base, token):
    meeting = create(http, base, token, password="a@b_c-d*9")
    assert meeting["password"] == "a@b_c-d*9"


def test_without_a_passcode_policy_meetings_can_have_no_password(http, base, token):
    sandbox_json(http, base, "POST", "config", {"REQUIRE_PASSCODE": False})
    meeting = create(http, base, token)
    assert "password" not in meeting and "pwd=" not in meeting["join_url"]
    assert "password" not in api(http, base, token, "GET", f"/v2/meetings/{meeting['id']}").json()


def test_another_users_meetings_are_code_1001(http, base, token):
    answer = api(http, base, token, "GET", "/v2/users/someone-else/meetings")
    assert answer.status_code == 404
    assert answer.json() == {"code": 1001, "message": "User does not exist: someone-else."}


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_meeting_is_3001(http, base, token, method):
    answer = api(http, base, token, method, "/v2/meetings/12345678901", json={"topic": "x"})
    assert answer.status_code == 404
    assert answer.json() == {"code": 3001, "message": "Meeting does not exist: 12345678901."}


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        pytest.param({"type": "two"}, "type", id="type-not-integer"),
        pytest.param({"type": 5}, "type", id="type-not-in-enum"),
        pytest.param({"topic": "x" * 201}, "topic", id="topic-too-long"),
        pytest.param({"agenda": "x" * 2001}, "agenda", id="agenda-too-long"),
        pytest.param({"password": "with space"}, "password", id="password-bad-character"),
        pytest.param({"password": "12345678901"}, "password", id="password-too-long"),
        pytest.param({"start_time": "next tuesday"}, "start_time", id="start-time-unparseable"),
        pytest.param({"start_time": "2026-02-30T10:00:00Z"}, "start_time", id="start-time-not-a-date"),
        pytest.param({"start_time": "2026-03-09T10:00:00+01:00"}, "start_time", id="start-time-offset"),
        pytest.param({"timezone": "Mars/Olympus"}, "timezone", id="unknown-timezone"),
        pytest.param({"duration": "30"}, "duration", id="duration-not-integer"),
        pytest.param({"settings": {"waiting_room": "yes"}}, "waiting_room", id="nested-setting-type"),
    ],
)
def test_invalid_bodies_are_code_300_on_create_and_update(http, base, token, body, mentions):
    created = api(http, base, token, "POST", MEETINGS, json={"topic": "t", **body})
    assert created.status_code == 400 and created.json()["code"] == 300
    assert mentions in created.json()["message"]
    meeting = create(http, base, token)
    patched = api(http, base, token, "PATCH", f"/v2/meetings/{meeting['id']}", json=body)
    assert patched.status_code == 400 and patched.json()["code"] == 300
    assert mentions in patched.json()["message"]


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b""])
def test_malformed_json_is_code_300(http, base, token, raw):
    answer = api(http, base, token, "POST", MEETINGS, data=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["code"] == 300


def test_unknown_fields_are_accepted_as_zoom_does(http, base, token):
    meeting = create(http, base, token, conecta_note="ignored", settings={"brand_new_setting": True})
    assert "conecta_note" not in meeting


@pytest.mark.parametrize(
    ("start_time", "expected"),
    [
        pytest.param("2026-03-07T09:00:00", "2026-03-07T14:00:00Z", id="local-before-dst-EST"),
        pytest.param("2026-03-09T09:00:00", "2026-03-09T13:00:00Z", id="local-after-dst-EDT"),
        pytest.param("2026-03-09T13:00:00Z", "2026-03-09T13:00:00Z", id="utc-stays-utc"),
        pytest.param("2026-11-02T09:00:00", "2026-11-02T14:00:00Z", id="local-after-dst-ends"),
    ],
)
def test_start_time_is_normalised_to_utc_across_dst(http, base, token, start_time, expected):
    meeting = create(http, base, token, start_time=start_time, timezone="America/New_York")
    assert meeting["start_time"] == expected and meeting["timezone"] == "America/New_York"


def test_patch_without_z_uses_the_meetings_time_zone(http, base, token):
    meeting = create(http, base, token, start_time="2026-03-07T14:00:00Z", timezone="America/New_York")
    path = f"/v2/meetings/{meeting['id']}"
    assert (
        api(http, base, token, "PATCH", path, json={"start_time": "2026-03-09T09:00:00"}).status_code == 204
    )
    assert api(http, base, token, "GET", path).json()["start_time"] == "2026-03-09T13:00:00Z"


def test_every_get_issues_a_fresh_start_url_that_expires_two_hours_later(http, base, token):
    meeting = create(http, base, token)
    path = f"/v2/meetings/{meeting['id']}"
    first, second = (api(http, base, token, "GET", path).json()["start_url"] for _ in range(2))
    assert len({meeting["start_url"], first, second}) == 3
    assert http.get(first).status_code == 200 and "Sandbox Zoom meeting" in http.get(first).text
    assert http.get(f"{base}/s/{meeting['id']}?zak=forged").status_code == 401

    sandbox_json(http, base, "POST", "clock", {"advance_seconds": 2 * 3600 + 1})
    assert http.get(first).status_code == 401
    token = connect(http, base)["access_token"]  # the access token has expired meanwhile too
    fresh = api(http, base, token, "GET", path).json()["start_url"]
    assert http.get(fresh).status_code == 200


def test_list_pages_through_the_hosts_meetings(http, base, token):
    created = {create(http, base, token, start_time=f"2099-01-0{day}T10:00:00Z")["id"] for day in range(1, 6)}
    past = create(http, base, token, start_time="2020-01-01T10:00:00Z")["id"]

    seen, page_token, pages = [], "", 0
    while True:
        answer = api(
            http,
            base,
            token,
            "GET",
            MEETINGS,
            params={"type": "upcoming", "page_size": 2, "next_page_token": page_token},
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["page_size"] == 2 and body["total_records"] == 5
        seen += body["meetings"]
        pages += 1
        page_token = body["next_page_token"]
        if not page_token:
            break
    assert pages == 3 and {m["id"] for m in seen} == created  # upcoming leaves the past meeting out
    assert set(seen[0]) == {
        "id", "uuid", "host_id", "topic", "type", "start_time", "duration", "timezone", "agenda", "join_url",
        "created_at",
    }  # fmt: skip
    assert [m["start_time"] for m in seen] == sorted(m["start_time"] for m in seen)

    scheduled = api(http, base, token, "GET", MEETINGS, params={"type": "scheduled", "page_size": 500}).json()
    assert scheduled["page_size"] == 300 and scheduled["next_page_token"] == ""
    assert {m["id"] for m in scheduled["meetings"]} == created | {past}
    assert api(http, base, token, "GET", MEETINGS, params={"page_size": 30}).json()["total_records"] == 6


def test_daily_create_update_limit_answers_429_until_midnight_gmt(http, base, token):
    sandbox_json(http, base, "POST", "config", {"DAILY_CREATE_UPDATE_LIMIT": 3})
    meeting = create(http, base, token)
    create(http, base, token)
    path = f"/v2/meetings/{meeting['id']}"
    assert api(http, base, token, "PATCH", path, json={"topic": "moved"}).status_code == 204

    today = datetime.strptime(sandbox_json(http, base, "GET", "state")["now"], "%Y-%m-%dT%H:%M:%SZ")
    midnight = (today + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    for method, target in (("POST", MEETINGS), ("PATCH", path)):
        answer = api(http, base, token, method, target, json={"topic": "one too many"})
        assert answer.status_code == 429
        assert answer.json() == {
            "code": 429,
            "message": "You have exceeded the daily rate limit (3) of Meeting Create/Update API requests "
            "permitted for this particular user. You may resume these requests at GMT 00:00:00.",
        }
        assert {k: answer.headers[k] for k in ("X-RateLimit-Category", "X-RateLimit-Type")} == {
            "X-RateLimit-Category": "Medium",
            "X-RateLimit-Type": "Daily-limit",
        }
        assert answer.headers["X-RateLimit-Limit"] == "3" and answer.headers["X-RateLimit-Remaining"] == "0"
        assert answer.headers["Retry-After"] == midnight
    assert api(http, base, token, "GET", path).status_code == 200  # reads are not limited
    state = sandbox_json(http, base, "GET", "state")
    assert state["create_update_count"]["sandbox-user-1"] == {today.strftime("%Y-%m-%d"): 3}

    sandbox_json(http, base, "POST", "clock", {"advance_seconds": 86400})
    token = connect(http, base)["access_token"]
    assert api(http, base, token, "PATCH", path, json={"topic": "next day"}).status_code == 204


def test_concurrent_creates_are_all_kept(http, base, token):
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda n: create(http, base, token, topic=f"parallel {n}")["id"], range(16)))
    assert len(set(ids)) == 16
    assert len(sandbox_json(http, base, "GET", "state")["meetings"]) == 16


def test_request_log_and_index_page(http, base, token):
    meeting = create(http, base, token, topic="Shown on the index")
    log = sandbox_json(http, base, "GET", "state")["request_log"]
    assert {"method": "POST", "path": MEETINGS, "status": 201} in [
        {k: e[k] for k in ("method", "path", "status")} for e in log
    ]
    assert all(e["at"] for e in log)
    index = http.get(f"{base}/")
    assert (
        index.status_code == 200 and "Shown on the index" in index.text and str(meeting["id"]) in index.text
    )


# ---- fault injection ---------------------------------------------------------------------------------


def test_latency_is_added_to_api_and_token_calls(http, base, token):
    sandbox_json(http, base, "POST", "faults", {"latency_ms": 150})
    started = time.monotonic()
    assert api(http, base, token, "GET", "/v2/users/me").status_code == 200
    assert time.monotonic() - started >= 0.15
    sandbox_json(http, base, "DELETE", "faults")
    started = time.monotonic()
    api(http, base, token, "GET", "/v2/users/me")
    assert time.monotonic() - started < 0.15


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_for_count_calls_then_recovery(http, base, token, status):
    sandbox_json(
        http,
        base,
        "POST",
        "faults",
        {"errors": [{"method": "POST", "path": MEETINGS, "status": status, "count": 2}]},
    )
    for _ in range(2):
        answer = api(http, base, token, "POST", MEETINGS, json={"topic": "t"})
        assert answer.status_code == status and answer.json()["code"] == status
    assert api(http, base, token, "GET", MEETINGS).status_code == 200  # other methods are untouched
    create(http, base, token)
    assert len(sandbox_json(http, base, "GET", "state")["meetings"]) == 1  # failed calls created nothing


def test_per_second_429_carries_retry_after_seconds(http, base, token):
    rule = {"path": r"re:/v2/meetings/\d+", "status": 429, "retry_after": 7, "count": 1}
    sandbox_json(http, base, "POST", "faults", {"errors": [rule]})
    meeting = create(http, base, token)
    answer = api(http, base, token, "GET", f"/v2/meetings/{meeting['id']}")
    assert answer.status_code == 429
    assert answer.json() == {
        "code": 429,
        "message": "You have reached the maximum per-second rate limit for this API. Try again later.",
    }
    assert answer.headers["Retry-After"] == "7" and answer.headers["X-RateLimit-Type"] == "QPS"
    assert api(http, base, token, "GET", f"/v2/meetings/{meeting['id']}").status_code == 200


def test_hang_beyond_the_client_timeout_raises_timeout(http, base, token):
    # A read-only call: the hung request still completes on the server after this test has moved on.
    rule = {"method": "GET", "path": "/v2/users/me", "hang_seconds": 0.6, "count": 1}
    sandbox_json(http, base, "POST", "faults", {"errors": [rule]})
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        api(http, base, token, "GET", "/v2/users/me", timeout=0.3)
    assert time.monotonic() - started < 0.6
    assert api(http, base, token, "GET", "/v2/users/me", timeout=0.3).status_code == 200  # then normal


def test_commit_then_fail_performs_the_create_but_loses_the_response(http, base, token):
    rule = {"method": "POST", "path": MEETINGS, "status": 500, "count": 1, "commit_then_fail": True}
    sandbox_json(http, base, "POST", "faults", {"errors": [rule]})
    answer = api(http, base, token, "POST", MEETINGS, json={"topic": "lost", "agenda": "attempt:k1"})
    assert answer.status_code == 500 and "id" not in answer.json()
    listed = api(http, base, token, "GET", MEETINGS, params={"type": "upcoming"}).json()["meetings"]
    assert [m["agenda"] for m in listed] == ["attempt:k1"]  # the reconciler can find it by its attempt key


def test_expire_all_tokens_then_refresh_recovers(http, base):
    tokens = connect(http, base)
    sandbox_json(http, base, "POST", "faults", {"expire_all_tokens": True})
    expired = api(http, base, tokens["access_token"], "GET", "/v2/users/me")
    assert expired.status_code == 401 and expired.json()["message"] == "Access token is expired."
    renewed = refresh(http, base, tokens["refresh_token"]).json()
    assert api(http, base, renewed["access_token"], "GET", "/v2/users/me").status_code == 200  # one-shot


def test_injected_401_is_an_expired_token_then_recovers(http, base, token):
    sandbox_json(
        http, base, "POST", "faults", {"errors": [{"path": "/v2/users/me", "status": 401, "count": 1}]}
    )
    answer = api(http, base, token, "GET", "/v2/users/me")
    assert answer.status_code == 401
    assert answer.json() == {"code": 124, "message": "Access token is expired."}
    assert api(http, base, token, "GET", "/v2/users/me").status_code == 200


def test_faults_can_target_the_token_endpoint_and_bad_fault_json_is_refused(http, base):
    tokens = connect(http, base)
    sandbox_json(
        http, base, "POST", "faults", {"errors": [{"path": "/oauth/token", "status": 503, "count": 1}]}
    )
    assert refresh(http, base, tokens["refresh_token"]).status_code == 503
    assert refresh(http, base, tokens["refresh_token"]).status_code == 200  # the failed call rotated nothing
    assert (
        http.post(f"{base}/__sandbox/faults", json={"errors": [{"path": "/x", "stauts": 500}]}).status_code
        == 400
    )


# ---- webhook -----------------------------------------------------------------------------------------


def test_deauthorization_webhook_is_signed_like_zoom_and_revokes_the_grant(http, base):
    tokens = connect(http, base)
    received: list[tuple[dict, bytes]] = []

    def receiver(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
        received.append((headers, environ["wsgi.input"].read(length)))
        start_response("204 No Content", [])
        return [b""]

    with LiveServer(receiver) as target:
        result = sandbox_json(http, base, "POST", "webhook", {"url": f"{target.url}/zoom/webhook"})
    assert result["status"] == 204
    ((headers, raw),) = received
    timestamp = headers["x-zm-request-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(b"sandbox-webhook-secret", f"v0:{timestamp}:{raw.decode()}".encode(), hashlib.sha256)
    assert headers["x-zm-signature"] == "v0=" + expected.hexdigest()
    event = json.loads(raw)
    assert event["event"] == "app_deauthorized"
    assert {
        k: event["payload"][k] for k in ("account_id", "user_id", "client_id", "user_data_retention")
    } == {
        "account_id": "sandbox-account-1",
        "user_id": "sandbox-user-1",
        "client_id": CLIENT[0],
        "user_data_retention": "false",
    }
    assert api(http, base, tokens["access_token"], "GET", "/v2/users/me").status_code == 401
