"""Raw HTTP helpers for testing the Zoom sandbox itself: consent, tokens and API calls exactly as a client
of Zoom makes them (no Conecta involved), plus `WebhookReceiver`, a tiny endpoint that records the
sandbox's webhooks and answers as a test tells it to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

CLIENT = ("sandbox-client-id", "sandbox-client-secret")
REDIRECT_URI = "http://conecta.test/settings/integrations/zoom/callback"
MEETINGS = "/v2/users/me/meetings"
WEBHOOK_SECRET = "sandbox-webhook-secret"
USER_SCOPES = (
    "meeting:write:meeting meeting:update:meeting meeting:delete:meeting meeting:read:meeting user:read:user"
)
ADMIN_SCOPES = (
    "meeting:write:meeting:admin meeting:update:meeting:admin meeting:delete:meeting:admin "
    "meeting:read:meeting:admin meeting:read:list_meetings:admin user:read:list_users:admin "
    "user:read:user:admin"
)
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def consent_answer(
    http: requests.Session, base: str, decision: str = "allow", user_id: str | None = None, **params: str
) -> requests.Response:
    """Open the consent page, submit its own form (as `user_id`, else the preselected user) with the
    chosen button; return the sandbox's answer to the form."""
    query = {"response_type": "code", "client_id": CLIENT[0], "redirect_uri": REDIRECT_URI, "state": "st-1"}
    page = http.get(f"{base}/oauth/authorize", params={**query, **params})
    assert page.status_code == 200, page.text
    fields = {name: html.unescape(value) for name, value in HIDDEN_INPUT.findall(page.text)}
    if user_id is not None:
        fields["user_id"] = user_id
    return http.post(f"{base}/oauth/authorize", data={**fields, "decision": decision}, allow_redirects=False)


def consent(
    http: requests.Session, base: str, decision: str = "allow", user_id: str | None = None, **params: str
) -> dict[str, list[str]]:
    """As `consent_answer`, and return the query of the redirect back to the app."""
    answer = consent_answer(http, base, decision, user_id, **params)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return parse_qs(urlsplit(location).query)


def exchange(http: requests.Session, base: str, code: str, **extra: str) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra}
    return http.post(f"{base}/oauth/token", auth=CLIENT, data=data)


def refresh(http: requests.Session, base: str, refresh_token: str) -> requests.Response:
    return http.post(
        f"{base}/oauth/token",
        auth=CLIENT,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )


def connect(http: requests.Session, base: str, user_id: str | None = None, **params: str) -> dict[str, Any]:
    """The whole consent → token dance with PKCE, as Conecta's Authlib client performs it
    (`scope=...` asks for scopes; `user_id` picks who signs in on the consent page)."""
    verifier = "v" * 43
    query = {"code_challenge": s256(verifier), "code_challenge_method": "S256", **params}
    code = consent(http, base, user_id=user_id, **query)["code"][0]
    answer = exchange(http, base, code, code_verifier=verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


def api(
    http: requests.Session, base: str, token: str, method: str, path: str, **kwargs: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return http.request(method, base + path, headers=headers, **kwargs)


def create(
    http: requests.Session, base: str, token: str, path: str = MEETINGS, **fields: Any
) -> dict[str, Any]:
    body = {
        "topic": "Consultation",
        "type": 2,
        "start_time": "2099-01-05T15:00:00Z",
        "duration": 30,
        **fields,
    }
    answer = api(http, base, token, "POST", path, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def sandbox_json(
    http: requests.Session, base: str, method: str, path: str, body: Any = None, status: int = 200
) -> Any:
    answer = http.request(method, f"{base}/__sandbox/{path}", json=body)
    assert answer.status_code == status, answer.text
    return answer.json()


def signature_of(secret: str, timestamp: str, raw: bytes) -> str:
    return "v0=" + hmac_hex(secret, b"v0:" + timestamp.encode() + b":" + raw)


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class WebhookReceiver:
    """A WSGI endpoint (serve it with LiveServer) that records each request and answers as told.

    `answers`: statuses for the next requests, in turn (then 204). `gates`: for the next requests, in
    turn, an Event each waits for before answering (at most 30 s) — a receiver that answers late or
    not at all while the test looks at what the sender does meanwhile.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: deque[int] = deque()
        self.gates: deque[threading.Event] = deque()
        self._cond = threading.Condition()

    def __call__(self, environ: dict, start_response: Any) -> list[bytes]:
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
        with self._cond:
            status = self.answers.popleft() if self.answers else 204
            gate = self.gates.popleft() if self.gates else None
            self.requests.append({"headers": headers, "raw": raw, "at": time.monotonic(), "status": status})
            self._cond.notify_all()
        if gate is not None:
            gate.wait(30)
        start_response(f"{status} Answer", [("Content-Type", "application/json")])
        return [b'{"status": "ok"}']

    def events(self) -> list[dict[str, Any]]:
        with self._cond:
            return [json.loads(r["raw"]) for r in self.requests]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The first `count` requests, once they have arrived (fails after `timeout` seconds)."""
        with self._cond:
            arrived = self._cond.wait_for(lambda: len(self.requests) >= count, timeout)
            assert arrived, f"{len(self.requests)} webhook requests arrived, not {count}"
            return list(self.requests[:count])
