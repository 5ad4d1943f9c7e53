"""Webhooks: signed like Zoom's, meeting events shaped like Zoom's, delivered in the background and
retried like Zoom's, and the outbox controls (delay, duplicate, hold and reorder, deliveries, wait)."""

from __future__ import annotations

import itertools
import json
import threading
import time

import pytest

from tests.support.live_server import LiveServer
from tests.support.zoom_http import (
    ADMIN_SCOPES,
    CLIENT,
    WEBHOOK_SECRET,
    api,
    connect,
    create,
    sandbox_json,
    signature_of,
)

EVENT_FIELDS = {"id", "uuid", "host_id", "topic", "type", "start_time", "duration", "timezone"}


@pytest.fixture
def hooked(http, base, receiver) -> tuple:
    """Webhooks go to the test's receiver, retried quickly; returns (receiver, its URL)."""
    endpoint, url = receiver
    sandbox_json(http, base, "POST", "webhooks", {"url": url, "retry_delays": [0.05, 0.1, 0.2]})
    return endpoint, url


def deliveries(http, base) -> list[dict]:
    return sandbox_json(http, base, "GET", "webhooks/deliveries")["deliveries"]


def wait_outbox(http, base) -> None:
    sandbox_json(http, base, "POST", "webhooks/wait", {"timeout_seconds": 30})


