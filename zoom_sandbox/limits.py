"""Zoom's daily limit: at most 100 meeting creates + updates per day per HOST user, reset at 00:00 GMT.

The count belongs to the meeting's host, not to whoever holds the token, so an admin connection that
spreads meetings over several hosts spreads the limit too. `/__sandbox/limits` sets one user's limit or
today's count (a host already at its limit); `DAILY_CREATE_UPDATE_LIMIT` is everyone else's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from zoom_sandbox.errors import ZoomError
from zoom_sandbox.state import SandboxState

DAILY_LIMIT_MESSAGE = (
    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests permitted for "
    "this particular user. You may resume these requests at GMT 00:00:00."
)


def _today(state: SandboxState) -> datetime:
    return datetime.fromtimestamp(state.now(), UTC)


def limit_for(state: SandboxState, user_id: str) -> int:
    return state.daily_limits.get(user_id, int(state.config["DAILY_CREATE_UPDATE_LIMIT"]))


def used_today(state: SandboxState, user_id: str) -> int:
    return state.create_update_count.get(user_id, {}).get(_today(state).strftime("%Y-%m-%d"), 0)


def charge_daily_limit(state: SandboxState, host_id: str) -> None:
    """Count one create/update for the host today (lock held); 429 once the day's budget is spent."""
    now = _today(state)
    per_day = state.create_update_count.setdefault(host_id, {})
    day, limit = now.strftime("%Y-%m-%d"), limit_for(state, host_id)
    if per_day.get(day, 0) >= limit:
        headers = {
            "X-RateLimit-Category": "Medium", "X-RateLimit-Type": "Daily-limit",
            "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
            "Retry-After": (now + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z"),
        }  # fmt: skip
        raise ZoomError(429, 429, DAILY_LIMIT_MESSAGE.format(limit=limit), headers)
    per_day[day] = per_day.get(day, 0) + 1


def set_limit(state: SandboxState, user_id: str, limit: Any = ..., used: Any = ...) -> dict[str, Any]:
    """Set a user's own daily limit (None: back to the default) and/or today's count (lock held)."""
    if limit is not ...:
        if limit is None:
            state.daily_limits.pop(user_id, None)
        elif type(limit) is int and limit >= 0:
            state.daily_limits[user_id] = limit
        else:
            raise ValueError("limit must be a whole number ≥ 0, or null for the default")
    if used is not ...:
        if type(used) is not int or used < 0:
            raise ValueError("used must be a whole number ≥ 0")
        state.create_update_count.setdefault(user_id, {})[_today(state).strftime("%Y-%m-%d")] = used
    return usage(state, user_id)


def usage(state: SandboxState, user_id: str) -> dict[str, Any]:
    return {"user_id": user_id, "day": _today(state).strftime("%Y-%m-%d"),
            "limit": limit_for(state, user_id), "used": used_today(state, user_id)}  # fmt: skip
