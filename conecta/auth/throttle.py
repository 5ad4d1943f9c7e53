"""Throttling of the doors that take a secret or send one: both sign-ins, password links, Forgot password,
Change password, and the staff actions that create or email invites.

Flask-Limiter counts in Redis (REDIS_URL, keys under CONECTA_QUEUE, so deployments and test runs sharing
one Redis never share counters), per account and per IP, with the limits from the configuration.
Sign-ins count only failures: people who type their password right are never slowed, and once an
account or an address has failed too often even the right password waits (429 with Retry-After).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from conecta.extensions import limiter


def _limit(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _failed(response: Response) -> bool:
    return response.status_code in (400, 404, 422)


def _typed_email() -> str:
    email = request.form.get("email", "")
    return "email:" + email.strip().lower()[:254]


def _invite_token() -> str:
    token = (request.view_args or {}).get("token", "")
    return "invite:" + hashlib.sha256(str(token).encode()).hexdigest()


def _invited_client() -> str:
    return f"client:{(request.view_args or {}).get('client_id')}"


def _invited_member() -> str:
    return f"user:{(request.view_args or {}).get('user_id')}"


def _combine(*decorators: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def decorate(view: Any) -> Any:
        for decorator in reversed(decorators):
            view = decorator(view)
        return view

    return decorate


sign_in = _combine(
    limiter.limit(
        _limit("CONECTA_SIGN_IN_LIMIT_PER_ACCOUNT"),
        key_func=_typed_email,
        methods=["POST"],
        deduct_when=_failed,
    ),
    limiter.shared_limit(
        _limit("CONECTA_SIGN_IN_LIMIT_PER_IP"),
        scope="sign-in-ip",
        key_func=get_remote_address,
        methods=["POST"],
        deduct_when=_failed,
    ),
)
"""Both sign-in forms: failed attempts per typed email (per form) and per IP (both forms together)."""

invite_link = _combine(
    limiter.limit(_limit("CONECTA_SIGN_IN_LIMIT_PER_ACCOUNT"), key_func=_invite_token, deduct_when=_failed),
    limiter.shared_limit(
        _limit("CONECTA_SIGN_IN_LIMIT_PER_IP"),
        scope="sign-in-ip",
        key_func=get_remote_address,
        deduct_when=_failed,
    ),
)
"""The portal's set-password page: failures per invite token, and per IP together with the sign-ins."""

sends_invite = _combine(
    limiter.limit(_limit("CONECTA_INVITE_LIMIT_PER_CLIENT"), key_func=_invited_client),
    limiter.shared_limit(
        _limit("CONECTA_INVITE_LIMIT_PER_IP"), scope="invites-ip", key_func=get_remote_address
    ),
)
"""Creating or emailing a client's invite: per invited client and per IP, every request counted."""

password_reset = _combine(
    limiter.limit(_limit("CONECTA_SIGN_IN_LIMIT_PER_ACCOUNT"), key_func=_typed_email, methods=["POST"]),
    limiter.shared_limit(
        _limit("CONECTA_SIGN_IN_LIMIT_PER_IP"),
        scope="sign-in-ip",
        key_func=get_remote_address,
        methods=["POST"],
    ),
)
"""Forgot password (staff and portal): every request counts, as it may send an email -- per typed email
(per form), and per IP together with the sign-ins."""


def _signed_in() -> str:
    from flask_login import current_user

    return f"account:{getattr(current_user, 'kind', 'anonymous')}:{getattr(current_user, 'id', '')}"


change_password = limiter.limit(
    _limit("CONECTA_SIGN_IN_LIMIT_PER_ACCOUNT"), key_func=_signed_in, methods=["POST"], deduct_when=_failed
)
"""Your account's Change password: wrong current passwords per signed-in person, like a sign-in."""

sends_staff_invite = _combine(
    limiter.limit(_limit("CONECTA_INVITE_LIMIT_PER_CLIENT"), key_func=_invited_member),
    limiter.shared_limit(
        _limit("CONECTA_INVITE_LIMIT_PER_IP"), scope="invites-ip", key_func=get_remote_address
    ),
)
"""Resending a team member's invite: per member and per IP (with the client invites), every request."""
