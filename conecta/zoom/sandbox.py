"""A local stand-in for Zoom: OAuth consent and tokens, the Meetings API, and fault injection.

Dev, demo and tests point ZOOM_OAUTH_BASE_URL / ZOOM_API_BASE_URL here so the whole Zoom lifecycle
(consent, rotating refresh tokens, meetings, daily limits, outages, lost responses) runs offline and
on demand. Behaviour follows /work/shared/zoom/FACTS.md. It is a separate Flask app, never a blueprint of
Conecta, so it cannot touch Conecta's database and can run in its own process.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
import requests
from flask import Flask, Response, g, jsonify, redirect, render_template, request
from jinja2 import DictLoader
from werkzeug.serving import run_simple

DEFAULT_CONFIG: dict[str, Any] = {
    "CLIENT_ID": "sandbox-client-id",
    "CLIENT_SECRET": "sandbox-client-secret",
    "ACCESS_TOKEN_LIFETIME": 3599,
    "DAILY_CREATE_UPDATE_LIMIT": 100,
    "WEBHOOK_SECRET_TOKEN": "sandbox-webhook-secret",
    "USER": {"id": "sandbox-user-1", "email": "host@example.com", "account_id": "sandbox-account-1",
             "first_name": "Sandbox", "last_name": "Host"},
    "APP_NAME": "Conecta",
    "SCOPES": "meeting:write:meeting meeting:update:meeting meeting:delete:meeting meeting:read:meeting "
              "user:read:user",
    "REQUIRE_PASSCODE": True,  # False: a meeting created without a password has no passcode at all
}  # fmt: skip
CODE_LIFETIME, START_URL_LIFETIME, PAGE_TOKEN_LIFETIME = 300, 2 * 3600, 15 * 60
SCHEMAS = json.loads(Path(__file__).with_name("zoom_meeting_schemas.json").read_text(encoding="utf-8"))
VALIDATORS = {name: jsonschema.Draft4Validator(s) for name, s in SCHEMAS["schemas"].items()}
PASSWORD_RE = re.compile(r"[A-Za-z0-9@_*-]{1,10}")
START_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?")
DAILY_LIMIT_MESSAGE = (
    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests permitted for "
    "this particular user. You may resume these requests at GMT 00:00:00."
)
QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DEFAULT_SETTINGS = {
    "host_video": False, "participant_video": False, "join_before_host": False, "jbh_time": 0,
    "mute_upon_entry": False, "waiting_room": False, "approval_type": 2, "audio": "voip",
    "auto_recording": "none", "use_pmi": False, "meeting_authentication": False,
}  # fmt: skip
AUTHORIZE_FIELDS = ("response_type", "client_id", "redirect_uri", "state",
                    "code_challenge", "code_challenge_method")  # fmt: skip
LIST_FIELDS = ("id", "uuid", "host_id", "topic", "type", "start_time", "duration", "timezone", "agenda",
               "join_url", "created_at")  # fmt: skip
PASSCODE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FAULT_KEYS = {"method", "path", "status", "count", "retry_after", "hang_seconds", "commit_then_fail",
              "code", "message"}  # fmt: skip
SCOPES_ACCEPTED = {  # each endpoint takes the granular scope or its classic equivalent
    "user": ("user:read:user", "user:read"),
    "create": ("meeting:write:meeting", "meeting:write"),
    "update": ("meeting:update:meeting", "meeting:write"),
    "delete": ("meeting:delete:meeting", "meeting:write"),
    "read": ("meeting:read:meeting", "meeting:read:list_meetings", "meeting:read"),
}


class ZoomError(Exception):
    """A Zoom API error, answered as `{"code", "message"}` with the given HTTP status."""

    def __init__(self, status: int, code: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class OAuthError(Exception):
    """An OAuth endpoint error, answered as `{"reason", "error"}` like zoom.us/oauth does."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.error, self.reason = status, error, reason


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _token_like(kind: str, subject: str, expires: float) -> str:
    """A JWT-shaped opaque token about as long as Zoom's (~700 chars), so too-short columns fail here too."""

    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    head = {"alg": "HS512", "v": "2.0", "kid": secrets.token_hex(16)}
    body = {"typ": kind, "uid": subject, "exp": int(expires), "jti": secrets.token_hex(16)}
    return f"{part(head)}.{part(body | {'pad': secrets.token_urlsafe(300)})}.{secrets.token_urlsafe(64)}"


