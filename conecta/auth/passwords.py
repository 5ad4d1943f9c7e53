"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_dummy_hash: list[str] = []


def hash_password(password: str) -> str:
    return _hasher.hash(password)


INVITED_PREFIX = "!invited:"


def invited_password_hash() -> str:
    """What a team member invited by email has until they choose a password: no password matches it
    (it is not a hash), and it is unique, so their invite link is bound to it (conecta.auth.links)."""
    return INVITED_PREFIX + secrets.token_hex(16)


def is_invited(password_hash: str | None) -> bool:
    return (password_hash or "").startswith(INVITED_PREFIX)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches. Without a hash (no such account, or no password set yet: a client not
    invited, a team member who has not used their invite) a throwaway
    hash is checked instead, so an unknown email costs as long as a wrong password: timing does not
    tell which emails have accounts."""
    if not password_hash or is_invited(password_hash):
        if not _dummy_hash:
            _dummy_hash.append(hash_password(secrets.token_urlsafe(16)))
        _check(_dummy_hash[0], password)
        return False
    return _check(password_hash, password)


def _check(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
