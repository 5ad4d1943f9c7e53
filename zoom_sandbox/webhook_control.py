"""Control endpoints for webhooks: where events go, how they misbehave, what was delivered, and the two
events sent on demand (`app_deauthorized` and Zoom's endpoint URL validation).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from flask import Blueprint, jsonify

from zoom_sandbox.control import BadControl, account_user, body
from zoom_sandbox.state import SandboxState, current_state, iso
from zoom_sandbox.webhooks import WebhookTarget

bp = Blueprint("webhook_control", __name__, url_prefix="/__sandbox")
MAX_WAIT_SECONDS = 120.0


def settings_view(state: SandboxState) -> dict[str, Any]:
    config = state.config
    return {
        "url": config["WEBHOOK_URL"], "secret": config["WEBHOOK_SECRET_TOKEN"],
        "retry_delays": config["WEBHOOK_RETRY_DELAYS"], "timeout_seconds": config["WEBHOOK_TIMEOUT_SECONDS"],
        **state.outbox.modes, "unfinished": state.outbox.pending_count(),
    }  # fmt: skip


def _number(data: dict[str, Any], key: str, low: float = 0.0) -> float:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise BadControl(f"{key} must be a number ≥ {low:g}")
    return float(value)


def _checked_settings(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a valid body into config keys and outbox modes."""
    allowed = {"url", "secret", "retry_delays", "timeout_seconds", "delay_seconds", "duplicate", "hold"}
    if set(data) - allowed:
        raise BadControl(f"an object with keys among {sorted(allowed)}")
    config: dict[str, Any] = {}
    if "url" in data:
        if data["url"] is not None and not (isinstance(data["url"], str) and data["url"].startswith("http")):
            raise BadControl("url must be an http(s) URL, or null to send nothing")
        config["WEBHOOK_URL"] = data["url"]
    if "secret" in data:
        if not isinstance(data["secret"], str) or not data["secret"]:
            raise BadControl("secret must be a non-empty string")
        config["WEBHOOK_SECRET_TOKEN"] = data["secret"]
    if "retry_delays" in data:
        delays = data["retry_delays"]
        if not isinstance(delays, list) or len(delays) > 3:
            raise BadControl("retry_delays must be a list of at most 3 numbers of seconds")
        config["WEBHOOK_RETRY_DELAYS"] = [_number({"retry delay": d}, "retry delay") for d in delays]
    if "timeout_seconds" in data:
        config["WEBHOOK_TIMEOUT_SECONDS"] = _number(data, "timeout_seconds", 0.001)
    modes: dict[str, Any] = {}
    if "delay_seconds" in data:
        modes["delay_seconds"] = _number(data, "delay_seconds")
    if "duplicate" in data:
        copies = data["duplicate"]
        if type(copies) is bool or (type(copies) is int and 0 <= copies <= 10):
            modes["duplicate"] = int(copies)
        else:
            raise BadControl("duplicate must be true/false or how many extra copies (0-10)")
    if "hold" in data:
        if not isinstance(data["hold"], bool):
            raise BadControl("hold must be true or false")
        modes["hold"] = data["hold"]
    return config, modes


@bp.get("/webhooks")
def get_webhooks() -> Any:
    state = current_state()
    with state.lock:
        return jsonify(settings_view(state))


@bp.post("/webhooks")
def set_webhooks() -> Any:
    """Where events go (url, secret), how they are retried (retry_delays, timeout_seconds), and how they
    misbehave: delay_seconds before the first attempt, duplicate copies, hold until released."""
    config, modes = _checked_settings(body())
    state = current_state()
    with state.lock:
        state.config.update(config)
        state.outbox.set_modes(**modes)
        return jsonify(settings_view(state))


@bp.post("/webhooks/release")
def release_webhooks() -> Any:
    """Send the held events now, `{"order": "sent"}` (default) or `"reversed"`; holding goes on."""
    order = body().get("order", "sent")
    if order not in ("sent", "reversed"):
        raise BadControl("order must be 'sent' or 'reversed'")
    return jsonify(released=current_state().outbox.release(order))


