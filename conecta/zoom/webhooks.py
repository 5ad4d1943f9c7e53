"""Zoom's webhooks: `POST /webhooks/zoom` (URL validation and app deauthorization).

Zoom signs each event with the app's secret token: `x-zm-signature: v0=HMAC-SHA256(secret,
"v0:{x-zm-request-timestamp}:{raw body}")`. The signature is checked over the raw bytes, in constant time,
and events older than 5 minutes are refused (a replayed deauthorization must not delete anything).
This is the only route exempt from CSRF: Zoom cannot send our token, the signature stands in for it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from flask import Blueprint, abort, current_app, jsonify, request

from conecta.extensions import db
from conecta.zoom.connection import deauthorize

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger("conecta.zoom")

MAX_AGE_SECONDS = 5 * 60


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
    """Answer Zoom's URL validation; on app_deauthorized forget that Zoom user's connection."""
    secret = current_app.config.get("ZOOM_WEBHOOK_SECRET_TOKEN") or ""
    body = request.get_data(cache=True)  # the raw bytes, exactly as signed
    if not signature_is_valid(
        secret,
        request.headers.get("x-zm-request-timestamp", ""),
        request.headers.get("x-zm-signature", ""),
        body,
    ):
        log.warning("zoom_webhook rejected: bad or stale signature")
        return jsonify(error="invalid signature"), 401
    try:
        event = json.loads(body)
    except ValueError:
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
        org_ids = deauthorize(str(user_id), payload.get("account_id"))
        db.session.commit()
        log.info("zoom_webhook event=app_deauthorized organizations=%s", len(org_ids))
        return jsonify(status="ok")

    log.info("zoom_webhook event=%s ignored", kind)
    return jsonify(status="ignored")