class SandboxState:
    """Everything the fake Zoom remembers. The server is threaded, so every access holds `lock`."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.initial_config = copy.deepcopy(config)
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything, config changes included (caller holds the lock, except in __init__)."""
        self.config: dict[str, Any] = copy.deepcopy(self.initial_config)
        self.clock_offset = 0.0
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.meetings: dict[int, dict] = {}
        self.zaks: dict[str, dict] = {}
        self.page_tokens: dict[str, dict] = {}
        self.create_update_count: dict[str, dict[str, int]] = {}
        self.refresh_count = 0
        self.request_log: deque[dict] = deque(maxlen=10_000)
        self.faults: dict[str, Any] = {"latency_ms": 0, "errors": []}

    def now(self) -> float:
        """Sandbox time: real time plus whatever `/__sandbox/clock` added, so tests never sleep."""
        return time.time() + self.clock_offset

    @property
    def user(self) -> dict[str, Any]:
        return self.config["USER"]

    def issue_tokens(self, user_id: str, client_id: str) -> dict[str, Any]:
        """Mint an access/refresh pair; returns the /oauth/token body without api_url."""
        lifetime, scope = int(self.config["ACCESS_TOKEN_LIFETIME"]), self.config["SCOPES"]
        access = _token_like("access_token", user_id, self.now() + lifetime)
        refresh = _token_like("refresh_token", user_id, self.now() + 90 * 86400)
        grant = {"user_id": user_id, "client_id": client_id, "scope": scope}
        self.access_tokens[access] = {**grant, "expires_at": self.now() + lifetime}
        self.refresh_tokens[refresh] = grant
        return {"access_token": access, "token_type": "bearer", "refresh_token": refresh,
                "expires_in": lifetime, "scope": scope}  # fmt: skip

    def revoke_user(self, user_id: str, client_id: str) -> None:
        """Drop every token of one user's grant to this app (new consent, revoke, deauthorization)."""
        for tokens in (self.access_tokens, self.refresh_tokens):
            for value, record in list(tokens.items()):
                if (record["user_id"], record["client_id"]) == (user_id, client_id):
                    del tokens[value]

    def issue_zak(self, meeting_id: int) -> str:
        """A host start token: what makes a start_url go stale two hours after it was issued."""
        now = self.now()
        if len(self.zaks) > 1000:
            self.zaks = {z: r for z, r in self.zaks.items() if now - r["issued_at"] < START_URL_LIFETIME}
        zak = _token_like("zak", str(meeting_id), now + START_URL_LIFETIME)
        self.zaks[zak] = {"meeting_id": meeting_id, "issued_at": now}
        return zak

    def snapshot(self, base_url: str) -> dict[str, Any]:
        now = self.now()
        access = [{"token": t, **r, "expires_at": _iso(r["expires_at"]), "expired": r["expires_at"] <= now}
                  for t, r in self.access_tokens.items()]  # fmt: skip
        return {
            "now": _iso(now),
            "meetings": [_public_meeting(m, base_url) for m in self.meetings.values()],
            "tokens": {
                "access": access,
                "refresh": [{"token": t, **r} for t, r in self.refresh_tokens.items()],
            },
            "refresh_count": self.refresh_count,
            "request_log": list(self.request_log),
            "create_update_count": copy.deepcopy(self.create_update_count),
            "faults": _public_faults(self.faults),
        }


