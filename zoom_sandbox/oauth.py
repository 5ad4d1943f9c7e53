"""zoom.us/oauth as the sandbox plays it: the consent page, the token endpoint and revocation.

The consent page lets the person choose which user of the account signs in (the first admin is
preselected) and shows the scopes asked for. Without a `scope` parameter the grant gets the app's
configured user-level scopes (`SCOPES`). A `scope` parameter may ask for any of the app's scopes
(`SCOPES` and `ADMIN_SCOPES`); asking for an admin scope (`...:admin`) makes it an admin-level grant,
which only an account admin can give. Codes live 5 minutes and work once (PKCE S256 checked); refresh
tokens rotate; a new consent by the same user retires their older tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, jsonify, redirect, request

from zoom_sandbox.errors import OAuthError
from zoom_sandbox.pages import page
from zoom_sandbox.state import SandboxState, current_state

bp = Blueprint("oauth", __name__)
CODE_LIFETIME = 300
AUTHORIZE_FIELDS = ("response_type", "client_id", "redirect_uri", "state", "code_challenge",
                    "code_challenge_method", "scope")  # fmt: skip


def _with_query(url: str, **params: str | None) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _pkce_ok(verifier: str | None, challenge: str) -> bool:
    digest = hashlib.sha256((verifier or "").encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return bool(verifier) and hmac.compare_digest(expected, challenge)


def requested_scopes(state: SandboxState, params: Any) -> list[str]:
    """The scopes this authorization asks for: the `scope` parameter, or the app's user-level scopes."""
    asked = params.get("scope", "").replace(",", " ").split()
    return asked or state.config["SCOPES"].split()


def is_admin_grant(scopes: list[str]) -> bool:
    return any(scope.endswith(":admin") for scope in scopes)


def authorize_problem(state: SandboxState, params: Any) -> str | None:
    if params.get("client_id") != state.config["CLIENT_ID"]:
        return "Invalid client_id: this app does not exist (4,700)."
    if params.get("response_type") != "code":
        return "Unsupported response_type: use response_type=code."
    if not params.get("redirect_uri"):
        return "Invalid redirect: redirect_uri is missing (4,700)."
    if params.get("code_challenge") and params.get("code_challenge_method", "plain") != "S256":
        return "Unsupported code_challenge_method: use S256."
    offered = set(state.config["SCOPES"].split()) | set(state.config["ADMIN_SCOPES"].split())
    unknown = [s for s in requested_scopes(state, params) if s not in offered]
    if unknown:
        return f"Invalid scope: this app does not offer {', '.join(unknown)}."
    return None


@bp.get("/oauth/authorize")
def authorize() -> Any:
    state = current_state()
    with state.lock:
        if problem := authorize_problem(state, request.args):
            return page(400, "Invalid request", problem)
        scopes = requested_scopes(state, request.args)
        users = [dict(u) for u in state.account.users.values()]
        preselected = state.account.admins()[0]["id"]
        app_name = state.config["APP_NAME"]
    return page(
        200, f"Allow {app_name} to access your account?", template="consent.html", app_name=app_name,
        users=users, preselected=preselected, scopes=scopes, admin_grant=is_admin_grant(scopes),
        fields={k: request.args[k] for k in AUTHORIZE_FIELDS if k in request.args},
    )  # fmt: skip


@bp.post("/oauth/authorize")
def authorize_decision() -> Any:
    form, state = request.form, current_state()
    with state.lock:
        if problem := authorize_problem(state, form):
            return page(400, "Invalid request", problem)
        if form.get("decision") != "allow":
            return redirect(_with_query(form["redirect_uri"], error="access_denied", state=form.get("state")))
        user = state.account.find(form.get("user_id") or state.account.admins()[0]["id"])
        if user is None:
            return page(400, "Invalid request", "That user is not in this Zoom account.")
        scopes = requested_scopes(state, form)
        if is_admin_grant(scopes) and not state.account.is_admin(user):
            message = (f"{user['email']} is not an admin of this Zoom account. Only an account admin can "
                       f"authorize {state.config['APP_NAME']} with admin scopes.")  # fmt: skip
            return page(403, "Admin authorization required", message)
        code = secrets.token_urlsafe(24)
        state.codes[code] = {
            "client_id": form["client_id"], "redirect_uri": form["redirect_uri"], "user_id": user["id"],
            "scope": " ".join(scopes), "challenge": form.get("code_challenge"),
            "expires_at": state.now() + CODE_LIFETIME,
        }  # fmt: skip
    return redirect(_with_query(form["redirect_uri"], code=code, state=form.get("state")))


def authenticated_client(state: SandboxState) -> str:
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


def _exchange_code(state: SandboxState, client_id: str, form: Any) -> dict[str, Any]:
    code = state.codes.pop(form.get("code", ""), None)  # single use, even when it fails
    if (
        code is None
        or code["client_id"] != client_id
        or code["expires_at"] <= state.now()
        or code["redirect_uri"] != form.get("redirect_uri")
        or (code["challenge"] and not _pkce_ok(form.get("code_verifier"), code["challenge"]))
        or state.account.find(code["user_id"]) is None
    ):
        raise OAuthError(400, "invalid_grant", "Invalid authorization code")
    state.revoke_user(code["user_id"], client_id)  # a new consent retires the older tokens
    return state.issue_tokens(code["user_id"], client_id, code["scope"])


def _refresh(state: SandboxState, client_id: str, form: Any) -> dict[str, Any]:
    old = state.refresh_tokens.get(form.get("refresh_token", ""))
    if old is None or old["client_id"] != client_id:
        raise OAuthError(400, "invalid_grant", "Invalid Token!")
    del state.refresh_tokens[form["refresh_token"]]  # rotation: the old one dies now
    state.refresh_count += 1
    return state.issue_tokens(old["user_id"], client_id, old["scope"])


@bp.post("/oauth/token")
def token() -> Any:
    state, form = current_state(), request.form
    with state.lock:
        client_id = authenticated_client(state)
        if form.get("grant_type") == "authorization_code":
            tokens = _exchange_code(state, client_id, form)
        elif form.get("grant_type") == "refresh_token":
            tokens = _refresh(state, client_id, form)
        else:
            raise OAuthError(400, "unsupported_grant_type", "Unsupported grant type")
    return jsonify({**tokens, "api_url": request.host_url.rstrip("/")})


@bp.post("/oauth/revoke")
def revoke() -> Any:
    state = current_state()
    with state.lock:
        client_id, value = authenticated_client(state), request.form.get("token", "")
        record = state.access_tokens.get(value) or state.refresh_tokens.get(value)
        if record is not None and record["client_id"] == client_id:
            state.revoke_user(record["user_id"], client_id)
    return jsonify(status="success")  # unknown tokens too: revoking twice is not an error
