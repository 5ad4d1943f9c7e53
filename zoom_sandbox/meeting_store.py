"""Meetings as the sandbox keeps them, the ways they change, and the webhook events each change sends.

Every change goes through `create_meeting`, `change_meeting` or `delete_meeting`, whether it came from the
API, the home page or a control endpoint, so account policies always apply and every change made after
creation is announced (`meeting.updated`, `meeting.deleted`, `meeting.permanently_deleted`) with who
made it as `operator` / `operator_id`. Callers hold the state lock.
"""

from __future__ import annotations

import base64
import copy
import secrets
from typing import Any

from zoom_sandbox.policies import apply_locked_settings, check_passcode, generate_passcode
from zoom_sandbox.state import SandboxState, iso

DEFAULT_SETTINGS = {
    "host_video": False, "participant_video": False, "join_before_host": False, "jbh_time": 0,
    "mute_upon_entry": False, "waiting_room": False, "approval_type": 2, "audio": "voip",
    "auto_recording": "none", "use_pmi": False, "meeting_authentication": False,
}  # fmt: skip
LIST_FIELDS = ("id", "uuid", "host_id", "topic", "type", "start_time", "duration", "timezone", "agenda",
               "join_url", "created_at")  # fmt: skip
EVENT_FIELDS = ("id", "uuid", "host_id", "topic", "type", "start_time", "duration", "timezone")
WATCHED_FIELDS = ("topic", "type", "start_time", "duration", "timezone", "agenda", "password", "settings")


def create_meeting(state: SandboxState, host: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A new scheduled meeting for `host` from validated `changes` (the caller stores it)."""
    now = iso(state.now())
    meeting: dict[str, Any] = {
        "id": 10**10 + secrets.randbelow(9 * 10**10),  # 11 digits: more than a 32-bit int holds
        "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
        "host_id": host["id"], "host_email": host["email"], "topic": "Zoom Meeting", "type": 2,
        "start_time": now, "duration": 60, "timezone": host.get("timezone", "UTC"), "agenda": "",
        "created_at": now, "pre_schedule": False, "settings": dict(DEFAULT_SETTINGS),
    }  # fmt: skip
    apply_changes(state, meeting, changes)
    return meeting


def apply_changes(state: SandboxState, meeting: dict[str, Any], changes: dict[str, Any]) -> None:
    """Partial update, as PATCH does: settings merge key by key, then the account's policies win."""
    changes = copy.deepcopy(changes)
    password = changes.pop("password", None)
    wants_default = changes.pop("default_password", False)
    if password:
        check_passcode(state.policies, password)  # before anything changes: a refusal changes nothing
    meeting["settings"].update(changes.pop("settings", None) or {})
    apply_locked_settings(state.policies, meeting["settings"])
    meeting.update(changes)
    if not password and not meeting.get("password") and (state.config["REQUIRE_PASSCODE"] or wants_default):
        password = generate_passcode(state.policies)
    if password and password != meeting.get("password"):
        meeting["password"], meeting["pwd_token"] = password, secrets.token_urlsafe(24)


def change_meeting(
    state: SandboxState, meeting: dict[str, Any], changes: dict[str, Any], operator: dict[str, Any]
) -> dict[str, Any]:
    """Apply `changes`; if anything really changed, send `meeting.updated`. Returns the changed fields."""
    before = copy.deepcopy({k: meeting.get(k) for k in WATCHED_FIELDS})
    apply_changes(state, meeting, changes)
    old, new = _difference(before, {k: meeting.get(k) for k in WATCHED_FIELDS})
    if new:
        identity = {"id": meeting["id"], "uuid": meeting["uuid"]}
        state.emit("meeting.updated", {
            **_operator(state, operator), "object": {**identity, **new}, "old_object": {**identity, **old},
            "time_stamp": int(state.now() * 1000),
        })  # fmt: skip
    return new


def delete_meeting(
    state: SandboxState, meeting: dict[str, Any], operator: dict[str, Any], permanently: bool = False
) -> None:
    """Move a meeting to the trash (`meeting.deleted`); `permanently` also empties it from the trash."""
    del state.meetings[meeting["id"]]
    state.trash[meeting["id"]] = meeting
    state.emit("meeting.deleted", {**_operator(state, operator), "object": event_object(meeting)})
    if permanently:
        purge_meeting(state, meeting, operator)


def purge_meeting(state: SandboxState, meeting: dict[str, Any], operator: dict[str, Any]) -> None:
    """Delete a trashed meeting for good (`meeting.permanently_deleted`)."""
    del state.trash[meeting["id"]]
    state.emit("meeting.permanently_deleted", {**_operator(state, operator), "object": event_object(meeting)})


def forget_host(state: SandboxState, host_id: str) -> list[int]:
    """A removed user's meetings disappear with them (no events: Zoom sends none per meeting)."""
    gone = [m_id for m_id, m in state.meetings.items() if m["host_id"] == host_id]
    for meeting_id in gone:
        del state.meetings[meeting_id]
    state.trash = {m_id: m for m_id, m in state.trash.items() if m["host_id"] != host_id}
    return gone


def event_object(meeting: dict[str, Any]) -> dict[str, Any]:
    return {k: meeting[k] for k in EVENT_FIELDS}


def _operator(state: SandboxState, operator: dict[str, Any]) -> dict[str, Any]:
    return {"account_id": state.account.id, "operator": operator["email"], "operator_id": operator["id"]}


def _difference(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that changed, before and after (settings: only the settings that changed)."""
    old, new = {}, {}
    for key, value in after.items():
        if key == "settings":
            changed = {k for k in set(value) | set(before[key]) if value.get(k) != before[key].get(k)}
            if changed:
                old[key] = {k: before[key].get(k) for k in sorted(changed)}
                new[key] = {k: value.get(k) for k in sorted(changed)}
        elif value != before[key]:
            old[key], new[key] = before[key], value
    return old, new


# ---- how Zoom shows a meeting ----------------------------------------------------------------------------


def public_meeting(meeting: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The stored meeting as Zoom shows it, with its join URL (start URLs are issued per request)."""
    view = {k: copy.deepcopy(v) for k, v in meeting.items() if k != "pwd_token"}
    pwd = f"?pwd={meeting['pwd_token']}" if meeting.get("password") else ""
    return view | {"join_url": f"{base_url}/j/{meeting['id']}{pwd}"}


def full_meeting(state: SandboxState, meeting: dict[str, Any], base_url: str, with_status: bool) -> dict:
    """The create / GET representation: a fresh start_url (with a new zak) every time."""
    view = public_meeting(meeting, base_url)
    view["start_url"] = f"{base_url}/s/{meeting['id']}?zak={state.issue_zak(meeting['id'])}"
    if with_status:
        view["status"] = "waiting"
        if meeting.get("password"):
            view["encrypted_password"] = meeting["pwd_token"]
    return view


def list_item(meeting: dict[str, Any], base_url: str) -> dict[str, Any]:
    view = public_meeting(meeting, base_url)
    return {k: view[k] for k in LIST_FIELDS}
