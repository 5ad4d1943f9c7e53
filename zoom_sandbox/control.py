"""The control API under `/__sandbox/` (tests, the demo and benchmarks; Zoom has nothing like it).

State, reset, config, clock, faults, the account's users, per-user daily limits, account policies, and
changing meetings behind the app's back. Webhook controls are in `zoom_sandbox.webhook_control`. Bodies
are JSON; a bad body is 400 `{"error": ...}`. The README's "The Zoom sandbox" section lists them all.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Blueprint, jsonify, request

from zoom_sandbox.config import DEFAULT_CONFIG, RUNTIME_KEYS
from zoom_sandbox.errors import ZoomError
from zoom_sandbox.faults import NO_FAULTS, compile_faults, public_faults, release_held
from zoom_sandbox.limits import set_limit, usage
from zoom_sandbox.meeting_store import (
    change_meeting,
    delete_meeting,
    forget_host,
    public_meeting,
    purge_meeting,
)
from zoom_sandbox.policies import merge_policies
from zoom_sandbox.state import SandboxState, current_state, iso
from zoom_sandbox.validation import check_meeting_body

bp = Blueprint("control", __name__, url_prefix="/__sandbox")


class BadControl(Exception):
    """A control request the sandbox cannot follow: 400 with the reason."""


@bp.app_errorhandler(BadControl)
def bad_control(exc: BadControl) -> Any:
    return jsonify(error=str(exc)), 400


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and not request.get_data():
        return {}
    if not isinstance(data, dict):
        raise BadControl("the body must be a JSON object")
    return data


def base_url() -> str:
    return request.host_url.rstrip("/")


def snapshot(state: SandboxState) -> dict[str, Any]:
    now = state.now()
    access = [{"token": t, **r, "expires_at": iso(r["expires_at"]), "expired": r["expires_at"] <= now}
              for t, r in state.access_tokens.items()]  # fmt: skip
    return {
        "now": iso(now),
        "users": [{**u, **usage(state, u["id"])} for u in state.account.users.values()],
        "meetings": [public_meeting(m, base_url()) for m in state.meetings.values()],
        "trash": [public_meeting(m, base_url()) for m in state.trash.values()],
        "tokens": {"access": access, "refresh": [{"token": t, **r} for t, r in state.refresh_tokens.items()]},
        "refresh_count": state.refresh_count,
        "request_log": list(state.request_log),
        "create_update_count": copy.deepcopy(state.create_update_count),
        "policies": policies_view(state),
        "faults": public_faults(state.faults),
    }


@bp.get("/state")
def get_state() -> Any:
    state = current_state()
    with state.lock:
        return jsonify(snapshot(state))


@bp.post("/reset")
def reset() -> Any:
    state = current_state()
    with state.lock:
        state.reset()
    return jsonify(status="reset")


@bp.post("/config")
def update_config() -> Any:
    data, state = body(), current_state()
    if not data or set(data) - RUNTIME_KEYS:
        raise BadControl(f"an object with keys among {sorted(RUNTIME_KEYS)} (users, policies and webhooks "
                         "have endpoints of their own)")  # fmt: skip
    wrong = [k for k, v in data.items() if type(v) is not type(DEFAULT_CONFIG[k])]
    if wrong:
        raise BadControl(f"{', '.join(sorted(wrong))}: not of the default's type")
    with state.lock:
        state.config.update(copy.deepcopy(data))
        return jsonify({k: v for k, v in state.config.items() if k != "CLIENT_SECRET"})


@bp.post("/clock")
def advance_clock() -> Any:
    seconds = body().get("advance_seconds", 0)
    if not isinstance(seconds, int | float):
        raise BadControl("advance_seconds must be a number")
    state = current_state()
    with state.lock:
        state.clock_offset += seconds
        return jsonify(now=iso(state.now()), offset_seconds=state.clock_offset)


@bp.post("/faults")
def set_faults() -> Any:
    data, state = body(), current_state()
    try:
        faults = compile_faults(data)
    except (ValueError, re.error) as exc:
        raise BadControl(str(exc)) from exc
    with state.lock:
        state.replace_faults(faults)
        if data.get("expire_all_tokens"):  # one-shot: tokens issued afterwards are fine
            for record in state.access_tokens.values():
                record["expires_at"] = min(record["expires_at"], state.now() - 1)
        return jsonify(public_faults(state.faults))


@bp.delete("/faults")
def clear_faults() -> Any:
    state = current_state()
    with state.lock:
        state.replace_faults(copy.deepcopy(NO_FAULTS))
        return jsonify(state.faults)


@bp.post("/faults/release")
def release_faults() -> Any:
    """Held calls go on (and later ones matching a `held` rule are no longer held)."""
    state = current_state()
    with state.lock:
        release_held(state)
        return jsonify(public_faults(state.faults))


# ---- the account ---------------------------------------------------------------------------------------


def account_user(state: SandboxState, ref: Any) -> dict[str, Any]:
    user = state.account.find(str(ref)) if ref else None
    if user is None:
        raise BadControl(f"no user {ref!r} in the account")
    return user


@bp.get("/users")
def list_users() -> Any:
    state = current_state()
    with state.lock:
        return jsonify(users=[{**u, **usage(state, u["id"])} for u in state.account.users.values()])


@bp.post("/users")
def add_user() -> Any:
    data, state = body(), current_state()
    with state.lock:
        try:
            return jsonify(state.account.add(data)), 201
        except ValueError as exc:
            raise BadControl(str(exc)) from exc


@bp.delete("/users/<user_ref>")
def remove_user(user_ref: str) -> Any:
    """Take a user off the account: their meetings are deleted and their grants revoked."""
    state = current_state()
    with state.lock:
        user = account_user(state, user_ref)
        try:
            state.account.remove(user)
        except ValueError as exc:
            raise BadControl(str(exc)) from exc
        state.revoke_user(user["id"])
        return jsonify(removed=user, deleted_meetings=forget_host(state, user["id"]))


@bp.post("/limits")
def limits() -> Any:
    """`{"user": id|email, "limit": N|null, "used": N}`: one host's daily limit and/or today's count."""
    data, state = body(), current_state()
    if set(data) - {"user", "limit", "used"}:
        raise BadControl("an object with user, limit (a number or null) and/or used")
    with state.lock:
        user = account_user(state, data.get("user"))
        try:
            return jsonify(set_limit(state, user["id"], data.get("limit", ...), data.get("used", ...)))
        except ValueError as exc:
            raise BadControl(str(exc)) from exc


def policies_view(state: SandboxState) -> dict[str, Any]:
    return {"require_passcode": state.config["REQUIRE_PASSCODE"], "passcode_requirement": {},
            "locked_settings": {}, **copy.deepcopy(state.policies)}  # fmt: skip


@bp.get("/policies")
def get_policies() -> Any:
    state = current_state()
    with state.lock:
        return jsonify(policies_view(state))


@bp.post("/policies")
def set_policies() -> Any:
    data, state = body(), current_state()
    with state.lock:
        try:
            state.policies = merge_policies(state.policies, data)
        except ValueError as exc:
            raise BadControl(str(exc)) from exc
        if "require_passcode" in data:
            state.config["REQUIRE_PASSCODE"] = data["require_passcode"]
        return jsonify(policies_view(state))


# ---- meetings changed on Zoom's side ---------------------------------------------------------------------


@bp.post("/meetings/<int:meeting_id>/update")
def update_meeting(meeting_id: int) -> Any:
    """Change a meeting as a Zoom user would on zoom.us (same fields and checks as PATCH, no daily
    limit); `operator` (id or email, default the host) is who did it. Sends `meeting.updated`."""
    data, state = body(), current_state()
    with state.lock:
        meeting = state.meetings.get(meeting_id)
        if meeting is None:
            raise BadControl(f"no meeting {meeting_id}")
        operator = account_user(state, data.pop("operator", None) or meeting["host_id"])
        try:
            changes = check_meeting_body(data, "update_meeting", meeting["timezone"])
            changed = change_meeting(state, meeting, changes, operator)
        except ZoomError as exc:
            raise BadControl(exc.message) from exc
        return jsonify(changed=changed, meeting=public_meeting(meeting, base_url()))


@bp.post("/meetings/<int:meeting_id>/delete")
def delete_meeting_control(meeting_id: int) -> Any:
    """Delete a meeting on Zoom's side (`meeting.deleted`); `"permanently": true` also empties it from
    the trash (`meeting.permanently_deleted`), and works on a meeting already in the trash."""
    data, state = body(), current_state()
    with state.lock:
        meeting = state.meetings.get(meeting_id) or state.trash.get(meeting_id)
        if meeting is None:
            raise BadControl(f"no meeting {meeting_id}")
        operator = account_user(state, data.get("operator") or meeting["host_id"])
        if meeting_id in state.meetings:
            delete_meeting(state, meeting, operator, permanently=bool(data.get("permanently")))
        elif data.get("permanently"):
            purge_meeting(state, meeting, operator)
        else:
            raise BadControl(f"meeting {meeting_id} is already in the trash (pass permanently: true)")
        return jsonify(deleted=meeting_id, permanently=bool(data.get("permanently")))
