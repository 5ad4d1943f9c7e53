"""Account policies: the locked account settings that win over what an API request asks for.

Meetings created through the API do not inherit a host's own web settings, but an account admin's locked
settings do apply: a request asking for no waiting room gets one when the waiting room is locked on, and
a passcode must meet the account's passcode requirements (or the create/update is refused, code 300).
Read the meeting back to see what was really applied.

Policies (`/__sandbox/policies`, or the POLICIES config):
- `require_passcode` (bool; the REQUIRE_PASSCODE config key): meetings created without a password get
  one generated; without the policy they have no passcode at all.
- `passcode_requirement`: `{"length": 1-10, "have_letter", "have_number", "only_allow_numeric"}` —
  Zoom's names for its minimum passcode requirements; generated passcodes meet them too.
- `locked_settings`: `{"waiting_room": bool, "join_before_host": bool, "mute_upon_entry": bool,
  "auto_recording": "none"|"cloud"|"local"}` — forced onto every meeting created or updated.
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from zoom_sandbox.errors import ZoomError

POLICY_KEYS = {"require_passcode", "passcode_requirement", "locked_settings"}
LOCKABLE = {"waiting_room": bool, "join_before_host": bool, "mute_upon_entry": bool, "auto_recording": str}
RECORDING = ("none", "cloud", "local")
REQUIREMENT_KEYS = {"length": int, "have_letter": bool, "have_number": bool, "only_allow_numeric": bool}
LETTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "23456789"


def merge_policies(current: dict[str, Any], data: Any) -> dict[str, Any]:
    """`current` changed by a control request's body (a locked setting set to null is unlocked)."""
    if not isinstance(data, dict) or set(data) - POLICY_KEYS:
        raise ValueError(f"policies: an object with keys among {sorted(POLICY_KEYS)}")
    merged = copy.deepcopy(current)
    if "passcode_requirement" in data:
        merged["passcode_requirement"] = _checked_requirement(data["passcode_requirement"])
    locked = dict(merged.get("locked_settings", {}))
    for key, value in (data.get("locked_settings") or {}).items():
        if key not in LOCKABLE:
            raise ValueError(f"locked_settings may hold {sorted(LOCKABLE)}, not {key!r}")
        if value is None:
            locked.pop(key, None)
        elif not isinstance(value, LOCKABLE[key]) or (key == "auto_recording" and value not in RECORDING):
            raise ValueError(f"locked_settings.{key}: {value!r} is not a valid value")
        else:
            locked[key] = value
    merged["locked_settings"] = locked
    if "require_passcode" in data and not isinstance(data["require_passcode"], bool):
        raise ValueError("require_passcode must be true or false")
    return merged


def _checked_requirement(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - set(REQUIREMENT_KEYS):
        raise ValueError(f"passcode_requirement: an object with keys among {sorted(REQUIREMENT_KEYS)}")
    for key, kind in REQUIREMENT_KEYS.items():
        if key in value and (type(value[key]) is not kind):
            raise ValueError(f"passcode_requirement.{key} must be {kind.__name__}")
    if not 1 <= value.get("length", 1) <= 10:
        raise ValueError("passcode_requirement.length must be from 1 to 10")
    return dict(value)


def passcode_problem(requirement: dict[str, Any], password: str) -> str | None:
    """Why `password` breaks the account's passcode requirement, or None."""
    if len(password) < requirement.get("length", 1):
        return f"at least {requirement['length']} characters"
    if requirement.get("only_allow_numeric") and not password.isdigit():
        return "digits only"
    if requirement.get("have_letter") and not any(c.isalpha() for c in password):
        return "at least one letter"
    if requirement.get("have_number") and not any(c.isdigit() for c in password):
        return "at least one number"
    return None


def check_passcode(policies: dict[str, Any], password: str) -> None:
    problem = passcode_problem(policies.get("passcode_requirement", {}), password)
    if problem:
        message = f"Invalid field: password does not meet the account's passcode requirements ({problem})."
        raise ZoomError(400, 300, message)


def generate_passcode(policies: dict[str, Any]) -> str:
    """A passcode like Zoom's (6-10 characters) that meets the account's requirement."""
    requirement = policies.get("passcode_requirement", {})
    length = max(requirement.get("length", 1), 6 + secrets.randbelow(5))
    alphabet = string.digits if requirement.get("only_allow_numeric") else LETTERS + DIGITS
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if passcode_problem(requirement, candidate) is None:
            return candidate


def apply_locked_settings(policies: dict[str, Any], settings: dict[str, Any]) -> None:
    """Force the account's locked settings over whatever the request asked for."""
    settings.update(policies.get("locked_settings", {}))
