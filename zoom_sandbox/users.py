"""The Users API: `GET /v2/users` (an admin grant lists the account) and `GET /v2/users/{userId}`."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, jsonify, request

from zoom_sandbox.access import bearer_caller, target_user
from zoom_sandbox.errors import ZoomError
from zoom_sandbox.paging import one_page, page_size
from zoom_sandbox.state import current_state

bp = Blueprint("users", __name__)
STATUSES = ("active", "inactive", "pending")


@bp.get("/v2/users")
def list_users() -> Any:
    """The account's users, by status (every sandbox user is active), one page at a time."""
    state = current_state()
    status = request.args.get("status", "active")
    with state.lock:
        bearer_caller(state, "list_users")
        if status not in STATUSES:
            raise ZoomError(400, 300, f"Invalid field: status {status!r}.")
        size = page_size()
        everyone = list(state.account.users.values()) if status == "active" else []
        users, next_token = one_page(state, everyone, ("users", status), size)
        items = [state.account.list_item(u) for u in users]
    return jsonify(
        page_count=math.ceil(len(everyone) / size), page_number=1, page_size=size,
        total_records=len(everyone), next_page_token=next_token, users=items,
    )  # fmt: skip


@bp.get("/v2/users/<user_ref>")
def get_user(user_ref: str) -> Any:
    """One user by `me`, id or email: yourself with a user-level grant, anyone with an admin grant."""
    state = current_state()
    with state.lock:
        caller = bearer_caller(state, "user")
        return jsonify(state.account.profile(target_user(state, caller, user_ref, "user")))