def assert_signed(request: dict, secret: str = WEBHOOK_SECRET) -> None:
    timestamp = request["headers"]["x-zm-request-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    assert request["headers"]["x-zm-signature"] == signature_of(secret, timestamp, request["raw"])


def test_deauthorization_webhook_is_signed_like_zoom_and_revokes_the_grant(http, base, receiver):
    endpoint, url = receiver
    tokens = connect(http, base)
    result = sandbox_json(http, base, "POST", "webhook", {"url": url})
    assert result["status"] == 204
    (request,) = endpoint.wait_for(1)
    assert_signed(request)
    event = json.loads(request["raw"])
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
    (logged,) = deliveries(http, base)
    assert (logged["event"], logged["status"], logged["attempts"][0]["status"]) == (
        "app_deauthorized",
        "delivered",
        204,
    )


def test_an_api_update_echoes_back_as_meeting_updated_with_old_and_new_fields(http, base, token, hooked):
    endpoint, _ = hooked
    meeting = create(http, base, token, topic="Before", duration=30)
    sandbox_json(http, base, "POST", "clock", {"advance_seconds": 1800})  # within the token's hour
    now_ms = int(time.time() * 1000) + 1800 * 1000
    path = f"/v2/meetings/{meeting['id']}"
    assert api(http, base, token, "PATCH", path, json={"topic": "After", "duration": 45}).status_code == 204

    (request,) = endpoint.wait_for(1)
    assert_signed(request)
    event = json.loads(request["raw"])
    assert set(event) == {"event", "event_ts", "payload"} and event["event"] == "meeting.updated"
    assert abs(event["event_ts"] - now_ms) < 60_000  # the sandbox's clock, half an hour ahead
    identity = {"id": meeting["id"], "uuid": meeting["uuid"]}
    assert event["payload"] == {
        "account_id": "sandbox-account-1",
        "operator": "host@example.com",  # the token's user: our own change comes back to us
        "operator_id": "sandbox-user-1",
        "object": {**identity, "topic": "After", "duration": 45},
        "old_object": {**identity, "topic": "Before", "duration": 30},
        "time_stamp": event["payload"]["time_stamp"],
    }
    assert abs(event["payload"]["time_stamp"] - now_ms) < 60_000


def test_settings_changes_carry_only_the_settings_that_changed(http, base, token, hooked):
    endpoint, _ = hooked
    meeting = create(http, base, token)
    path = f"/v2/meetings/{meeting['id']}"
    api(http, base, token, "PATCH", path, json={"topic": meeting["topic"]})  # changes nothing: no event
    api(http, base, token, "PATCH", path, json={"settings": {"waiting_room": True, "audio": "voip"}})
    wait_outbox(http, base)
    (event,) = endpoint.events()
    assert event["payload"]["object"] == {
        "id": meeting["id"],
        "uuid": meeting["uuid"],
        "settings": {"waiting_room": True},
    }
    assert event["payload"]["old_object"]["settings"] == {"waiting_room": False}


def test_delete_then_permanently_delete_send_zoom_shaped_events(http, base, token, hooked):
    endpoint, _ = hooked
    meeting = create(http, base, token, timezone="Europe/Madrid")
    assert api(http, base, token, "DELETE", f"/v2/meetings/{meeting['id']}").status_code == 204
    state = sandbox_json(http, base, "GET", "state")
    assert state["meetings"] == [] and [m["id"] for m in state["trash"]] == [meeting["id"]]
    sandbox_json(http, base, "POST", f"meetings/{meeting['id']}/delete", {"permanently": True})
    assert sandbox_json(http, base, "GET", "state")["trash"] == []

    deleted, purged = (json.loads(r["raw"]) for r in endpoint.wait_for(2))
    assert (deleted["event"], purged["event"]) == ("meeting.deleted", "meeting.permanently_deleted")
    expected = {k: meeting[k] for k in EVENT_FIELDS}
    for event in (deleted, purged):
        assert event["payload"] == {
            "account_id": "sandbox-account-1",
            "operator": "host@example.com",
            "operator_id": "sandbox-user-1",
            "object": expected,
        }


def test_changes_behind_the_apps_back_name_who_made_them(http, base, hooked):
    endpoint, _ = hooked
    assistant = sandbox_json(
        http, base, "POST", "users", {"email": "desk@example.com", "role": "admin"}, status=201
    )
    admin = connect(http, base, scope=ADMIN_SCOPES)["access_token"]
    member = sandbox_json(http, base, "POST", "users", {"email": "ana@example.com"}, status=201)
    meeting = create(http, base, admin, f"/v2/users/{member['id']}/meetings")

    changed = sandbox_json(http, base, "POST", f"meetings/{meeting['id']}/update", {"duration": 90})
    assert changed["changed"] == {"duration": 90} and changed["meeting"]["duration"] == 90
    sandbox_json(
        http, base, "POST", f"meetings/{meeting['id']}/update",
        {"start_time": "2099-01-06T09:00:00Z", "operator": "desk@example.com"},
    )  # fmt: skip
    sandbox_json(http, base, "POST", f"meetings/{meeting['id']}/delete", {})
    first, second, third = (json.loads(r["raw"]) for r in endpoint.wait_for(3))
    assert (first["payload"]["operator"], first["payload"]["operator_id"]) == (
        "ana@example.com",
        member["id"],
    )
    assert (second["payload"]["operator"], second["payload"]["operator_id"]) == (
        "desk@example.com",
        assistant["id"],
    )
    assert second["payload"]["object"]["start_time"] == "2099-01-06T09:00:00Z"
    assert (third["event"], third["payload"]["operator"]) == ("meeting.deleted", "ana@example.com")
    # No daily-limit charge for changes made on Zoom's side: only the API create counted.
    assert sum(sandbox_json(http, base, "GET", "state")["create_update_count"][member["id"]].values()) == 1

    for path, body in (
        ("meetings/12345678901/update", {"duration": 5}),
        (f"meetings/{meeting['id']}/delete", {}),  # already in the trash
    ):
        assert http.post(f"{base}/__sandbox/{path}", json=body).status_code == 400


def test_the_api_answers_without_waiting_for_the_receiver(http, base, token, hooked):
    endpoint, _ = hooked
    sandbox_json(http, base, "POST", "webhooks", {"timeout_seconds": 30})
    gate = threading.Event()
    endpoint.gates.append(gate)  # the receiver will not answer until the test says so
    meeting = create(http, base, token)
    try:
        answer = api(
            http, base, token, "PATCH", f"/v2/meetings/{meeting['id']}", json={"topic": "x"}, timeout=10
        )
        assert answer.status_code == 204
        endpoint.wait_for(1)
        (pending,) = deliveries(http, base)
        assert pending["status"] == "delivering" and pending["attempts"] == []
    finally:
        gate.set()
    wait_outbox(http, base)
    assert deliveries(http, base)[0]["status"] == "delivered"


def test_failed_deliveries_are_retried_three_times_at_increasing_delays(http, base, token, hooked):
    endpoint, _ = hooked
    endpoint.answers.extend([500, 503, 404, 500])
    meeting = create(http, base, token)
    api(http, base, token, "PATCH", f"/v2/meetings/{meeting['id']}", json={"topic": "x"})
    wait_outbox(http, base)
    requests_seen = endpoint.wait_for(4)
    assert len({r["raw"] for r in requests_seen}) == 1  # the same event each time
    for request in requests_seen:
        assert_signed(request)
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(requests_seen)]
    assert [gap >= delay for gap, delay in zip(gaps, (0.05, 0.1, 0.2), strict=True)] == [True] * 3
    (delivery,) = deliveries(http, base)
    assert delivery["status"] == "failed"
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 404, 500]