def _public_faults(faults: dict) -> dict:
    return {**faults, "errors": [{k: v for k, v in r.items() if k != "matcher"} for r in faults["errors"]]}


def _public_meeting(meeting: dict, base_url: str) -> dict:
    """The stored meeting as Zoom shows it, with its join URL (start URLs are issued per request)."""
    view = {k: copy.deepcopy(v) for k, v in meeting.items() if k != "pwd_token"}
    pwd = f"?pwd={meeting['pwd_token']}" if meeting.get("password") else ""
    return view | {"join_url": f"{base_url}/j/{meeting['id']}{pwd}"}


def _with_query(url: str, **params: str | None) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _pkce_ok(verifier: str | None, challenge: str) -> bool:
    digest = hashlib.sha256((verifier or "").encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return bool(verifier) and hmac.compare_digest(expected, challenge)


def _sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _utc_start(value: Any, tz_name: str) -> str:
    """Zoom's rule: `...Z` is UTC; without `Z` it is wall-clock time in the meeting's time zone."""
    if not isinstance(value, str) or not START_TIME_RE.fullmatch(value):
        raise ZoomError(400, 300, f"Invalid field: start_time must be yyyy-MM-ddTHH:mm:ss[Z], not {value!r}.")
    try:
        naive = datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise ZoomError(400, 300, f"Invalid field: start_time {value!r} is not a real date.") from None
    aware = naive.replace(tzinfo=UTC if value.endswith("Z") else ZoneInfo(tz_name))
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_meeting_body(body: Any, schema: str, current_tz: str) -> dict[str, Any]:
    """Validate a create/update body as Zoom does (its schema + documented limits); return the changes."""
    if not isinstance(body, dict):
        raise ZoomError(400, 300, "Request Body should be a valid JSON object.")
    for field, limit in (("topic", 200), ("agenda", 2000)):
        if isinstance(body.get(field), str) and len(body[field]) > limit:
            raise ZoomError(400, 300, f"Invalid field: {field} must be at most {limit} characters.")
    password = body.get("password")
    if isinstance(password, str) and password and not PASSWORD_RE.fullmatch(password):
        message = "Invalid field: password may only contain [a-z A-Z 0-9 @ - _ *], at most 10 characters."
        raise ZoomError(400, 300, message)
    error = jsonschema.exceptions.best_match(VALIDATORS[schema].iter_errors(body))
    if error is not None:
        field = ".".join(str(p) for p in error.absolute_path) or "body"
        raise ZoomError(400, 300, f"Invalid field: {field}: {error.message[:200]}")
    keep = ("topic", "type", "duration", "agenda", "password", "settings", "tracking_fields")
    changes = {k: copy.deepcopy(body[k]) for k in keep if k in body}
    if "timezone" in body:
        try:
            ZoneInfo(body["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ZoomError(400, 300, f"Invalid field: timezone {body['timezone']!r}.") from None
        changes["timezone"] = current_tz = body["timezone"]
    if "start_time" in body:
        changes["start_time"] = _utc_start(body["start_time"], current_tz)
    return changes


def _json_body() -> Any:
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        raise ZoomError(400, 300, "Request Body should be a valid JSON object.") from None


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


def _compile_faults(data: Any) -> dict[str, Any]:
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


TEMPLATES = {
    "page.html": """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}</style></head><body>
<p><small>Zoom sandbox</small></p><h1>{{ title }}</h1>{% block content %}<p>{{ message }}</p>{% endblock %}
</body></html>""",
    "consent.html": """{% extends "page.html" %}{% block content %}
<p><strong>{{ app_name }}</strong> is requesting access to the Zoom account of
<strong>{{ user.email }}</strong>. It will be able to:</p>
<ul>{% for scope in scopes %}<li><code>{{ scope }}</code></li>{% endfor %}</ul>
<form method="post" action="{{ url_for('authorize_decision') }}">
{% for name, value in fields.items() %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="decline">Decline</button>
</form>{% endblock %}""",
    "index.html": """{% extends "page.html" %}{% block content %}
<p>OAuth at <code>{{ base }}</code>, API at <code>{{ base }}/v2</code>. {{ meetings|length }} meeting(s).</p>
<table><tr><th>Start (UTC)</th><th>Topic</th><th>Meeting</th></tr>
{% for m in meetings %}<tr><td>{{ m.start_time }}</td><td>{{ m.topic }}</td>
<td><a href="{{ m.join_url }}">{{ m.id }}</a></td></tr>{% endfor %}</table>{% endblock %}""",
}


def _page(status: int, title: str, message: str = "", template: str = "page.html", **context: Any) -> Any:
    return render_template(template, title=title, message=message, **context), status


def create_sandbox_app(config: dict | None = None) -> Flask:
    """Build the fake Zoom; `config` overrides DEFAULT_CONFIG. State is app.extensions["zoom_sandbox"]."""
    app = Flask(__name__)
    app.jinja_loader = DictLoader(TEMPLATES)
    state = SandboxState({**copy.deepcopy(DEFAULT_CONFIG), **copy.deepcopy(config or {})})
    app.extensions["zoom_sandbox"] = state

    def base_url() -> str:
        return request.host_url.rstrip("/")

    @app.errorhandler(ZoomError)
    def zoom_error(exc: ZoomError) -> Any:
        return jsonify(code=exc.code, message=exc.message), exc.status, exc.headers

    @app.errorhandler(OAuthError)
    def oauth_error(exc: OAuthError) -> Any:
        return jsonify(reason=exc.reason, error=exc.error), exc.status

    @app.before_request
    def inject_faults() -> Response | None:
        path = request.path
        if path.startswith("/__sandbox"):
            return None
        with state.lock:
            slow = path.startswith("/v2/") or path == "/oauth/token"
            delay = state.faults["latency_ms"] / 1000 if slow else 0.0
            rule = _take_fault(state.faults, request.method, path)
        delay += float((rule or {}).get("hang_seconds") or 0)
        if delay:
            time.sleep(delay)  # never under the lock: other workers must keep being served
        if rule is None or not rule.get("status"):
            return None
        if rule.get("commit_then_fail"):
            g.fault_after = rule  # do the real work, then lose its response (see record_request)
            return None
        return _fault_response(rule)

    @app.after_request
    def record_request(response: Response) -> Response:
        if (rule := g.pop("fault_after", None)) is not None:
            response = _fault_response(rule)
        if not request.path.startswith("/__sandbox"):
            at = datetime.now(UTC).isoformat(timespec="milliseconds")
            with state.lock:
                state.request_log.append(
                    {"method": request.method, "path": request.path, "status": response.status_code, "at": at}
                )
        return response

    # ---- OAuth ---------------------------------------------------------------------------------------

    def authorize_problem(params: Any) -> str | None:
        if params.get("client_id") != state.config["CLIENT_ID"]:
            return "Invalid client_id: this app does not exist (4,700)."
        if params.get("response_type") != "code":
            return "Unsupported response_type: use response_type=code."
        if not params.get("redirect_uri"):
            return "Invalid redirect: redirect_uri is missing (4,700)."
        if params.get("code_challenge") and params.get("code_challenge_method", "plain") != "S256":
            return "Unsupported code_challenge_method: use S256."
        return None

    @app.get("/oauth/authorize")
    def authorize() -> Any:
        if problem := authorize_problem(request.args):
            return _page(400, "Invalid request", problem)
        return _page(
            200, f"Allow {state.config['APP_NAME']} to access your account?", template="consent.html",
            app_name=state.config["APP_NAME"], user=state.user, scopes=state.config["SCOPES"].split(),
            fields={k: request.args[k] for k in AUTHORIZE_FIELDS if k in request.args},
        )  # fmt: skip

    @app.post("/oauth/authorize")
    def authorize_decision() -> Any:
        form = request.form
        if problem := authorize_problem(form):
            return _page(400, "Invalid request", problem)
        if form.get("decision") != "allow":
            return redirect(_with_query(form["redirect_uri"], error="access_denied", state=form.get("state")))
        code = secrets.token_urlsafe(24)
        with state.lock:
            state.codes[code] = {
                "client_id": form["client_id"], "redirect_uri": form["redirect_uri"],
                "user_id": state.user["id"], "challenge": form.get("code_challenge"),
                "expires_at": state.now() + CODE_LIFETIME,
            }  # fmt: skip
        return redirect(_with_query(form["redirect_uri"], code=code, state=form.get("state")))

    def authenticated_client() -> str:
        """Basic auth (Zoom's way) or client_secret_post; anything else is invalid_client."""
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            client_id, secret = auth.username, auth.password
        else:
            client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        if client_id != state.config["CLIENT_ID"] or not hmac.compare_digest(
            str(secret or ""), state.config["CLIENT_SECRET"]
        ):
            raise OAuthError(401, "invalid_client", "Invalid client_id or client_secret")
        return client_id

    @app.post("/oauth/token")
    def token() -> Any:
        client_id, form = authenticated_client(), request.form
        with state.lock:
            if form.get("grant_type") == "authorization_code":
                code = state.codes.pop(form.get("code", ""), None)  # single use, even when it fails
                if (
                    code is None
                    or code["client_id"] != client_id
                    or code["expires_at"] <= state.now()
                    or code["redirect_uri"] != form.get("redirect_uri")
                    or (code["challenge"] and not _pkce_ok(form.get("code_verifier"), code["challenge"]))
                ):
                    raise OAuthError(400, "invalid_grant", "Invalid authorization code")
                state.revoke_user(code["user_id"], client_id)  # a new consent retires the older tokens
                tokens = state.issue_tokens(code["user_id"], client_id)
            elif form.get("grant_type") == "refresh_token":
                old = state.refresh_tokens.get(form.get("refresh_token", ""))
                if old is None or old["client_id"] != client_id:
                    raise OAuthError(400, "invalid_grant", "Invalid Token!")
                del state.refresh_tokens[form["refresh_token"]]  # rotation: the old one dies now
                state.refresh_count += 1
                tokens = state.issue_tokens(old["user_id"], client_id)
            else:
                raise OAuthError(400, "unsupported_grant_type", "Unsupported grant type")
        return jsonify({**tokens, "api_url": base_url()})

    @app.post("/oauth/revoke")
    def revoke() -> Any:
        client_id, value = authenticated_client(), request.form.get("token", "")
        with state.lock:
            record = state.access_tokens.get(value) or state.refresh_tokens.get(value)
            if record is not None and record["client_id"] == client_id:
                state.revoke_user(record["user_id"], client_id)
        return jsonify(status="success")  # unknown tokens too: revoking twice is not an error

    # ---- Meetings API --------------------------------------------------------------------------------

    def bearer_user(scope_kind: str) -> dict[str, Any]:
        header = request.headers.get("Authorization", "")
        value = header[7:].strip() if header[:7].lower() == "bearer " else ""
        with state.lock:
            record = state.access_tokens.get(value)
            if record is None:
                raise ZoomError(401, 124, "Invalid access token.")
            if record["expires_at"] <= state.now():
                raise ZoomError(401, 124, "Access token is expired.")
            granted, user = set(record["scope"].split()), copy.deepcopy(state.user)
        if not granted & set(needed := SCOPES_ACCEPTED[scope_kind]):
            message = f"Invalid access token, does not contain scopes:[{', '.join(needed)}]."
            raise ZoomError(400, 4711, message)
        return user

    def check_user_ref(user: dict, ref: str) -> None:
        if ref not in ("me", user["id"], user["email"]):
            raise ZoomError(404, 1001, f"User does not exist: {ref}.")

    def own_meeting(meeting_id: str, user: dict) -> dict:
        """The caller's meeting (lock held); anything else is Zoom's 3001."""
        meeting = state.meetings.get(int(meeting_id)) if meeting_id.isdigit() else None
        if meeting is None or meeting["host_id"] != user["id"]:
            raise ZoomError(404, 3001, f"Meeting does not exist: {meeting_id}.")
        return meeting

    def charge_daily_limit(user: dict) -> None:
        """Count one create/update for the host today (lock held); 429 once the day's budget is spent."""
        now = datetime.fromtimestamp(state.now(), UTC)
        per_day = state.create_update_count.setdefault(user["id"], {})
        day, limit = now.strftime("%Y-%m-%d"), int(state.config["DAILY_CREATE_UPDATE_LIMIT"])
        if per_day.get(day, 0) >= limit:
            headers = {
                "X-RateLimit-Category": "Medium", "X-RateLimit-Type": "Daily-limit",
                "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
                "Retry-After": (now + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z"),
            }  # fmt: skip
            raise ZoomError(429, 429, DAILY_LIMIT_MESSAGE.format(limit=limit), headers)
        per_day[day] = per_day.get(day, 0) + 1

    def full_meeting(meeting: dict, with_status: bool) -> dict:
        """Create/GET representation (lock held): a fresh start_url with a new zak every time."""
        view = _public_meeting(meeting, base_url())
        view["start_url"] = f"{base_url()}/s/{meeting['id']}?zak={state.issue_zak(meeting['id'])}"
        if with_status:
            view["status"] = "waiting"
            if meeting.get("password"):
                view["encrypted_password"] = meeting["pwd_token"]
        return view

    def apply_changes(meeting: dict, changes: dict) -> None:
        """Partial update, as PATCH does; settings merge key by key; a new password gets a new pwd."""
        meeting["settings"].update(changes.pop("settings", {}))
        password = changes.pop("password", None)
        meeting.update(changes)
        if not password and not meeting.get("password") and state.config["REQUIRE_PASSCODE"]:
            password = "".join(secrets.choice(PASSCODE_ALPHABET) for _ in range(6 + secrets.randbelow(5)))
        if password and password != meeting.get("password"):
            meeting["password"], meeting["pwd_token"] = password, secrets.token_urlsafe(24)

    @app.get("/v2/users/<user_ref>")
    def get_user(user_ref: str) -> Any:
        user = bearer_user("user")
        check_user_ref(user, user_ref)
        name = f"{user['first_name']} {user['last_name']}"
        defaults = {"type": 1, "status": "active", "timezone": "UTC", "language": "en-US", "verified": 1}
        return jsonify({**defaults, "pmi": 5550001234, "display_name": name, **user})

    @app.post("/v2/users/<user_ref>/meetings")
    def create_meeting(user_ref: str) -> Any:
        user = bearer_user("create")
        check_user_ref(user, user_ref)
        zone = user.get("timezone", "UTC")
        changes = _check_meeting_body(_json_body(), "create_meeting", zone)
        now = _iso(state.now())
        meeting: dict[str, Any] = {
            "id": 10**10 + secrets.randbelow(9 * 10**10),  # 11 digits: more than a 32-bit int holds
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
            "host_id": user["id"], "host_email": user["email"], "topic": "Zoom Meeting", "type": 2,
            "start_time": now, "duration": 60, "timezone": zone, "agenda": "", "created_at": now,
            "pre_schedule": False, "settings": dict(DEFAULT_SETTINGS),
        }  # fmt: skip
        apply_changes(meeting, changes)
        with state.lock:
            charge_daily_limit(user)
            state.meetings[meeting["id"]] = meeting
            return jsonify(full_meeting(meeting, with_status=False)), 201

    @app.get("/v2/meetings/<meeting_id>")
    def get_meeting(meeting_id: str) -> Any:
        user = bearer_user("read")
        with state.lock:
            return jsonify(full_meeting(own_meeting(meeting_id, user), with_status=True))

    @app.patch("/v2/meetings/<meeting_id>")
    def update_meeting(meeting_id: str) -> Any:
        user = bearer_user("update")
        with state.lock:
            zone = own_meeting(meeting_id, user)["timezone"]
        changes = _check_meeting_body(_json_body(), "update_meeting", zone)
        with state.lock:
            meeting = own_meeting(meeting_id, user)  # it may have been deleted meanwhile
            charge_daily_limit(user)
            apply_changes(meeting, changes)
        return Response(status=204)

    @app.delete("/v2/meetings/<meeting_id>")
    def delete_meeting(meeting_id: str) -> Any:
        user = bearer_user("delete")
        with state.lock:
            del state.meetings[own_meeting(meeting_id, user)["id"]]
        return Response(status=204)

    @app.get("/v2/users/<user_ref>/meetings")
    def list_meetings(user_ref: str) -> Any:
        user = bearer_user("read")
        check_user_ref(user, user_ref)
        kind = request.args.get("type", "scheduled")
        if kind not in ("scheduled", "upcoming", "upcoming_meetings", "live"):
            raise ZoomError(400, 300, f"Invalid field: type {kind!r}.")
        try:
            page_size = min(int(request.args.get("page_size", 30)), 300)
        except ValueError:
            page_size = 0
        if page_size < 1:
            raise ZoomError(400, 300, "Invalid field: page_size must be an integer from 1 to 300.")
        with state.lock:
            now, offset = state.now(), 0
            if page_token := request.args.get("next_page_token"):
                saved = state.page_tokens.get(page_token)
                if saved is None or saved["expires_at"] <= now or saved["key"] != (user["id"], kind):
                    raise ZoomError(400, 300, "The next page token is invalid or expired.")
                offset = saved["offset"]
            mine = [m for m in state.meetings.values() if m["host_id"] == user["id"] and kind != "live"]
            if kind.startswith("upcoming"):  # still to end: start + duration in the future
                mine = [m for m in mine if _parse_iso(m["start_time"]) + 60 * m["duration"] > now]
            mine.sort(key=lambda m: (m["start_time"], m["id"]))
            next_token = ""
            if offset + page_size < len(mine):
                next_token = secrets.token_urlsafe(24)
                state.page_tokens[next_token] = {"key": (user["id"], kind), "offset": offset + page_size,
                                                 "expires_at": now + PAGE_TOKEN_LIFETIME}  # fmt: skip
            page = [_public_meeting(m, base_url()) for m in mine[offset : offset + page_size]]
        items = [{k: m[k] for k in LIST_FIELDS} for m in page]
        return jsonify(
            page_size=page_size, total_records=len(mine), next_page_token=next_token, meetings=items
        )

    # ---- pages, so that links in the demo lead somewhere ---------------------------------------------

    @app.get("/j/<int:meeting_id>")
    def join_page(meeting_id: int) -> Any:
        with state.lock:
            known = meeting_id in state.meetings
        if not known:
            return _page(404, "Invalid meeting ID", "This meeting ID is not valid.")
        return _page(200, f"Sandbox Zoom meeting {meeting_id}", "You joined the meeting.")

    @app.get("/s/<int:meeting_id>")
    def start_page(meeting_id: int) -> Any:
        with state.lock:
            zak = state.zaks.get(request.args.get("zak", ""))
            fresh = zak is not None and state.now() - zak["issued_at"] < START_URL_LIFETIME
            valid = fresh and zak["meeting_id"] == meeting_id and meeting_id in state.meetings
        if not valid:
            return _page(401, "Start link expired", "This start link has expired or is not valid.")
        return _page(200, f"Sandbox Zoom meeting {meeting_id}", "You started the meeting as its host.")

    @app.get("/")
    def index() -> Any:
        with state.lock:
            meetings = [_public_meeting(m, base_url()) for m in state.meetings.values()]
        meetings.sort(key=lambda m: (m["start_time"], m["id"]))
        return _page(200, "Zoom sandbox", template="index.html", base=base_url(), meetings=meetings)

    # ---- sandbox controls, for tests, the demo and benchmarks ----------------------------------------

    @app.post("/__sandbox/faults")
    def set_faults() -> Any:
        data = request.get_json(silent=True)
        try:
            faults = _compile_faults(data)
        except (ValueError, re.error) as exc:
            return jsonify(error=str(exc)), 400
        with state.lock:
            state.faults = faults
            if data.get("expire_all_tokens"):  # one-shot: tokens issued afterwards are fine
                for record in state.access_tokens.values():
                    record["expires_at"] = min(record["expires_at"], state.now() - 1)
            return jsonify(_public_faults(state.faults))

    @app.delete("/__sandbox/faults")
    def clear_faults() -> Any:
        with state.lock:
            state.faults = {"latency_ms": 0, "errors": []}
            return jsonify(state.faults)

    @app.get("/__sandbox/state")
    def get_state() -> Any:
        with state.lock:
            return jsonify(state.snapshot(base_url()))

    @app.post("/__sandbox/reset")
    def reset() -> Any:
        with state.lock:
            state.reset()
        return jsonify(status="reset")

    @app.post("/__sandbox/config")
    def update_config() -> Any:
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or set(data) - set(DEFAULT_CONFIG):
            return jsonify(error=f"an object with keys among {sorted(DEFAULT_CONFIG)}"), 400
        with state.lock:
            state.config.update(copy.deepcopy(data))
            return jsonify(state.config)

    @app.post("/__sandbox/clock")
    def advance_clock() -> Any:
        seconds = float((request.get_json(silent=True) or {}).get("advance_seconds", 0))
        with state.lock:
            state.clock_offset += seconds
            return jsonify(now=_iso(state.now()), offset_seconds=state.clock_offset)

    @app.post("/__sandbox/webhook")
    def send_webhook() -> Any:
        """Uninstall the app on "Zoom's side": drop the grant, then POST the signed app_deauthorized event."""
        data = request.get_json(silent=True) or {}
        if not data.get("url") or data.get("event", "app_deauthorized") != "app_deauthorized":
            return jsonify(error="need a 'url'; the only event sent is app_deauthorized"), 400
        with state.lock:
            user, config = copy.deepcopy(state.user), copy.deepcopy(state.config)
            if data.get("revoke", True):
                state.revoke_user(user["id"], config["CLIENT_ID"])
        payload = {
            "account_id": user["account_id"], "user_id": user["id"], "client_id": config["CLIENT_ID"],
            "deauthorization_time": _iso(time.time()), "signature": secrets.token_hex(32),
            "user_data_retention": str(data.get("user_data_retention", "false")).lower(),
        }  # fmt: skip
        event = {"event": "app_deauthorized", "event_ts": int(time.time() * 1000), "payload": payload}
        body = json.dumps(event)
        timestamp = str(data.get("timestamp", int(time.time())))  # real time: the receiver checks staleness
        secret = data.get("secret", config["WEBHOOK_SECRET_TOKEN"])  # a wrong one tests the receiver's check
        signature = "v0=" + _sign(secret, f"v0:{timestamp}:{body}")
        headers = {"Content-Type": "application/json", "User-Agent": "Zoom Marketplace/1.0a",
                   "x-zm-request-timestamp": timestamp, "x-zm-signature": signature}  # fmt: skip
        try:
            answer = requests.post(data["url"], data=body.encode(), headers=headers, timeout=3)
        except requests.RequestException as exc:
            return jsonify(error=f"could not deliver: {exc}"), 502
        return jsonify(status=answer.status_code, body=answer.text[:2000])

    return app


def run_sandbox(host: str, port: int, config: dict | None = None) -> None:
    """Serve the sandbox until interrupted (threaded: the app's workers call it concurrently)."""
    run_simple(host, port, create_sandbox_app(config), threaded=True, use_reloader=False)