@bp.get("/webhooks/deliveries")
def deliveries() -> Any:
    """Every delivery, oldest first: event, url, status, copy_of, each attempt (at, status, error, ms)."""
    return jsonify(deliveries=current_state().outbox.deliveries())


@bp.post("/webhooks/wait")
def wait_for_outbox() -> Any:
    """Block until nothing is held, queued or in flight (200), or `timeout_seconds` pass (504)."""
    data = body()
    timeout = min(_number(data, "timeout_seconds") if "timeout_seconds" in data else 20.0, MAX_WAIT_SECONDS)
    outbox = current_state().outbox
    empty = outbox.wait_until_empty(timeout)
    return jsonify(empty=empty, unfinished=outbox.pending_count()), 200 if empty else 504


def _target(state: SandboxState, data: dict[str, Any]) -> WebhookTarget:
    """Where a one-off event goes (lock held): `url` / `secret` from the body, else the configured ones."""
    target = state.webhook_target(url=data.get("url"), secret=data.get("secret"))
    if not target.url:
        raise BadControl("need a 'url' (none is configured)")
    return target


def _send_now(
    state: SandboxState, target: WebhookTarget, data: dict[str, Any], event: dict
) -> dict[str, Any]:
    """POST one event at once, no retries (`timestamp` in the body overrides the signed time)."""
    timestamp = str(data["timestamp"]) if "timestamp" in data else None
    return state.outbox.deliver_now(event, target, timestamp=timestamp)


def _no_answer(attempt: dict[str, Any]) -> Any:
    return jsonify(error=attempt["error"]), 502


@bp.post("/webhook")
def send_deauthorization() -> Any:
    """Uninstall the app on "Zoom's side": drop the user's grant (unless `"revoke": false`), then POST
    the signed `app_deauthorized` event at once and answer with the receiver's {status, body}."""
    data, state = body(), current_state()
    if data.get("event", "app_deauthorized") != "app_deauthorized":
        raise BadControl("the only event sent here is app_deauthorized")
    with state.lock:
        target = _target(state, data)
        user = account_user(state, data.get("user") or state.account.admins()[0]["id"])
        client_id = state.config["CLIENT_ID"]
        if data.get("revoke", True):
            state.revoke_user(user["id"], client_id)
        payload = {
            "account_id": state.account.id, "user_id": user["id"], "client_id": client_id,
            "deauthorization_time": iso(state.now()), "signature": secrets.token_hex(32),
            "user_data_retention": str(data.get("user_data_retention", "false")).lower(),
        }  # fmt: skip
        event = {"event": "app_deauthorized", "event_ts": int(state.now() * 1000), "payload": payload}
    attempt = _send_now(state, target, data, event)
    if attempt["status"] is None:
        return _no_answer(attempt)
    return jsonify(status=attempt["status"], body=attempt["answer"])


@bp.post("/webhooks/validate")
def validate_endpoint() -> Any:
    """Zoom's endpoint URL validation: send a plainToken, check the answer's encryptedToken."""
    data, state = body(), current_state()
    plain = secrets.token_urlsafe(16)
    with state.lock:
        event = {"event": "endpoint.url_validation", "event_ts": int(state.now() * 1000),
                 "payload": {"plainToken": plain}}  # fmt: skip
        target = _target(state, data)
    attempt = _send_now(state, target, data, event)
    if attempt["status"] is None:
        return _no_answer(attempt)
    expected = hmac.new(target.secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
    try:
        received = json.loads(attempt["answer"])
    except ValueError:
        received = None
    valid = attempt["status"] == 200 and received == {"plainToken": plain, "encryptedToken": expected}
    return jsonify(valid=valid, status=attempt["status"], body=attempt["answer"])
