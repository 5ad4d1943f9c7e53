"""Everything the fake Zoom remembers: config, the account, tokens, meetings, limits, faults and its clock.

The server is threaded, so every read or write of a `SandboxState` holds `state.lock`. The webhook outbox
has a lock of its own and never takes this one, so emitting an event while holding it is safe.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from zoom_sandbox.account import Account
from zoom_sandbox.policies import merge_policies
from zoom_sandbox.webhooks import WebhookOutbox, WebhookTarget

START_URL_LIFETIME = 2 * 3600
REFRESH_TOKEN_LIFETIME = 90 * 86400


def iso(ts: float) -> str:
    """Zoom's timestamp format: UTC, seconds, `Z`."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def token_like(kind: str, subject: str, expires: float) -> str:
    """A JWT-shaped opaque token about as long as Zoom's (~700 chars), so too-short columns fail here too."""

    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    head = {"alg": "HS512", "v": "2.0", "kid": secrets.token_hex(16)}
    body = {"typ": kind, "uid": subject, "exp": int(expires), "jti": secrets.token_hex(16)}
    return f"{part(head)}.{part(body | {'pad': secrets.token_urlsafe(300)})}.{secrets.token_urlsafe(64)}"


class SandboxState:
    """One sandbox's memory. `reset()` returns it to how the app was created."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.initial_config = copy.deepcopy(config)
        self.lock = threading.Lock()
        self.faults_changed = threading.Condition(self.lock)  # held calls wait on it (zoom_sandbox.faults)
        self.outbox = WebhookOutbox()
        self.generation = 0  # counts resets: a request that outlives one must not touch the new state
        with self.lock:
            self.reset()

    def reset(self) -> None:
        """Forget everything, config changes included (caller holds the lock)."""
        self.generation += 1
        self.config: dict[str, Any] = copy.deepcopy(self.initial_config)
        policies = self.config["POLICIES"]
        self.config["REQUIRE_PASSCODE"] = policies.get("require_passcode", self.config["REQUIRE_PASSCODE"])
        self.clock_offset = 0.0
        self.account = Account(self.config["ACCOUNT_ID"], self.config["USERS"], iso(time.time()))
        self.policies: dict[str, Any] = merge_policies({}, policies)
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.meetings: dict[int, dict] = {}
        self.trash: dict[int, dict] = {}  # deleted meetings, until permanently deleted
        self.zaks: dict[str, dict] = {}
        self.page_tokens: dict[str, dict] = {}
        self.create_update_count: dict[str, dict[str, int]] = {}  # user id → {UTC day: creates+updates}
        self.daily_limits: dict[str, int] = {}  # user id → limit, where it differs from the config's
        self.refresh_count = 0
        self.request_log: deque[dict] = deque(maxlen=10_000)
        self.replace_faults({"latency_ms": 0, "errors": []})
        self.outbox.reset()

    def replace_faults(self, faults: dict[str, Any]) -> None:
        """New faults; calls held by the old ones go on (caller holds the lock)."""
        self.faults = faults
        self.faults_changed.notify_all()

    def now(self) -> float:
        """Sandbox time: real time plus whatever `/__sandbox/clock` added, so tests never sleep."""
        return time.time() + self.clock_offset

    def issue_tokens(self, user_id: str, client_id: str, scope: str) -> dict[str, Any]:
        """Mint an access/refresh pair for one grant; returns the /oauth/token body without api_url."""
        lifetime = int(self.config["ACCESS_TOKEN_LIFETIME"])
        access = token_like("access_token", user_id, self.now() + lifetime)
        refresh = token_like("refresh_token", user_id, self.now() + REFRESH_TOKEN_LIFETIME)
        grant = {"user_id": user_id, "client_id": client_id, "scope": scope}
        self.access_tokens[access] = {**grant, "expires_at": self.now() + lifetime}
        self.refresh_tokens[refresh] = grant
        return {"access_token": access, "token_type": "bearer", "refresh_token": refresh,
                "expires_in": lifetime, "scope": scope}  # fmt: skip

    def revoke_user(self, user_id: str, client_id: str | None = None) -> None:
        """Drop every token of one user's grant to this app (or to any app, without `client_id`)."""
        for tokens in (self.access_tokens, self.refresh_tokens):
            for value, record in list(tokens.items()):
                if record["user_id"] == user_id and client_id in (None, record["client_id"]):
                    del tokens[value]

    def issue_zak(self, meeting_id: int) -> str:
        """A host start token: what makes a start_url go stale two hours after it was issued."""
        now = self.now()
        if len(self.zaks) > 1000:
            self.zaks = {z: r for z, r in self.zaks.items() if now - r["issued_at"] < START_URL_LIFETIME}
        zak = token_like("zak", str(meeting_id), now + START_URL_LIFETIME)
        self.zaks[zak] = {"meeting_id": meeting_id, "issued_at": now}
        return zak

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Queue one webhook event for the configured URL (none configured: nothing is sent)."""
        body = {"event": event, "event_ts": int(self.now() * 1000), "payload": payload}
        self.outbox.send(body, self.webhook_target())

    def webhook_target(self, url: str | None = None, secret: str | None = None) -> WebhookTarget:
        return WebhookTarget(
            url=url or self.config["WEBHOOK_URL"],
            secret=self.config["WEBHOOK_SECRET_TOKEN"] if secret is None else secret,
            retry_delays=tuple(float(d) for d in self.config["WEBHOOK_RETRY_DELAYS"]),
            timeout=float(self.config["WEBHOOK_TIMEOUT_SECONDS"]),
        )


def current_state() -> SandboxState:
    """The state of the sandbox app serving this request."""
    return current_app.extensions["zoom_sandbox"]
