"""The Meetings API: create and list a user's meetings; get, update and delete one meeting.

`/users/{userId}/...` takes `me`, an id or an email (another user needs an admin grant, see
`zoom_sandbox.access`). Creates and updates count against the daily limit of the meeting's HOST.
Updates and deletes made through the API send webhooks too, with the token's user as operator: an app
sees its own changes echo back, as with real Zoom.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from zoom_sandbox.access import bearer_caller, meeting_for, target_user
from zoom_sandbox.errors import ZoomError
from zoom_sandbox.limits import charge_daily_limit
from zoom_sandbox.meeting_store import change_meeting, create_meeting, delete_meeting, full_meeting, list_item
from zoom_sandbox.paging import one_page, page_size
from zoom_sandbox.state import current_state, parse_iso
from zoom_sandbox.validation import check_meeting_body, json_body

bp = Blueprint("meetings", __name__)
LIST_TYPES = ("scheduled", "upcoming", "upcoming_meetings", "live")


def base_url() -> str:
    return request.host_url.rstrip("/")


@bp.post("/v2/users/<user_ref>/meetings")
def create(user_ref: str) -> Any:
    state = current_state()
    with state.lock:
        caller = bearer_caller(state, "create")
        host = target_user(state, caller, user_ref, "create")
        changes = check_meeting_body(json_body(), "create_meeting", host["timezone"])
        meeting = create_meeting(state, host, changes)
        charge_daily_limit(state, host["id"])
        state.meetings[meeting["id"]] = meeting
        return jsonify(full_meeting(state, meeting, base_url(), with_status=False)), 201


@bp.get("/v2/meetings/<meeting_id>")
def get(meeting_id: str) -> Any:
    state = current_state()
    with state.lock:
        meeting = meeting_for(state, bearer_caller(state, "read"), meeting_id, "read")
        return jsonify(full_meeting(state, meeting, base_url(), with_status=True))


@bp.patch("/v2/meetings/<meeting_id>")
def update(meeting_id: str) -> Any:
    state = current_state()
    with state.lock:
        caller = bearer_caller(state, "update")
        meeting = meeting_for(state, caller, meeting_id, "update")
        changes = check_meeting_body(json_body(), "update_meeting", meeting["timezone"])
        charge_daily_limit(state, meeting["host_id"])
        change_meeting(state, meeting, changes, caller.user)
    return Response(status=204)


@bp.delete("/v2/meetings/<meeting_id>")
def delete(meeting_id: str) -> Any:
    state = current_state()
    with state.lock:
        caller = bearer_caller(state, "delete")
        delete_meeting(state, meeting_for(state, caller, meeting_id, "delete"), caller.user)
    return Response(status=204)


@bp.get("/v2/users/<user_ref>/meetings")
def list_for_user(user_ref: str) -> Any:
    """A host's meetings: `scheduled` (all), `upcoming` (not yet ended), `live` (none: nothing starts)."""
    state = current_state()
    kind = request.args.get("type", "scheduled")
    with state.lock:
        caller = bearer_caller(state, "list")
        host = target_user(state, caller, user_ref, "list")
        if kind not in LIST_TYPES:
            raise ZoomError(400, 300, f"Invalid field: type {kind!r}.")
        size, now = page_size(), state.now()
        mine = [m for m in state.meetings.values() if m["host_id"] == host["id"] and kind != "live"]
        if kind.startswith("upcoming"):  # still to end: start + duration in the future
            mine = [m for m in mine if parse_iso(m["start_time"]) + 60 * m["duration"] > now]
        mine.sort(key=lambda m: (m["start_time"], m["id"]))
        page, next_token = one_page(state, mine, (host["id"], kind), size)
        items = [list_item(m, base_url()) for m in page]
    return jsonify(page_size=size, total_records=len(mine), next_page_token=next_token, meetings=items)
