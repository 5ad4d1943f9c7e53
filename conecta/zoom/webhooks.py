"""Zoom's webhooks: `POST /webhooks/zoom` (URL validation, app deauthorization, meeting changes).

Zoom signs each event with the app's secret token: `x-zm-signature: v0=HMAC-SHA256(secret,
"v0:{x-zm-request-timestamp}:{raw body}")`. The signature is checked over the raw bytes, in constant time,
and events older than 5 minutes are refused. A replay inside those 5 minutes is recognised (processed
signatures are remembered in Redis) and does nothing; a deauthorization removes only grants older than it.
A body over ZOOM_WEBHOOK_MAX_BYTES (64 KB: Zoom's events are a few hundred bytes) is answered 413 before
it is read; JSON nested deeper than 16 levels and malformed timestamps are answered 400.
This is the only route exempt from CSRF: Zoom cannot send our token, the signature stands in for it.
Meeting events (deleted, permanently deleted, updated) are handed to `conecta.zoom.zoom_changes`, which
recognises our own changes echoing back at the door and enqueues a job only for a real or uncertain one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, jsonify, request
from redis.exceptions import RedisError
from werkzeug.exceptions import RequestEntityTooLarge

from conecta import metrics
from conecta.extensions import db
from conecta.jobs import redis_conn, redis_key
from conecta.zoom import meeting_events, zoom_changes
from conecta.zoom.connection import deauthorize

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger("conecta.zoom")

MAX_AGE_SECONDS = 5 * 60
# Zoom's events are shallow: anything deeper is refused (400) before it is parsed.
MAX_JSON_DEPTH = 16


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_is_valid(
    secret: str, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> bool:
    """Zoom's v0 signature over the raw body, and a timestamp no more than 5 minutes away from now."""
    if not secret or not timestamp or not signature:
        return False
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - sent_at) > MAX_AGE_SECONDS:
        return False
    expected = "v0=" + _hmac_hex(secret, b"v0:" + timestamp.encode() + b":" + body)
    return hmac.compare_digest(expected.encode(), signature.encode())


@bp.post("/zoom")
def zoom():
    """Answer Zoom's URL validation; on app_deauthorized forget that Zoom user's connection; hand meeting
    changes over (a 503 when they cannot be queued, so Zoom delivers them again)."""
    secret = current_app.config.get("ZOOM_WEBHOOK_SECRET_TOKEN") or ""
    timestamp = request.headers.get("x-zm-request-timestamp", "")
    signature = request.headers.get("x-zm-signature", "")
    if timestamp and not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        abort(400)  # seconds since 1970; a 5,000-digit "number" is not one
    limit = int(current_app.config["ZOOM_WEBHOOK_MAX_BYTES"])
    if (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    body = request.get_data(cache=True)  # the raw bytes, exactly as signed
    if len(body) > limit:
        raise RequestEntityTooLarge()
    if not signature_is_valid(secret, timestamp, signature, body):
        log.warning("zoom_webhook rejected: bad or stale signature")
        return jsonify(error="invalid signature"), 401
    if _seen_before(signature):
        log.info("zoom_webhook replayed event ignored")
        return jsonify(status="duplicate")
    if _json_depth(body) > MAX_JSON_DEPTH:
        abort(400)
    try:
        event = json.loads(body)
    except ValueError:  # includes undecodable bytes
        abort(400)
    if not isinstance(event, dict):
        abort(400)
    kind = event.get("event")
    payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}

    if kind == "endpoint.url_validation":
        plain = str(payload.get("plainToken") or "")
        if not plain:
            abort(400)
        return jsonify(plainToken=plain, encryptedToken=_hmac_hex(secret, plain.encode()))

    if kind == "app_deauthorized":
        client_id = payload.get("client_id")
        if client_id and client_id != current_app.config["ZOOM_CLIENT_ID"]:
            log.warning("zoom_webhook app_deauthorized for another client id: ignored")
            return jsonify(status="ignored")
        user_id = payload.get("user_id")
        if not user_id:
            abort(400)
        # Only grants made before the event (its signed timestamp, to the second) are removed.
        sent_at = datetime.fromtimestamp(int(timestamp) + 1, UTC)
        org_ids = deauthorize(str(user_id), payload.get("account_id"), granted_before=sent_at)
        db.session.commit()
        log.info("zoom_webhook event=app_deauthorized organizations=%s", len(org_ids))
        return jsonify(status="ok")

    if kind in meeting_events.MEETING_EVENTS:
        try:
            status = zoom_changes.receive(event)
        except RedisError:
            log.warning("zoom_webhook event=%s not queued: Redis unavailable", kind)
            metrics.zoom_webhook(kind, "unavailable")
            return jsonify(error="try again later"), 503
        log.info("zoom_webhook event=%s %s", kind, status)
        metrics.zoom_webhook(kind, status)
        return jsonify(status=status)

    log.info("zoom_webhook event=%s ignored", kind)
    return jsonify(status="ignored")


def _seen_before(signature: str) -> bool:
    """Remember each processed event (its signature covers timestamp and body) for as long as its
    signature is accepted, so a replay inside that window does nothing. Without Redis the event is
    processed: deauthorization still spares grants made after it."""
    key = redis_key("webhook", hashlib.sha256(signature.encode()).hexdigest())
    try:
        return not redis_conn().set(key, "1", nx=True, ex=2 * MAX_AGE_SECONDS)
    except RedisError:
        log.warning("zoom_webhook replay check skipped: Redis unavailable")
        return False


def _json_depth(body: bytes) -> int:
    """How deeply a JSON text nests (brackets outside strings), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest
