"""The sandbox's configuration: defaults, the account's users, and what the command line / environment add.

Config is a plain dict of UPPER_CASE keys. `create_app(config)` overrides the defaults; `/__sandbox/config`
changes the simple keys at run time; `/__sandbox/reset` goes back to what the app was started with.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

USER_SCOPES = (
    "meeting:write:meeting meeting:update:meeting meeting:delete:meeting meeting:read:meeting user:read:user"
)
ADMIN_SCOPES = (
    "meeting:write:meeting:admin meeting:update:meeting:admin meeting:delete:meeting:admin "
    "meeting:read:meeting:admin meeting:read:list_meetings:admin user:read:list_users:admin "
    "user:read:user:admin"
)
DEFAULT_USER = {
    "id": "sandbox-user-1", "email": "host@example.com", "first_name": "Sandbox", "last_name": "Host",
    "role": "admin", "type": 1,
}  # fmt: skip

DEFAULT_CONFIG: dict[str, Any] = {
    "CLIENT_ID": "sandbox-client-id",
    "CLIENT_SECRET": "sandbox-client-secret",
    "APP_NAME": "Conecta",
    "ACCESS_TOKEN_LIFETIME": 3599,
    "SCOPES": USER_SCOPES,  # what a user-level grant gets (the app's configured scopes)
    "ADMIN_SCOPES": ADMIN_SCOPES,  # what an admin may additionally be asked for with `scope=` on authorize
    "ACCOUNT_ID": "sandbox-account-1",
    "USERS": [DEFAULT_USER],  # the first admin is preselected on the consent page
    "DAILY_CREATE_UPDATE_LIMIT": 100,  # per host user and UTC day; /__sandbox/limits overrides per user
    "REQUIRE_PASSCODE": True,  # the account policy "require a passcode"; False: no password, no passcode
    "POLICIES": {},  # other account policies (see zoom_sandbox.policies)
    "WEBHOOK_URL": None,  # where meeting events go; None sends none
    "WEBHOOK_SECRET_TOKEN": "sandbox-webhook-secret",
    "WEBHOOK_RETRY_DELAYS": [300.0, 1800.0, 5400.0],  # seconds before each of the (up to) three retries
    "WEBHOOK_TIMEOUT_SECONDS": 3.0,  # an answer slower than this counts as failed
}
# Keys `/__sandbox/config` may change while running; the others have endpoints of their own
# (/__sandbox/users, /__sandbox/policies, /__sandbox/webhooks).
RUNTIME_KEYS = frozenset(DEFAULT_CONFIG) - {
    "USERS", "ACCOUNT_ID", "POLICIES", "WEBHOOK_URL", "WEBHOOK_SECRET_TOKEN", "WEBHOOK_RETRY_DELAYS",
    "WEBHOOK_TIMEOUT_SECONDS",
}  # fmt: skip


def build_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults plus `overrides` (deep copies; an unknown key is an error, not a silent no-op)."""
    unknown = set(overrides or {}) - set(DEFAULT_CONFIG)
    if unknown:
        raise ValueError(f"unknown sandbox config keys {sorted(unknown)}; known: {sorted(DEFAULT_CONFIG)}")
    return copy.deepcopy({**DEFAULT_CONFIG, **(overrides or {})})


def parse_user(spec: str) -> dict[str, Any]:
    """`ana@example.com` or `ana@example.com:member` (role admin or member) → a user entry for USERS."""
    email, _, role = spec.strip().partition(":")
    if "@" not in email:
        raise ValueError(f"not an email address: {email!r} (use EMAIL or EMAIL:ROLE)")
    return {"email": email, "role": role or "member"}


def parse_users(specs: list[str]) -> list[dict[str, Any]]:
    """Users from `--user` flags or ZOOM_SANDBOX_USERS. The first is the admin unless a role says so."""
    users = [parse_user(spec) for spec in specs if spec.strip()]
    if users and not any(":" in spec for spec in specs):
        users[0]["role"] = "admin"
    if users and users[0]["email"] == DEFAULT_USER["email"]:
        users[0] = {**DEFAULT_USER, "role": users[0]["role"]}
    return users


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Overrides read from ZOOM_SANDBOX_USERS (comma-separated EMAIL[:ROLE]), ZOOM_SANDBOX_WEBHOOK_URL
    and ZOOM_SANDBOX_WEBHOOK_SECRET; flags given on the command line win over these."""
    environ = os.environ if environ is None else environ
    overrides: dict[str, Any] = {}
    if users := environ.get("ZOOM_SANDBOX_USERS", "").strip():
        overrides["USERS"] = parse_users(users.split(","))
    if url := environ.get("ZOOM_SANDBOX_WEBHOOK_URL", "").strip():
        overrides["WEBHOOK_URL"] = url
    if secret := environ.get("ZOOM_SANDBOX_WEBHOOK_SECRET", "").strip():
        overrides["WEBHOOK_SECRET_TOKEN"] = secret
    return overrides
