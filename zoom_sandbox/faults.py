"""Fault injection, so tests and benchmarks can make "Zoom" slow, failing, rate-limited or hanging on demand.

`POST /__sandbox/faults` takes `{"latency_ms": N, "errors": [rule, ...], "expire_all_tokens": bool}`. A
rule matches by `path` (exact, or a regular expression after `re:`) and optional `method`, for `count`
calls (or forever), and answers with `status` (401 → code 124, 429 → per-second limit with
`retry_after`, others a generic body; `code` / `message` override), after `hang_seconds` if given.
`held` makes the call wait until `POST /__sandbox/faults/release` (or new faults, or a reset; at most
`hang_seconds`, else a minute), so a test decides when a slow call lands instead of guessing a time.
`commit_then_fail` does the real work and then loses the answer. Every non-control request is logged,
except one begun before the last reset (a call still hanging from an earlier test): it does nothing and
answers 503.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

from zoom_sandbox.state import SandboxState, current_state

FAULT_KEYS = {"method", "path", "status", "count", "retry_after", "hang_seconds", "held", "commit_then_fail",
              "code", "message"}  # fmt: skip
HOLD_LIMIT_SECONDS = 60.0
QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
NO_FAULTS: dict[str, Any] = {"latency_ms": 0, "errors": []}


def compile_faults(data: Any) -> dict[str, Any]:
    """Check the fault JSON up front so a typo in a test fails loudly instead of injecting nothing."""
    if not isinstance(data, dict):
        raise ValueError("faults must be a JSON object")
    errors = []
    for raw in data.get("errors") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str) or set(raw) - FAULT_KEYS:
            raise ValueError(f"each error needs a 'path' and may only have the keys {sorted(FAULT_KEYS)}")
        if not isinstance(raw.get("status", 500), int):
            raise ValueError("status must be an HTTP status number")
        path = raw["path"]
        matcher = re.compile(path[3:] if path.startswith("re:") else re.escape(path))
        errors.append({**raw, "matcher": matcher, "remaining": raw.get("count")})
    return {"latency_ms": int(data.get("latency_ms") or 0), "errors": errors}


def public_faults(faults: dict) -> dict:
    return {**faults, "errors": [{k: v for k, v in r.items() if k != "matcher"} for r in faults["errors"]]}


def _take_fault(faults: dict, method: str, path: str) -> dict | None:
    """The first rule matching this call, using up one of its `count` (caller holds the lock)."""
    for rule in faults["errors"]:
        if (rule.get("method") or method).upper() != method or rule["remaining"] == 0:
            continue
        if rule["matcher"].fullmatch(path):
            if rule["remaining"] is not None:
                rule["remaining"] -= 1
            return rule
    return None


def _fault_response(rule: dict) -> Response:
    status, headers = rule["status"], {}
    if status == 401:
        code, message = 124, "Access token is expired."
    elif status == 429:
        code, message = 429, QPS_MESSAGE
        headers = {"X-RateLimit-Category": "Medium" if request.method == "POST" else "Light",
                   "X-RateLimit-Type": "QPS", "Retry-After": str(rule.get("retry_after", 1))}  # fmt: skip
    else:
        code, message = status, f"Sandbox injected fault (HTTP {status})."
    body = {"code": rule.get("code", code), "message": rule.get("message", message)}
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def _is_control(path: str) -> bool:
    return path.startswith("/__sandbox")


def _wait_for_release(state: SandboxState, faults: dict, limit: float) -> None:
    """Until these faults are released or replaced, or the sandbox is reset (`Condition.wait` lets the
    lock go meanwhile, so other calls are served)."""
    generation = g.sandbox_generation
    with state.lock:
        state.faults_changed.wait_for(
            lambda: faults.get("released") or state.faults is not faults or state.generation != generation,
            timeout=limit,
        )


def release_held(state: SandboxState) -> None:
    """Let every held call (and any still to come under these faults) go on (caller holds the lock)."""
    state.faults["released"] = True
    state.faults_changed.notify_all()


def inject_faults() -> Response | None:
    """Before each request: add latency, hang, or answer with an injected error."""
    if _is_control(request.path):
        return None
    state = current_state()
    with state.lock:
        g.sandbox_generation = state.generation
        slow = request.path.startswith("/v2/") or request.path == "/oauth/token"
        delay = state.faults["latency_ms"] / 1000 if slow else 0.0
        faults = state.faults
        rule = _take_fault(faults, request.method, request.path)
    held = rule is not None and rule.get("held")
    if held:
        _wait_for_release(state, faults, float(rule.get("hang_seconds") or HOLD_LIMIT_SECONDS))
    else:
        delay += float((rule or {}).get("hang_seconds") or 0)
    if delay:
        time.sleep(delay)  # never under the lock: other workers must keep being served
    if delay or held:
        with state.lock:
            if state.generation != g.sandbox_generation:  # reset meanwhile (the test that hung it is over)
                return _fault_response({"status": 503, "message": "The sandbox was reset during this call."})
    if rule is None or not rule.get("status"):
        return None
    if rule.get("commit_then_fail"):
        g.fault_after = rule  # do the real work, then lose its response (see record_request)
        return None
    return _fault_response(rule)


def record_request(response: Response) -> Response:
    """After each request: lose the answer if a commit_then_fail rule said so; log the call."""
    if (rule := g.pop("fault_after", None)) is not None:
        response = _fault_response(rule)
    if not _is_control(request.path):
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        entry = {"method": request.method, "path": request.path, "status": response.status_code, "at": at}
        state = current_state()
        with state.lock:
            if g.get("sandbox_generation") == state.generation:  # a call begun before a reset is not logged
                state.request_log.append(entry)
    return response


def init_app(app: Flask) -> None:
    app.before_request(inject_faults)
    app.after_request(record_request)
