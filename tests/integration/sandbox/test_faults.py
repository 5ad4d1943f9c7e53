"""Fault injection: latency, errors, per-second 429s, hangs, lost answers, expired tokens."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.worker import wait_until
from tests.support.zoom_http import (
    MEETINGS,
    api,
    connect,
    create,
    refresh,
    sandbox_json,
)


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


def test_a_call_still_hanging_when_the_sandbox_is_reset_leaves_no_trace(http, base, token):
    """Tests share one sandbox: a call hung by an earlier test must not create or log anything later."""
    rule = {"method": "POST", "path": MEETINGS, "hang_seconds": 1, "count": 1}
    sandbox_json(http, base, "POST", "faults", {"errors": [rule]})
    with ThreadPoolExecutor(max_workers=1) as pool:
        hanging = pool.submit(api, requests.Session(), base, token, "POST", MEETINGS, json={"topic": "late"})
        wait_until(lambda: sandbox_json(http, base, "GET", "state")["faults"]["errors"][0]["remaining"] == 0)
        sandbox_json(http, base, "POST", "reset")
        answer = hanging.result(timeout=20)
    assert answer.status_code == 503 and "reset" in answer.json()["message"]
    state = sandbox_json(http, base, "GET", "state")
    assert (state["meetings"], state["request_log"]) == ([], [])


def test_a_held_call_waits_until_released_then_does_its_work(http, base, token):
    """`held`: the test, not a guessed time, decides when a slow call lands."""
    rule = {"method": "POST", "path": MEETINGS, "held": True, "count": 1}
    sandbox_json(http, base, "POST", "faults", {"errors": [rule]})
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(api, requests.Session(), base, token, "POST", MEETINGS, json={"topic": "late"})
        wait_until(lambda: sandbox_json(http, base, "GET", "state")["faults"]["errors"][0]["remaining"] == 0)
        create(http, base, token)  # other calls are served meanwhile
        assert not held.done()
        assert len(sandbox_json(http, base, "GET", "state")["meetings"]) == 1
        sandbox_json(http, base, "POST", "faults/release")
        assert held.result(timeout=20).status_code == 201
    topics = sorted(m["topic"] for m in sandbox_json(http, base, "GET", "state")["meetings"])
    assert topics == ["Consultation", "late"]


def test_new_faults_let_a_held_call_go(http, base, token):
    rule = {"method": "GET", "path": "/v2/users/me", "held": True, "count": 1}
    sandbox_json(http, base, "POST", "faults", {"errors": [rule]})
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(api, requests.Session(), base, token, "GET", "/v2/users/me")
        wait_until(lambda: sandbox_json(http, base, "GET", "state")["faults"]["errors"][0]["remaining"] == 0)
        sandbox_json(http, base, "DELETE", "faults")
        assert held.result(timeout=20).status_code == 200
