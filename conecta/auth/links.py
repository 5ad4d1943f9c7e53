"""Password links: one mechanism for every "set your password" email -- a new team member's invite, a
portal client's invite, and Forgot password for staff and clients alike.

A link carries a token signed with SECRET_KEY (itsdangerous, with its timestamp) naming who it is for
(`kind`, `id`), why (`purpose`: "invite" or "reset") and a fingerprint of that person's password hash
and email as they were when the link was made. It is:
- **expiring**: an invite lasts PORTAL_INVITE_MAX_AGE (7 days by default), a reset PASSWORD_RESET_MAX_AGE
  (1 hour), counted from the signed timestamp;
- **single-use**: setting a password changes the hash, so the fingerprint no longer matches and every
  link made before -- the one just used included -- is refused. No table of tokens is needed;
- **not a session**: it only lets its holder choose a new password, which ends every other session
  (`SessionHolder.set_password_hash`).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from conecta.extensions import db
from conecta.models import Client, User

SALT = "password-link"
INVITE = "invite"
RESET = "reset"
PURPOSES = (INVITE, RESET)
MODELS: dict[str, Any] = {"user": User, "client": Client}


def max_age(purpose: str) -> int:
    """How long a link of `purpose` stays valid, in seconds."""
    key = "PASSWORD_RESET_MAX_AGE" if purpose == RESET else "PORTAL_INVITE_MAX_AGE"
    return int(current_app.config[key])


def _fingerprint(who: User | Client) -> str:
    """The password hash and the email as they are now: a new password, or a changed address (the link
    went to the old one), voids every link made before."""
    raw = f"{who.password_hash or ''}\x1f{who.email}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _serializer(issued_at: float | None = None) -> URLSafeTimedSerializer:
    if issued_at is None:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)

    class _SignedAt(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(issued_at)

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_SignedAt)


def make_token(who: User | Client, purpose: str, *, issued_at: float | None = None) -> str:
    """A token for `who` (staff or client). `issued_at` (a Unix time) signs another moment than now: the
    tests make an expired link that way, without waiting."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown password link purpose {purpose!r}")
    payload = {"k": who.kind, "id": who.id, "p": purpose, "h": _fingerprint(who)}
    return _serializer(issued_at).dumps(payload)


def load_token(token: str, kind: str) -> tuple[User | Client, str] | None:
    """(the person, the purpose) a valid, unused, unexpired token names, if it is of `kind`; else None."""
    longest = max(max_age(p) for p in PURPOSES)
    try:
        data, signed_at = _serializer().loads(token, max_age=longest, return_timestamp=True)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or data.get("k") != kind or data.get("p") not in PURPOSES:
        return None
    if time.time() - signed_at.timestamp() > max_age(data["p"]):
        return None
    who = db.session.get(MODELS[kind], data.get("id")) if isinstance(data.get("id"), int) else None
    if who is None or _fingerprint(who) != data.get("h"):
        return None
    if kind == "user" and not who.active:
        return None
    return who, data["p"]
