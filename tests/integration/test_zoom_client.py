"""ZoomClient against the sandbox over HTTP: tokens (refresh, concurrency, revocation), meetings, errors."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from conecta.extensions import db
from conecta.models.audit import AuditEvent
from conecta.models.types import utcnow
from conecta.models.zoom import ZoomConnection, zoom_connection_for
from conecta.zoom.client import ZoomClient
from conecta.zoom.errors import (
    ZoomAuthError,
    ZoomNotConnected,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRequestError,
    ZoomTransientError,
)
from conecta.zoom.tokens import Grant
from tests.support.zoom import zoom_config

MEETING = {"topic": "Video call with Carla", "type": 2, "start_time": "2030-01-07T17:00:00Z", "duration": 30}


def _expire_locally(org_id: int, in_seconds: int = 60) -> None:
    """Our copy of the token says it expires soon (Zoom still accepts it)."""
    connection = zoom_connection_for(org_id)
    connection.access_token_expires_at = utcnow() + timedelta(seconds=in_seconds)
    db.session.commit()


def _token_statuses(sandbox) -> list[int]:
    return [entry["status"] for entry in sandbox.requests_to("/oauth/token")]


def test_for_org_without_a_connection_raises_not_connected(zoom_app, acme):
    with pytest.raises(ZoomNotConnected) as caught:
        ZoomClient.for_org(acme.org.id)
    assert caught.value.needs_reconnect is False


def test_a_token_far_from_expiry_is_used_as_is(zoom_app, zoom_sandbox, acme, connect_zoom):
    connection = connect_zoom(acme)
    _expire_locally(acme.org.id, in_seconds=6 * 60)
    assert ZoomClient.for_org(acme.org.id).grant.access_token() == connection.access_token
    assert zoom_sandbox.state()["refresh_count"] == 0


def test_a_token_expiring_within_5_minutes_is_refreshed_first(zoom_app, zoom_sandbox, acme, connect_zoom):
    old = connect_zoom(acme).access_token
    _expire_locally(acme.org.id, in_seconds=4 * 60)
    client = ZoomClient.for_org(acme.org.id)
    assert client.me()["email"] == "host@example.com"
    state = zoom_sandbox.state()
    assert state["refresh_count"] == 1
    db.session.expire_all()
    connection = zoom_connection_for(acme.org.id)
    assert connection.access_token != old
    assert connection.access_token == state["tokens"]["access"][-1]["token"]
    assert connection.refresh_token == state["tokens"]["refresh"][0]["token"]  # the rotated one
    assert connection.access_token_expires_at - utcnow() > timedelta(minutes=55)
    assert connection.last_refreshed_at is not None


def test_two_workers_refreshing_at_once_spend_the_refresh_token_once(
    zoom_app, zoom_sandbox, acme, connect_zoom, make_app
):
    """Both workers see an expiring token at the same moment; each has its own app and DB session.

    Zoom's latency keeps the first refresh in flight while the second worker arrives: without the lock,
    the second would spend the already-rotated refresh token and get invalid_grant.
    """
    connect_zoom(acme)
    _expire_locally(acme.org.id)
    zoom_sandbox.set_faults(latency_ms=300)
    org_id = acme.org.id
    workers = [make_app(**zoom_config(zoom_sandbox)) for _ in range(2)]
    start = threading.Barrier(len(workers))
    tokens: list[str] = []
    emails: list[str] = []
    errors: list[BaseException] = []

    def work(worker_app) -> None:
        try:
            with worker_app.app_context():
                client = ZoomClient.for_org(org_id)
                start.wait(timeout=10)
                tokens.append(client.grant.access_token())
                emails.append(client.me()["email"])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    state = zoom_sandbox.state()
    assert state["refresh_count"] == 1
    assert _token_statuses(zoom_sandbox) == [200, 200]  # the code exchange and ONE refresh; no invalid_grant
    assert len(set(tokens)) == 1 and emails == ["host@example.com"] * 2
    db.session.expire_all()
    connection = zoom_connection_for(acme.org.id)
    assert connection.status == "active"
    assert connection.access_token == tokens[0]
    assert connection.refresh_token == state["tokens"]["refresh"][0]["token"]


def test_an_access_token_expired_at_zoom_is_refreshed_once_and_the_call_succeeds(
    zoom_app, zoom_sandbox, acme, connect_zoom, caplog
):
    old = connect_zoom(acme).access_token
    zoom_sandbox.expire_all_tokens()  # our copy still says it is valid for an hour
    client = ZoomClient.for_org(acme.org.id)
    with caplog.at_level(logging.INFO, logger="conecta.zoom"):
        meeting = client.create_meeting(MEETING, log_context={"appointment_id": 7, "attempt": 1})
    assert meeting["topic"] == MEETING["topic"]
    log = [(e["method"], e["path"], e["status"]) for e in zoom_sandbox.state()["request_log"]][-3:]
    assert log == [
        ("POST", "/v2/users/me/meetings", 401),
        ("POST", "/oauth/token", 200),
        ("POST", "/v2/users/me/meetings", 201),
    ]
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id).access_token != old
    calls = [r.zoom for r in caplog.records if getattr(r, "zoom", {}).get("operation") == "create_meeting"]
    assert len(calls) == 1  # one line per call, retry included
    assert calls[0]["status"] == 201 and calls[0]["token_refreshed"] == "yes"
    assert calls[0]["appointment_id"] == 7 and calls[0]["attempt"] == 1


def test_a_revoked_refresh_token_marks_the_connection_needs_reconnect(
    zoom_app, zoom_sandbox, acme, rival, connect_zoom, as_user
):
    connect_zoom(acme)
    connect_zoom(rival)  # the same Zoom user authorizes again elsewhere: Zoom retires acme's tokens
    _expire_locally(acme.org.id)
    client = ZoomClient.for_org(acme.org.id)
    with pytest.raises(ZoomAuthError) as caught:
        client.me()
    assert "reconnect" in caught.value.message
    assert caught.value.code == "invalid_grant"

    db.session.expire_all()
    connection = zoom_connection_for(acme.org.id, live_only=False)
    assert connection.status == "needs_reconnect"
    assert zoom_connection_for(acme.org.id) is None
    event = db.session.scalar(db.select(AuditEvent).filter_by(org_id=acme.org.id, event="refresh_failed"))
    assert event is not None and event.actor_id is None
    with pytest.raises(ZoomNotConnected) as not_connected:
        ZoomClient.for_org(acme.org.id)
    assert not_connected.value.needs_reconnect
    with pytest.raises(ZoomAuthError):  # a client built before the failure stops too
        client.grant.access_token()
    page = as_user(acme.admin).get("/settings/integrations").text
    assert "Zoom needs to be reconnected" in page and "Reconnect</button>" in page
    assert "Zoom stopped accepting the connection" in page  # the audit line


def test_a_refresh_that_fails_transiently_keeps_the_connection(zoom_app, zoom_sandbox, acme, connect_zoom):
    connection = connect_zoom(acme)
    refresh_token = connection.refresh_token
    _expire_locally(acme.org.id)
    zoom_sandbox.set_faults(errors=[{"path": "/oauth/token", "status": 503, "count": 1}])
    client = ZoomClient.for_org(acme.org.id)
    with pytest.raises(ZoomTransientError):
        client.grant.access_token()
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id).refresh_token == refresh_token
    assert client.me()["id"] == "sandbox-user-1"  # the next attempt refreshes fine


def test_a_refresh_in_flight_during_a_reconnect_keeps_the_reconnected_tokens(
    zoom_app, zoom_sandbox, acme, connect_zoom, monkeypatch
):
    """Reconnect does not take the token lock: a refresh that was already at Zoom must not write its
    tokens over the ones the admin just connected (compare-and-set on the spent refresh token)."""
    connect_zoom(acme)
    _expire_locally(acme.org.id)
    still_spent = Grant._still_spent
    reconnected = {}

    def reconnect_then_compare(self, session, connection_id, spent):
        fresh = connect_zoom(acme)  # an admin's Reconnect lands while Zoom's answer is on its way
        reconnected.update(access=fresh.access_token, refresh=fresh.refresh_token)
        return still_spent(self, session, connection_id, spent)

    monkeypatch.setattr(Grant, "_still_spent", reconnect_then_compare)
    returned = ZoomClient.for_org(acme.org.id).grant.access_token()

    assert zoom_sandbox.state()["refresh_count"] == 1
    db.session.expire_all()
    connection = zoom_connection_for(acme.org.id)
    assert connection.refresh_token == reconnected["refresh"]
    assert connection.access_token == reconnected["access"] == returned
    assert connection.last_refreshed_at is None  # as Reconnect left it


def test_a_refresh_refused_after_a_reconnect_does_not_flag_the_new_connection(
    zoom_app, zoom_sandbox, acme, connect_zoom, monkeypatch
):
    """A refresh that spent the old refresh token after an admin reconnected gets `invalid_grant` from
    Zoom (the newer authorization revoked it): the new connection must stay live, not "needs reconnect"."""
    connect_zoom(acme)
    _expire_locally(acme.org.id)
    exchange = Grant._exchange_refresh_token

    def reconnect_first(self, session, connection):
        connect_zoom(acme)  # the refresh read the old tokens; the admin's Reconnect lands now
        return exchange(self, session, connection)

    monkeypatch.setattr(Grant, "_exchange_refresh_token", reconnect_first)
    with pytest.raises(ZoomTransientError):
        ZoomClient.for_org(acme.org.id).grant.access_token()

    db.session.expire_all()
    connection = zoom_connection_for(acme.org.id)
    assert connection is not None and connection.is_live
    assert "refresh_failed" not in [e.event for e in db.session.scalars(db.select(AuditEvent))]
    monkeypatch.undo()
    assert ZoomClient.for_org(acme.org.id).me()["id"]  # the new grant works


def test_meetings_round_trip(zoom_app, zoom_sandbox, acme, connect_zoom):
    connect_zoom(acme)
    client = ZoomClient.for_org(acme.org.id)
    created = client.create_meeting(MEETING)
    assert created["join_url"] and created["start_url"] and created["duration"] == 30
    meeting_id = created["id"]
    assert client.get_meeting(meeting_id)["topic"] == MEETING["topic"]
    assert client.update_meeting(meeting_id, {"duration": 45}) is None
    assert client.get_meeting(str(meeting_id))["duration"] == 45
    assert client.delete_meeting(meeting_id) is None
    with pytest.raises(ZoomNotFound) as caught:
        client.get_meeting(meeting_id)
    assert caught.value.code == 3001 and caught.value.status == 404
    with pytest.raises(ZoomNotFound):
        client.delete_meeting(meeting_id)


def test_upcoming_meetings_follow_next_page_token(zoom_app, zoom_sandbox, acme, connect_zoom):
    connect_zoom(acme)
    client = ZoomClient.for_org(acme.org.id)
    ids = {
        client.create_meeting({**MEETING, "start_time": f"2030-01-{day:02d}T17:00:00Z"})["id"]
        for day in range(1, 6)
    }
    listed = list(client.iter_upcoming_meetings(page_size=2))
    assert {m["id"] for m in listed} == ids and len(listed) == 5
    assert len(zoom_sandbox.requests_to("/v2/users/me/meetings", "GET")) == 3


def test_zoom_errors_arrive_as_our_exceptions(zoom_app, zoom_sandbox, acme, connect_zoom):
    connect_zoom(acme)
    client = ZoomClient.for_org(acme.org.id, timeout=0.5)

    with pytest.raises(ZoomRequestError) as invalid:
        client.create_meeting({**MEETING, "topic": "x" * 201})
    assert invalid.value.code == 300 and "topic" in invalid.value.message

    zoom_sandbox.set_faults(errors=[{"path": "/v2/users/me/meetings", "status": 429, "retry_after": 3}])
    with pytest.raises(ZoomRateLimited) as limited:
        client.create_meeting(MEETING)
    assert limited.value.retry_after == 3 and not limited.value.daily

    zoom_sandbox.set_faults(errors=[{"path": "/v2/users/me", "status": 502}])
    with pytest.raises(ZoomTransientError) as failed:
        client.me()
    assert failed.value.status == 502

    zoom_sandbox.set_faults(errors=[{"path": "/v2/users/me", "hang_seconds": 2, "count": 1}])
    with pytest.raises(ZoomTransientError) as hung:
        client.me()
    assert "did not answer within 0.5 s" in hung.value.message


def test_the_daily_limit_is_reported_as_such(zoom_app, zoom_sandbox, acme, connect_zoom):
    connect_zoom(acme)
    zoom_sandbox.configure(DAILY_CREATE_UPDATE_LIMIT=1)
    client = ZoomClient.for_org(acme.org.id)
    client.create_meeting(MEETING)
    with pytest.raises(ZoomRateLimited) as caught:
        client.create_meeting(MEETING)
    limit = caught.value
    assert limit.daily
    assert (limit.resume_at.hour, limit.resume_at.minute) == (0, 0)
    assert 0 < limit.retry_after <= 24 * 3600
    assert "daily limit" in limit.message


def test_logs_never_carry_tokens_urls_or_passcodes(zoom_app, zoom_sandbox, acme, connect_zoom, caplog):
    with caplog.at_level(logging.DEBUG):
        connect_zoom(acme)
        zoom_sandbox.expire_all_tokens()
        client = ZoomClient.for_org(acme.org.id)
        created = client.create_meeting(MEETING, log_context={"appointment_id": 3, "join_url": "leak?"})
        fetched = client.get_meeting(created["id"])
        client.revoke()
    state = zoom_sandbox.state()
    secrets = [created["start_url"], created["join_url"], created["password"], fetched["start_url"]]
    secrets += [t["token"] for t in state["tokens"]["access"] + state["tokens"]["refresh"]]
    secrets += [created["start_url"].split("zak=")[1]]
    db.session.expire_all()
    text = "\n".join(r.getMessage() + repr(getattr(r, "zoom", "")) for r in caplog.records)
    assert "operation=create_meeting" in text and "appointment_id=3" in text
    assert "leak?" not in text
    for secret in secrets:
        assert secret not in text


def test_revoke_ends_the_grant_at_zoom(zoom_app, zoom_sandbox, acme, connect_zoom):
    connect_zoom(acme)
    client = ZoomClient.for_org(acme.org.id)
    client.revoke()
    assert zoom_sandbox.state()["tokens"] == {"access": [], "refresh": []}
    # The row is the caller's business (disconnect deletes it); the token no longer works.
    assert db.session.scalar(db.select(db.func.count()).select_from(ZoomConnection)) == 1
    with pytest.raises(ZoomAuthError):
        client.me()