def test_an_answer_slower_than_the_timeout_counts_as_failed_and_is_retried(http, base, token, hooked):
    endpoint, _ = hooked
    sandbox_json(http, base, "POST", "webhooks", {"timeout_seconds": 0.3})
    gate = threading.Event()
    endpoint.gates.append(gate)  # the first attempt gets no answer in time
    meeting = create(http, base, token)
    api(http, base, token, "PATCH", f"/v2/meetings/{meeting['id']}", json={"topic": "x"})
    try:
        endpoint.wait_for(2)  # the retry arrives while the first request still hangs
    finally:
        gate.set()
    wait_outbox(http, base)
    (delivery,) = deliveries(http, base)
    assert delivery["status"] == "delivered"
    first, second = delivery["attempts"]
    assert first["status"] is None and first["error"] == "no answer within 0.3 s"
    assert second["status"] == 204


def test_duplicated_events_arrive_twice_with_the_same_body(http, base, token, hooked):
    endpoint, _ = hooked
    sandbox_json(http, base, "POST", "webhooks", {"duplicate": True})
    meeting = create(http, base, token)
    api(http, base, token, "DELETE", f"/v2/meetings/{meeting['id']}")
    wait_outbox(http, base)
    one, two = endpoint.wait_for(2)
    assert one["raw"] == two["raw"] and json.loads(one["raw"])["event"] == "meeting.deleted"
    original, copy = deliveries(http, base)
    assert (original["copy_of"], copy["copy_of"]) == (None, original["id"])


def test_held_events_can_be_released_in_reverse_order(http, base, token, hooked):
    endpoint, _ = hooked
    sandbox_json(http, base, "POST", "webhooks", {"hold": True})
    meeting = create(http, base, token)
    path = f"/v2/meetings/{meeting['id']}"
    for topic in ("first", "second", "third"):
        api(http, base, token, "PATCH", path, json={"topic": topic})
    assert [d["status"] for d in deliveries(http, base)] == ["held"] * 3
    waited = http.post(f"{base}/__sandbox/webhooks/wait", json={"timeout_seconds": 0.2})
    assert waited.status_code == 504 and waited.json() == {"empty": False, "unfinished": 3}

    assert sandbox_json(http, base, "POST", "webhooks/release", {"order": "reversed"}) == {"released": 3}
    wait_outbox(http, base)
    topics = [e["payload"]["object"]["topic"] for e in endpoint.events()]
    assert topics == ["third", "second", "first"]
    sandbox_json(http, base, "POST", "webhooks", {"hold": False})


