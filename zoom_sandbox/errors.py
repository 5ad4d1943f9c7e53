"""The two error shapes Zoom answers with: the REST API's `{code, message}` and zoom.us/oauth's `{reason, error}`."""

from __future__ import annotations


class ZoomError(Exception):
    """A Zoom API error, answered as `{"code", "message"}` with the given HTTP status (and headers)."""

    def __init__(self, status: int, code: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class OAuthError(Exception):
    """An OAuth endpoint error, answered as `{"reason", "error"}` like zoom.us/oauth does."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.error, self.reason = status, error, reason
