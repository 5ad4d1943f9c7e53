"""Who is calling the API and what their token lets them touch (Zoom's 124, 4711, 1001 and 3001 answers).

A token belongs to the user who granted it. A user-level grant (granular scopes like
`meeting:write:meeting`, or classic `meeting:write`) acts only on that user: `me`, their id or email.
An admin-level grant (scopes ending in `:admin`) acts on every user of the account. Asking for another
user without the admin scope is 400 code 4711; an unknown or removed user is 404 code 1001; another
host's meeting seen through a user-level token does not exist (404 code 3001).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request

from zoom_sandbox.errors import ZoomError
from zoom_sandbox.state import SandboxState

# What each kind of call accepts: (scopes for the caller's own user, scopes for any user of the account).
# Own-user calls take either; an admin scope covers the admin's own user too.
SCOPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "user": (("user:read:user", "user:read"), ("user:read:user:admin", "user:read:admin")),
    "list_users": ((), ("user:read:list_users:admin", "user:read:admin")),
    "create": (("meeting:write:meeting", "meeting:write"), ("meeting:write:meeting:admin", "meeting:write:admin")),
    "update": (("meeting:update:meeting", "meeting:write"),
               ("meeting:update:meeting:admin", "meeting:write:admin")),
    "delete": (("meeting:delete:meeting", "meeting:write"),
               ("meeting:delete:meeting:admin", "meeting:write:admin")),
    "read": (("meeting:read:meeting", "meeting:read:list_meetings", "meeting:read"),
             ("meeting:read:meeting:admin", "meeting:read:admin")),
    "list": (("meeting:read:meeting", "meeting:read:list_meetings", "meeting:read"),
             ("meeting:read:list_meetings:admin", "meeting:read:admin")),
}  # fmt: skip


@dataclass(frozen=True)
class Caller:
    """The user behind a valid access token, and the scopes of their grant."""

    user: dict[str, Any]
    scopes: frozenset[str]

    def may(self, kind: str, *, any_user: bool) -> bool:
        own, admin = SCOPES[kind]
        return bool(self.scopes & set(admin if any_user else own + admin))

    def is_self(self, ref: str) -> bool:
        return ref == "me" or ref == self.user["id"] or ref.lower() == self.user["email"].lower()


def missing_scope(scopes: tuple[str, ...]) -> ZoomError:
    return ZoomError(400, 4711, f"Invalid access token, does not contain scopes:[{', '.join(scopes)}].")


def bearer_caller(state: SandboxState, kind: str) -> Caller:
    """The caller of this request (lock held); 401 code 124 for a missing, unknown or expired token, and
    4711 when the grant has no scope at all for this kind of call."""
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header[:7].lower() == "bearer " else ""
    record = state.access_tokens.get(value)
    if record is None:
        raise ZoomError(401, 124, "Invalid access token.")
    if record["expires_at"] <= state.now():
        raise ZoomError(401, 124, "Access token is expired.")
    user = state.account.find(record["user_id"])
    if user is None:  # removed from the account: their grants went with them
        raise ZoomError(401, 124, "Invalid access token.")
    caller = Caller(dict(user), frozenset(record["scope"].split()))
    if not caller.may(kind, any_user=False):
        own, admin = SCOPES[kind]
        raise missing_scope(own or admin)
    return caller


def target_user(state: SandboxState, caller: Caller, ref: str, kind: str) -> dict[str, Any]:
    """The account user a `/users/{userId}/...` path names, if this caller may act on them (lock held)."""
    if caller.is_self(ref):
        return caller.user
    user = state.account.find(ref)
    if not caller.may(kind, any_user=True):
        if user is None:
            raise ZoomError(404, 1001, f"User does not exist: {ref}.")
        raise missing_scope(SCOPES[kind][1])
    if user is None:
        raise ZoomError(404, 1001, f"User does not exist: {ref}.")
    return user


def meeting_for(state: SandboxState, caller: Caller, meeting_id: str, kind: str) -> dict[str, Any]:
    """A live meeting this caller may act on (lock held): their own, or any with an admin grant."""
    meeting = state.meetings.get(int(meeting_id)) if meeting_id.isdigit() else None
    foreign = meeting is not None and meeting["host_id"] != caller.user["id"]
    if foreign and not caller.may(kind, any_user=True):
        if any(s.endswith(":admin") for s in caller.scopes):
            raise missing_scope(SCOPES[kind][1])
        meeting = None  # a user-level token does not see other hosts' meetings
    if meeting is None:
        raise ZoomError(404, 3001, f"Meeting does not exist: {meeting_id}.")
    return meeting