def test_ending_a_hold_sends_what_was_held_in_order(http, base, token, hooked):
    endpoint, _ = hooked
    sandbox_json(http, base, "POST", "webhooks", {"hold": True})
    meeting = create(http, base, token)
    for topic in ("a", "b"):
        api(http, base, token, "PATCH", f"/v2/meetings/{meeting['id']}", json={"topic": topic})
    sandbox_json(http, base, "POST", "webhooks", {"hold": False})
    wait_outbox(http, base)
    assert [e["payload"]["object"]["topic"] for e in endpoint.events()] == ["a", "b"]


def test_delayed_events_arrive_late(http, base, token, hooked):
    endpoint, _ = hooked
    sandbox_json(http, base, "POST", "webhooks", {"delay_seconds": 0.5})
    meeting = create(http, base, token)
    sent = time.monotonic()
    api(http, base, token, "PATCH", f"/v2/meetings/{meeting['id']}", json={"topic": "late"})
    (request,) = endpoint.wait_for(1)
    assert request["at"] - sent >= 0.5


def test_signed_with_the_configured_secret_and_nothing_sent_without_a_url(http, base, token, receiver):
    endpoint, url = receiver
    meeting = create(http, base, token)
    api(http, base, token, "PATCH", f"/v2/meetings/{meeting['id']}", json={"topic": "unheard"})
    assert deliveries(http, base) == []  # no URL configured: no event at all

    settings = sandbox_json(http, base, "POST", "webhooks", {"url": url, "secret": "another-secret"})
    assert (settings["url"], settings["secret"], settings["retry_delays"]) == (
        url,
        "another-secret",
        [300, 1800, 5400],
    )
    api(http, base, token, "PATCH", f"/v2/meetings/{meeting['id']}", json={"topic": "heard"})
    (request,) = endpoint.wait_for(1)
    assert_signed(request, "another-secret")


def test_reset_forgets_queued_deliveries(http, base, token, hooked):
    sandbox_json(http, base, "POST", "webhooks", {"hold": True})
    meeting = create(http, base, token)
    api(http, base, token, "PATCH", f"/v2/meetings/{meeting['id']}", json={"topic": "x"})
    sandbox_json(http, base, "POST", "reset")
    assert deliveries(http, base) == []
    assert sandbox_json(http, base, "POST", "webhooks/wait", {"timeout_seconds": 1}) == {
        "empty": True,
        "unfinished": 0,
    }
    assert sandbox_json(http, base, "GET", "webhooks")["url"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com"},
        {"retry_delays": [1, 2, 3, 4]},
        {"retry_delays": [-1]},
        {"timeout_seconds": 0},
        {"duplicate": 11},
        {"hold": "yes"},
        {"delay_seconds": "soon"},
        {"secret": ""},
        {"colour": "blue"},
    ],
)
def test_bad_webhook_settings_are_refused(http, base, body):
    answer = http.post(f"{base}/__sandbox/webhooks", json=body)
    assert answer.status_code == 400 and answer.json()["error"]


def test_url_validation_against_conecta(http, base, make_app):
    """Zoom's endpoint check, against Conecta's real webhook endpoint (it shares the sandbox's secret)."""
    with LiveServer(make_app()) as conecta:
        url = f"{conecta.url}/webhooks/zoom"
        checked = sandbox_json(http, base, "POST", "webhooks/validate", {"url": url})
        assert checked["valid"] is True and checked["status"] == 200
        wrong = sandbox_json(http, base, "POST", "webhooks/validate", {"url": url, "secret": "not-conecta's"})
        assert wrong["valid"] is False and wrong["status"] == 401
    unreachable = http.post(f"{base}/__sandbox/webhooks/validate", json={"url": url})
    assert unreachable.status_code == 502 and "could not deliver" in unreachable.json()["error"]
    logged = [(d["event"], d["status"]) for d in deliveries(http, base)]
    assert logged == [("endpoint.url_validation", "delivered")] + [("endpoint.url_validation", "failed")] * 2
