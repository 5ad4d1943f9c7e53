"""Zoom's answers mapped to our exceptions, with messages fit to show to people (never a token).

Zoom's API errors are `{"code", "message"}` (404 code 3001 meeting, 1001 user; 401 code 124 token;
400 code 300 validation, 3000/3002 meeting started, 4711 missing scope); its OAuth errors are
`{"error", "reason"}`. A 429 is a per-second limit (retry after `Retry-After` seconds) or the host's daily
budget of 100 meeting creates and updates (`X-RateLimit-Type: Daily-limit`, `Retry-After` an ISO time,
reset at 00:00 GMT).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import requests

_MESSAGE_LIMIT = 300
# Anything token-shaped in a message Zoom sends back is cut out before it reaches people or logs.
_TOKEN_SHAPED = re.compile(r"[A-Za-z0-9_\-\.~+/=]{40,}")


class ZoomError(Exception):
    """A Zoom call failed. `message` is for people (shown to admins and staff); it never holds a token."""

    def __init__(self, message: str, status: int | None = None, code: int | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return self.message


class ZoomNotConnected(ZoomError):
    """The organization has no usable Zoom connection (none, or one that `needs_reconnect`)."""

    def __init__(self, message: str, *, needs_reconnect: bool = False) -> None:
        super().__init__(message)
        self.needs_reconnect = needs_reconnect


class ZoomAuthError(ZoomError):
    """Zoom no longer accepts the organization's grant. On invalid_grant the connection has been marked
    `needs_reconnect` (and audited "refresh_failed") before this is raised: an admin must reconnect."""


class ZoomNotFound(ZoomError):
    """404: the meeting (3001) or user (1001) does not exist at Zoom."""


class ZoomUserMissing(ZoomNotFound):
    """Code 1001 (Zoom answers it with 404 or 400): the Zoom user named in the path is not (or no longer)
    a user of the account -- a host removed from the Zoom account."""


class ZoomRateLimited(ZoomError):
    """429. `retry_after` is seconds to wait; `daily` means the host's create/update budget for the day is
    spent (it resets at 00:00 GMT, which `resume_at` then holds)."""

    def __init__(
        self,
        message: str,
        status: int | None = 429,
        code: int | str | None = None,
        *,
        retry_after: float = 1.0,
        daily: bool = False,
        resume_at: datetime | None = None,
    ) -> None:
        super().__init__(message, status, code)
        self.retry_after = retry_after
        self.daily = daily
        self.resume_at = resume_at


class ZoomTransientError(ZoomError):
    """Worth retrying later: a timeout, a connection error, a 5xx, or the token lock being busy."""


class ZoomRequestError(ZoomError):
    """Zoom refused the request itself (other 4xx: 300 validation, 3000 meeting started, 4711 scope…)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _clean(message: str) -> str:
    return _TOKEN_SHAPED.sub("[redacted]", message or "")[:_MESSAGE_LIMIT].strip()


def error_body(response: requests.Response) -> tuple[int | str | None, str]:
    """Zoom's API errors are {"code", "message"}; its OAuth errors are {"error", "reason"}."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None, response.reason or ""
    code = body.get("code", body.get("error"))
    message = body.get("message") or body.get("reason") or body.get("error_description") or ""
    return code, _clean(str(message))


def zoom_code(response: requests.Response) -> int | str | None:
    return error_body(response)[0]


def parse_retry_after(value: str | None, now: datetime | None = None) -> tuple[float | None, datetime | None]:
    """`Retry-After` as (seconds to wait, absolute time if it was given as one).

    Zoom sends seconds for per-second limits and an ISO time (e.g. 2030-01-08T00:00:00Z) for the daily
    limit; an HTTP date is accepted too.
    """
    if not value:
        return None, None
    now = now or _now()
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds), None
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None, None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds()), when


def _next_gmt_midnight(now: datetime) -> datetime:
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def error_for(response: requests.Response) -> ZoomError:
    """Map one of Zoom's error answers to our exception (the 401/124 retry happens before this)."""
    status = response.status_code
    code, zoom_message = error_body(response)
    said = f" (code {code})" if code not in (None, status) else ""
    detail = f"Zoom answered HTTP {status}{said}: {zoom_message or response.reason or 'no details'}"
    if status == 401:
        return ZoomAuthError(f"{detail}. Zoom did not accept the connection's access.", status, code)
    if code == 1001 and 400 <= status < 500:
        return ZoomUserMissing(detail, status, code)
    if status == 404:
        return ZoomNotFound(detail, status, code)
    if status == 429:
        now = _now()
        retry_after, resume_at = parse_retry_after(response.headers.get("Retry-After"), now)
        daily = response.headers.get("X-RateLimit-Type", "").lower() == "daily-limit" or (
            "daily" in zoom_message.lower()
        )
        if daily and resume_at is None:
            resume_at = (now + timedelta(seconds=retry_after)) if retry_after else _next_gmt_midnight(now)
        if retry_after is None:
            retry_after = (resume_at - now).total_seconds() if resume_at else 1.0
        if daily:
            message = (
                "Zoom's daily limit of meeting creates and updates for this host is used up; Zoom accepts "
                f"more after {resume_at:%Y-%m-%d %H:%M} GMT."
            )
        else:
            message = f"Zoom's rate limit was hit; retrying after {retry_after:.0f} s. ({zoom_message})"
        return ZoomRateLimited(
            message, status, code, retry_after=retry_after, daily=daily, resume_at=resume_at
        )
    if status >= 500:
        return ZoomTransientError(f"{detail}. Zoom had a problem; this will be retried.", status, code)
    if code == 4711:
        return ZoomRequestError(
            f"{detail}. Reconnect Zoom in Settings → Integrations to grant the missing permission.",
            status,
            code,
        )
    return ZoomRequestError(detail, status, code)
