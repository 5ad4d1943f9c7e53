"""POST /webhooks/zoom: Zoom's signed events (URL validation, app deauthorization)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from datetime import timedelta

import pytest

from conecta.extensions import db
from conecta.models.audit import AuditEvent
from conecta.models.zoom import ZoomConnection, zoom_connection_for
from tests.support.factories import with_zoom
from tests.support.live_server import LiveServer
from tests.support.zoom import zoom_config

SECRET = "sandbox-webhook-secret"  # the sandbox's and the test config's default
_EVENTS = itertools.count()


def _signed(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {
        "x-zm-request-timestamp": ts,
        "x-zm-signature": f"v0={digest}",
        "Content-Type": "application/json",
    }


def _deauthorization(user_id: str = "sandbox-user-1", client_id: str = "sandbox-client-id") -> bytes:
    payload = {
        "account_id": "sandbox-account-1",
        "user_id": user_id,
        "client_id": client_id,
        "deauthorization_time": "2030-01-07T17:00:00Z",
        "user_data_retention": "false",
    }
    # A distinct event_ts per event: the webhook remembers processed events, and two tests sending the
    # same body in the same second must not look like a replay to it.
    event_ts = int(time.time() * 1000) * 1000 + next(_EVENTS)
    return json.dumps({"event": "app_deauthorized", "event_ts": event_ts, "payload": payload}).encode()


def test_url_validation_is_answered_with_the_hmac_of_the_plain_token(app, client):
    body = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}}
    )
    response = client.post("/webhooks/zoom", data=body, headers=_signed(body.encode()))
    assert response.status_code == 200
    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert response.get_json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}


def test_deauthorization_from_zoom_deletes_the_connection_over_http(
    zoom_app, zoom_sandbox, acme, connect_zoom, make_app
):
    """The sandbox uninstalls the app and delivers the signed event to Conecta served over HTTP."""
    connect_zoom(acme)
    appointment = acme.book()
    with_zoom(appointment, meeting_id="81234567890", join_url=f"{zoom_sandbox.url}/j/81234567890")
    db.session.commit()
    with LiveServer(make_app(**zoom_config(zoom_sandbox))) as conecta:
        answer = zoom_sandbox.send_webhook(f"{conecta.url}/webhooks/zoom")
    assert answer["status"] == 200
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id, live_only=False) is None
    assert db.session.scalar(db.select(db.func.count()).select_from(ZoomConnection)) == 0
    event = db.session.scalar(db.select(AuditEvent).filter_by(org_id=acme.org.id, event="deauthorized"))
    assert event is not None and "host@example.com" in event.detail and event.actor_id is None
    db.session.refresh(appointment)
    assert appointment.zoom.join_url == f"{zoom_sandbox.url}/j/81234567890"  # links stay


def _assert_untouched(org_id: int, connection_id: int) -> None:
    db.session.expire_all()
    connection = zoom_connection_for(org_id)
    assert connection is not None and connection.id == connection_id
    assert db.session.scalar(db.select(AuditEvent).filter_by(event="deauthorized")) is None


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: _signed(body, secret="not-the-secret"), id="wrong-secret"),
        pytest.param(lambda body: _signed(body, timestamp=int(time.time()) - 6 * 60), id="stale"),
        pytest.param(lambda body: _signed(body, timestamp=int(time.time()) + 6 * 60), id="from-the-future"),
        pytest.param(lambda body: _signed(body + b" "), id="body-altered-after-signing"),
        pytest.param(lambda body: {**_signed(body), "x-zm-signature": "v0=00"}, id="garbage-signature"),
        pytest.param(lambda body: {"Content-Type": "application/json"}, id="unsigned"),
    ],
)
def test_a_bad_or_stale_signature_is_refused_and_changes_nothing(
    zoom_app, acme, connect_zoom, client, headers
):
    connection = connect_zoom(acme)
    body = _deauthorization()
    response = client.post("/webhooks/zoom", data=body, headers=headers(body))
    assert response.status_code == 401
    _assert_untouched(acme.org.id, connection.id)


def test_a_timestamp_just_inside_five_minutes_is_accepted(zoom_app, acme, connect_zoom, client):
    connection = connect_zoom(acme)
    connection.connected_at -= timedelta(minutes=10)  # granted before the event was sent
    db.session.commit()
    body = _deauthorization()
    response = client.post(
        "/webhooks/zoom", data=body, headers=_signed(body, timestamp=int(time.time()) - 280)
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id, live_only=False) is None


def test_the_sandbox_signing_with_a_wrong_secret_is_refused(
    zoom_app, zoom_sandbox, acme, connect_zoom, make_app
):
    connection = connect_zoom(acme)
    with LiveServer(make_app(**zoom_config(zoom_sandbox))) as conecta:
        answer = zoom_sandbox.send_webhook(f"{conecta.url}/webhooks/zoom", secret="wrong", revoke=False)
    assert answer["status"] == 401
    _assert_untouched(acme.org.id, connection.id)


def test_events_for_another_user_or_app_change_nothing(zoom_app, acme, connect_zoom, client):
    connection = connect_zoom(acme)
    for body in (_deauthorization(user_id="someone-else"), _deauthorization(client_id="another-app")):
        assert client.post("/webhooks/zoom", data=body, headers=_signed(body)).status_code == 200
    other = json.dumps({"event": "meeting.started", "payload": {}}).encode()
    assert client.post("/webhooks/zoom", data=other, headers=_signed(other)).status_code == 200
    _assert_untouched(acme.org.id, connection.id)


def test_only_the_webhook_is_exempt_from_csrf(zoom_sandbox, make_app):
    from tests.support.factories import build_org

    app = make_app(WTF_CSRF_ENABLED=True, **zoom_config(zoom_sandbox))
    with app.app_context():
        acme = build_org()
        body = _deauthorization()
        http = app.test_client()
        assert http.post("/webhooks/zoom", data=body, headers=_signed(body)).status_code == 200
        admin = app.test_client(user=acme.admin)
        assert admin.post("/settings/integrations/zoom/disconnect").status_code == 400
        assert admin.post("/settings/integrations/zoom/connect").status_code == 400


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda body: (body, {**_signed(body), "x-zm-request-timestamp": "9" * 5000}), id="long-ts"
        ),
        pytest.param(lambda body: (body, {**_signed(body), "x-zm-request-timestamp": "soon"}), id="word-ts"),
        pytest.param(
            lambda body: (body, {**_signed(body), "x-zm-request-timestamp": "¹²³"}), id="unicode-ts"
        ),
        pytest.param(lambda body: (b"[" * 100_000 + b"]" * 100_000,) * 1, id="huge-body"),
        pytest.param(lambda body: (b'{"a":' * 5000 + b"1" + b"}" * 5000,) * 1, id="deep-json"),
    ],
)
def test_hostile_webhook_input_is_a_bad_request_not_a_500(zoom_app, acme, connect_zoom, client, make):
    connection = connect_zoom(acme)
    made = make(_deauthorization())
    body, headers = made if len(made) == 2 else (made[0], _signed(made[0]))  # signed: the secret leaked
    response = client.post("/webhooks/zoom", data=body, headers=headers)
    assert response.status_code == (413 if len(body) > 64 * 1024 else 400)
    _assert_untouched(acme.org.id, connection.id)


def test_a_replayed_deauthorization_does_not_remove_a_connection_made_since(
    zoom_app, acme, connect_zoom, client
):
    first = connect_zoom(acme)
    first.connected_at -= timedelta(minutes=10)
    db.session.commit()
    body = _deauthorization()
    headers = _signed(body, timestamp=int(time.time()) - 60)  # Zoom sent it a minute ago
    assert client.post("/webhooks/zoom", data=body, headers=headers).status_code == 200
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id, live_only=False) is None

    reconnected = connect_zoom(acme)  # the admin connects again
    replay = client.post("/webhooks/zoom", data=body, headers=headers)
    assert replay.status_code == 200 and replay.get_json() == {"status": "duplicate"}
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id).id == reconnected.id


def test_a_deauthorization_older_than_the_connection_removes_nothing(zoom_app, acme, connect_zoom, client):
    """Even an event never seen before (the replay memory lost with Redis) spares a newer grant."""
    connection = connect_zoom(acme)
    body = _deauthorization()
    sent = int(connection.connected_at.timestamp()) - 30
    assert client.post("/webhooks/zoom", data=body, headers=_signed(body, timestamp=sent)).status_code == 200
    _assert_untouched(acme.org.id, connection.id)
