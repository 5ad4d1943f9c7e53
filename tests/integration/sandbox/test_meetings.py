"""The sandbox's Meetings API for one user: shapes, validation, time zones, start URLs, paging, limits."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from tests.support.zoom_http import (
    MEETINGS,
    api,
    connect,
    create,
    sandbox_json,
)


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
