"""Zoom's webhooks as the sandbox sends them: signed, delivered from a background thread, retried.

Each event is POSTed as JSON with `x-zm-request-timestamp` (epoch seconds, real time: receivers reject
stale ones) and `x-zm-signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{raw body}")`, signed afresh
for every attempt. A non-2xx answer, or none within the timeout (3 s), is retried after each of the
target's `retry_delays` in turn (Zoom: up to three retries at increasing delays); then it is `failed`.

One thread delivers in due order, so the API answer never waits for a receiver. For tests the outbox can
delay every event, duplicate it, or hold events until `release()` sends them in a chosen order; every
attempt is kept in a log (`deliveries()`), and `wait_until_empty()` waits until nothing is left to send.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

USER_AGENT = "Zoom Marketplace/1.0a"
DEFAULT_MODES: dict[str, Any] = {"delay_seconds": 0.0, "duplicate": 0, "hold": False}
LOG_SIZE = 1000
UNFINISHED = ("held", "pending", "delivering")


@dataclass(frozen=True)
class WebhookTarget:
    """Where and how one event is delivered (taken from the config when the event is queued)."""

    url: str | None
    secret: str
    retry_delays: tuple[float, ...]
    timeout: float


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def post_signed(
    session: requests.Session,
    url: str,
    secret: str,
    body: bytes,
    timeout: float,
    timestamp: str | None = None,
) -> dict[str, Any]:
    """One signed POST; returns the attempt: {at, status (None if no answer), error, ms, answer}."""
    timestamp = timestamp or str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "x-zm-request-timestamp": timestamp, "x-zm-signature": signature(secret, timestamp, body)}  # fmt: skip
    attempt: dict[str, Any] = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), "status": None}
    started = time.monotonic()
    try:
        answer = session.post(url, data=body, headers=headers, timeout=timeout)
        attempt.update(status=answer.status_code, error=None, answer=answer.text[:2000])
    except requests.Timeout:
        attempt.update(error=f"no answer within {timeout:g} s", answer="")
    except requests.RequestException as exc:
        attempt.update(error=f"could not deliver: {exc}", answer="")
    attempt["ms"] = round((time.monotonic() - started) * 1000)
    return attempt


@dataclass
class Delivery:
    """One copy of one event on its way to one URL."""

    id: int
    event: dict[str, Any]
    body: bytes
    target: WebhookTarget
    generation: int
    copy_of: int | None = None
    status: str = "pending"  # held | pending | delivering | delivered | failed
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "event": self.event["event"], "url": self.target.url, "status": self.status,
            "copy_of": self.copy_of, "attempts": list(self.attempts), "body": self.body.decode(),
        }  # fmt: skip


class WebhookOutbox:
    """Queued deliveries, a thread that sends them when due, and the log of what happened."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._session = requests.Session()
        self._session.trust_env = False  # loopback receivers: never through a proxy from the environment
        self._thread: threading.Thread | None = None
        self._ids, self._order = itertools.count(1), itertools.count()
        self._generation = 0
        self._due: list[tuple[float, int, Delivery]] = []  # heap by due time (monotonic), then order
        self._held: list[Delivery] = []
        self._log: dict[int, Delivery] = {}
        self.modes: dict[str, Any] = dict(DEFAULT_MODES)

    def reset(self) -> None:
        """Drop everything queued and logged (an attempt in flight finishes, unrecorded)."""
        with self._cond:
            self._generation += 1
            self._due, self._held, self._log = [], [], {}
            self.modes = dict(DEFAULT_MODES)
            self._cond.notify_all()

    def set_modes(self, **modes: Any) -> dict[str, Any]:
        """Change delay_seconds / duplicate / hold (validated by the caller); ending a hold releases."""
        with self._cond:
            self.modes.update(modes)
            if not self.modes["hold"]:
                self._release("sent")
            return dict(self.modes)

    def send(self, event: dict[str, Any], target: WebhookTarget) -> list[int]:
        """Queue `event` (plus duplicates) for `target`; without a URL nothing is sent. Returns the ids."""
        if not target.url:
            return []
        body = json.dumps(event).encode()
        with self._cond:
            copies = 1 + int(self.modes["duplicate"])
            first = None
            for _ in range(copies):
                delivery = Delivery(next(self._ids), event, body, target, self._generation, copy_of=first)
                first = first or delivery.id
                self._log[delivery.id] = delivery
                if self.modes["hold"]:
                    delivery.status = "held"
                    self._held.append(delivery)
                else:
                    self._schedule(delivery, float(self.modes["delay_seconds"]))
            self._trim_log()
            self._ensure_thread()
            return list(range(first, first + copies))

    def deliver_now(self, event: dict[str, Any], target: WebhookTarget, timestamp: str | None = None) -> dict:
        """Send one event at once, in the caller's thread, no retries (logged like the others)."""
        body = json.dumps(event).encode()
        with self._cond:
            delivery = Delivery(next(self._ids), event, body, target, self._generation, status="delivering")
            self._log[delivery.id] = delivery
        attempt = post_signed(self._session, target.url or "", target.secret, body, target.timeout, timestamp)
        with self._cond:
            delivery.attempts.append(attempt)
            delivery.status = "delivered" if _succeeded(attempt) else "failed"
            self._cond.notify_all()
        return attempt

    def release(self, order: str = "sent") -> int:
        """Send the held events now: in the order they were sent, or `reversed`. Returns how many."""
        with self._cond:
            return self._release(order)

    def deliveries(self) -> list[dict[str, Any]]:
        with self._cond:
            return [d.public() for d in self._log.values()]

    def wait_until_empty(self, timeout: float) -> bool:
        """Block until nothing is held, queued or being delivered (True), or `timeout` passes (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._unfinished(), timeout)

    def pending_count(self) -> int:
        with self._cond:
            return self._unfinished()

    # -- inside the lock -------------------------------------------------------------------------------

    def _unfinished(self) -> int:
        return sum(d.status in UNFINISHED for d in self._log.values())

    def _schedule(self, delivery: Delivery, delay: float) -> None:
        delivery.status = "pending"
        heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), delivery))
        self._cond.notify_all()

    def _release(self, order: str) -> int:
        held, self._held = self._held, []
        for delivery in reversed(held) if order == "reversed" else held:
            self._schedule(delivery, 0.0)
        return len(held)

    def _trim_log(self) -> None:
        finished = [i for i, d in self._log.items() if d.status not in UNFINISHED]
        for delivery_id in finished[: max(0, len(self._log) - LOG_SIZE)]:
            del self._log[delivery_id]

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="zoom-sandbox-webhooks", daemon=True)
            self._thread.start()

    # -- the delivery thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            delivery = self._next_due()
            target = delivery.target
            attempt = post_signed(
                self._session, target.url or "", target.secret, delivery.body, target.timeout
            )
            with self._cond:
                if delivery.generation != self._generation:
                    continue  # reset meanwhile: forget it
                delivery.attempts.append(attempt)
                retries_done = len(delivery.attempts) - 1
                if _succeeded(attempt):
                    delivery.status = "delivered"
                elif retries_done < len(target.retry_delays):
                    self._schedule(delivery, target.retry_delays[retries_done])
                else:
                    delivery.status = "failed"
                self._cond.notify_all()

    def _next_due(self) -> Delivery:
        """Wait for the earliest delivery to fall due and take it (marked `delivering`)."""
        with self._cond:
            while True:
                if self._due:
                    due, _, delivery = self._due[0]
                    wait = due - time.monotonic()
                    if wait <= 0:
                        heapq.heappop(self._due)
                        delivery.status = "delivering"
                        return delivery
                    self._cond.wait(wait)
                else:
                    self._cond.wait()


def _succeeded(attempt: dict[str, Any]) -> bool:
    return attempt["status"] is not None and 200 <= attempt["status"] < 300
