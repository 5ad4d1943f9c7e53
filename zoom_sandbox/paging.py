"""Zoom's list paging: `page_size` (default 30, at most 300) and a `next_page_token` that lives 15 minutes.

A token is bound to the list it came from (which user's meetings, which type), like Zoom's.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import request

from zoom_sandbox.errors import ZoomError
from zoom_sandbox.state import SandboxState

PAGE_TOKEN_LIFETIME = 15 * 60


def page_size() -> int:
    """The request's page_size: above 300 is read as 300; below 1 or not a number is code 300."""
    try:
        size = min(int(request.args.get("page_size", 30)), 300)
    except ValueError:
        size = 0
    if size < 1:
        raise ZoomError(400, 300, "Invalid field: page_size must be an integer from 1 to 300.")
    return size


def one_page(state: SandboxState, items: list[Any], key: tuple, size: int) -> tuple[list[Any], str]:
    """The page of `items` the request's next_page_token points at, and the token for the next one
    ("" on the last page). Lock held."""
    now, offset = state.now(), 0
    if token := request.args.get("next_page_token"):
        saved = state.page_tokens.get(token)
        if saved is None or saved["expires_at"] <= now or saved["key"] != key:
            raise ZoomError(400, 300, "The next page token is invalid or expired.")
        offset = saved["offset"]
    next_token = ""
    if offset + size < len(items):
        next_token = secrets.token_urlsafe(24)
        state.page_tokens[next_token] = {"key": key, "offset": offset + size,
                                         "expires_at": now + PAGE_TOKEN_LIFETIME}  # fmt: skip
    return items[offset : offset + size], next_token
