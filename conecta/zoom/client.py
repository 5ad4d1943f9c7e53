"""ZoomClient: every call Conecta makes to Zoom's REST API, with the organization's token.

What it takes care of, so callers (the reconciler, the Integrations views) do not:
- a valid access token: refreshed when it expires within 5 minutes, or once when Zoom answers 401
  code 124, under a per-organization Redis lock. Zoom rotates refresh tokens (the old one dies on use),
  so two workers refreshing at once would lose the connection; the lock holder re-reads the row after
  acquiring it, because another worker may have refreshed meanwhile.
- Zoom's errors mapped to our exceptions (below), with messages fit to show to people: never a token.
- one structured log line per call on the `conecta.zoom` logger (operation, path, status, latency and the
  caller's context such as appointment_id) — never a token, a start URL or a passcode.

Token bookkeeping (refresh, "needs reconnect") is written in its own short transaction, not in the
caller's session: a refresh must survive even if the caller rolls back, and must not commit the caller's
half-done work. So call Zoom without uncommitted writes pending (on SQLite they would block that commit).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
from flask import current_app
from redis.exceptions import LockError, RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from conecta import audit
from conecta.extensions import db
from conecta.jobs import redis_conn, redis_key
from conecta.models.types import utcnow
from conecta.models.zoom import ZoomConnection, zoom_connection_for

log = logging.getLogger("conecta.zoom")

REFRESH_MARGIN = timedelta(minutes=5)
DEFAULT_TIMEOUT = 10.0
_MESSAGE_LIMIT = 300
# Anything token-shaped in a message Zoom sends back is cut out before it reaches people or logs.
_TOKEN_SHAPED = re.compile(r"[A-Za-z0-9_\-\.~+/=]{40,}")
_SECRET_KEYS = re.compile(r"token|url|pass|zak|secret|code", re.IGNORECASE)


# ---- exceptions ------------------------------------------------------------------------------------


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


# ---- the transport: one HTTP exchange, mapped errors, one log line -----------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _clean(message: str) -> str:
    return _TOKEN_SHAPED.sub("[redacted]", message or "")[:_MESSAGE_LIMIT].strip()


def _error_body(response: requests.Response) -> tuple[int | str | None, str]:
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


def _zoom_code(response: requests.Response) -> int | str | None:
    return _error_body(response)[0]


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
    code, zoom_message = _error_body(response)
    said = f" (code {code})" if code not in (None, status) else ""
    detail = f"Zoom answered HTTP {status}{said}: {zoom_message or response.reason or 'no details'}"
    if status == 401:
        return ZoomAuthError(f"{detail}. Zoom did not accept the connection's access.", status, code)
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


def _logfmt(fields: dict[str, Any]) -> str:
    parts = []
    for key, value in fields.items():
        text = str(value)
        parts.append(f'{key}="{text}"' if (" " in text or not text) else f"{key}={text}")
    return " ".join(parts)


def _log_call(fields: dict[str, Any]) -> None:
    level = (
        logging.WARNING if isinstance(fields.get("status"), int) and fields["status"] >= 500 else logging.INFO
    )
    log.log(level, "zoom_api %s", _logfmt(fields), extra={"zoom": dict(fields)})


def _safe_context(log_context: dict[str, Any] | None) -> dict[str, Any]:
    """The caller's context fields, minus anything that could carry a secret."""
    return {k: v for k, v in (log_context or {}).items() if not _SECRET_KEYS.search(k)}


class _Transport:
    """Configuration and one `requests.Session` for talking to Zoom's API and OAuth endpoints."""

    def __init__(self, timeout: float) -> None:
        config = current_app.config
        self.api_base = config["ZOOM_API_BASE_URL"].rstrip("/")
        self.oauth_base = config["ZOOM_OAUTH_BASE_URL"].rstrip("/")
        self.client_auth = (config["ZOOM_CLIENT_ID"], config["ZOOM_CLIENT_SECRET"])
        self.timeout = timeout
        self.http = requests.Session()

    def send(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        timeout: float | None,
        **kwargs: Any,
    ) -> requests.Response:
        """One HTTP exchange; transport failures become ZoomTransientError (no URL or token in the text)."""
        wait = timeout or self.timeout
        try:
            return self.http.request(method, url, timeout=wait, **kwargs)
        except requests.Timeout:
            raise ZoomTransientError(
                f"Zoom did not answer within {wait:g} s ({operation}); this will be retried."
            ) from None
        except requests.ConnectionError:
            raise ZoomTransientError(
                f"Zoom could not be reached ({operation}); this will be retried."
            ) from None
        except requests.RequestException as exc:
            raise ZoomTransientError(
                f"The call to Zoom failed ({operation}: {type(exc).__name__}); this will be retried."
            ) from None

    def exchange(
        self, method: str, base: str, path: str, *, operation: str, log_fields: dict[str, Any], **kwargs: Any
    ) -> requests.Response:
        """One OAuth or profile call, timed and written as one structured log line."""
        fields: dict[str, Any] = {"operation": operation, "method": method, "path": path, **log_fields}
        started = time.monotonic()
        try:
            response = self.send(
                method, f"{base}{path}", operation=operation.replace("_", " "), timeout=None, **kwargs
            )
            fields["status"] = response.status_code
            return response
        except ZoomError:
            fields["status"] = "unreachable"
            raise
        finally:
            fields["latency_ms"] = round((time.monotonic() - started) * 1000)
            _log_call(fields)


def fetch_profile(access_token: str, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """GET /users/me with a token that is not stored yet (the OAuth callback, before saving)."""
    transport = _Transport(timeout)
    response = transport.exchange(
        "GET",
        transport.api_base,
        "/users/me",
        operation="get_profile",
        log_fields={},
        headers={"Authorization": f"Bearer {access_token}"},
    )
    if response.status_code != 200:
        raise error_for(response)
    return response.json()


# ---- the client ------------------------------------------------------------------------------------


class ZoomClient:
    """Zoom's API on behalf of one organization. Cheap to build; build one per job or request."""

    def __init__(self, org_id: int, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.org_id = org_id
        self.timeout = timeout
        self._transport = _Transport(timeout)
        # The lock outlives the slowest refresh, so it never expires while its holder still works.
        self.lock_ttl = max(30.0, 3 * timeout)

    @classmethod
    def for_org(cls, org_id: int, *, timeout: float = DEFAULT_TIMEOUT) -> ZoomClient:
        """A client for the organization's live connection; ZoomNotConnected if it has none."""
        connection = zoom_connection_for(org_id, live_only=False)
        if connection is None:
            raise ZoomNotConnected("Zoom is not connected for this organization.")
        if not connection.is_live:
            raise ZoomNotConnected(
                "Zoom needs to be reconnected: an admin can do it in Settings → Integrations.",
                needs_reconnect=True,
            )
        return cls(org_id, timeout=timeout)

    # -- tokens -----------------------------------------------------------------------------------

    @contextmanager
    def _own_session(self) -> Iterator[Session]:
        """A short session of our own for token bookkeeping (see the module docstring for why)."""
        session = Session(db.engine, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()

    def _load(self, session: Session) -> ZoomConnection:
        connection = session.scalar(select(ZoomConnection).filter_by(org_id=self.org_id))
        if connection is None:
            raise ZoomNotConnected("Zoom is not connected for this organization.")
        if not connection.is_live:
            raise ZoomAuthError(
                "Zoom needs to be reconnected: Zoom no longer accepts this organization's connection. "
                "An admin can reconnect in Settings → Integrations."
            )
        return connection

    @staticmethod
    def _expiring(connection: ZoomConnection) -> bool:
        return connection.access_token_expires_at - utcnow() <= REFRESH_MARGIN

    def access_token(self) -> str:
        """A valid access token for the organization, refreshed first if it expires within 5 minutes."""
        with self._own_session() as session:
            connection = self._load(session)
            if not self._expiring(connection):
                return connection.access_token
        return self._refresh(stale_token=None)

    def _refresh(self, stale_token: str | None) -> str:
        """Refresh under the organization's lock. `stale_token`: the token Zoom just rejected (401/124);
        None for a refresh ahead of expiry. Returns the token to use, refreshed by us or by another worker."""
        try:
            lock = redis_conn().lock(
                redis_key("lock", "zoom-token", self.org_id),
                timeout=self.lock_ttl,
                sleep=0.05,
                # Wait no longer than the caller's own Zoom timeout (5 s for the Start link).
                blocking_timeout=min(self.lock_ttl, self.timeout),
            )
            acquired = lock.acquire()
        except RedisError:
            raise ZoomTransientError(
                "The Zoom token could not be refreshed: the lock store (Redis) is unreachable."
            ) from None
        if not acquired:
            raise ZoomTransientError(
                "Another worker is still refreshing the Zoom token; this will be retried."
            )
        try:
            with self._own_session() as session:
                # Re-read after acquiring: another worker may have refreshed while we waited.
                connection = self._load(session)
                if stale_token is None and not self._expiring(connection):
                    return connection.access_token
                if stale_token is not None and connection.access_token != stale_token:
                    return connection.access_token
                spent = connection.refresh_token
                token = self._post_refresh(session, connection)
                # Compare-and-set: a Reconnect (or Disconnect) does not take this lock, and may have
                # replaced the tokens while our refresh was in flight. Its tokens win: re-read the row
                # (locked on PostgreSQL until our commit) and write ours only over the one we spent.
                current = session.scalar(
                    select(ZoomConnection)
                    .filter_by(id=connection.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
                if current is None or current.refresh_token != spent:
                    session.rollback()
                    log.info(
                        "zoom token refresh for org %s discarded: the connection was replaced", self.org_id
                    )
                    self._expire_caller_copy()
                    return self._load(session).access_token
                connection.access_token = token["access_token"]
                connection.refresh_token = token["refresh_token"]
                connection.access_token_expires_at = utcnow() + timedelta(
                    seconds=int(token.get("expires_in") or 3599)
                )
                if token.get("scope"):
                    connection.scopes = token["scope"]
                connection.last_refreshed_at = utcnow()
                session.commit()  # before releasing the lock: the next holder must see the new tokens
                self._expire_caller_copy()
                return connection.access_token
        finally:
            try:
                lock.release()
            except (LockError, RedisError):
                log.warning("zoom token lock for org %s expired before release", self.org_id)

    def _post_refresh(self, session: Session, connection: ZoomConnection) -> dict[str, Any]:
        """POST /oauth/token grant_type=refresh_token; invalid_grant marks the connection needs_reconnect."""
        transport = self._transport
        response = transport.exchange(
            "POST",
            transport.oauth_base,
            "/oauth/token",
            operation="token_refresh",
            log_fields={"org_id": self.org_id},
            data={"grant_type": "refresh_token", "refresh_token": connection.refresh_token},
            auth=transport.client_auth,
        )
        if response.status_code == 200:
            token = response.json()
            if not token.get("access_token") or not token.get("refresh_token"):
                raise ZoomTransientError("Zoom's token answer was incomplete; this will be retried.")
            return token
        code, message = _error_body(response)
        if code == "invalid_grant":
            connection.status = "needs_reconnect"
            audit.record(
                self.org_id,
                "refresh_failed",
                f"Zoom refused to renew the connection ({message or 'invalid_grant'}). "
                "An admin needs to reconnect Zoom.",
                session=session,
            )
            session.commit()
            self._expire_caller_copy()
            raise ZoomAuthError(
                "Zoom no longer accepts this organization's connection (it was revoked or replaced). "
                "An admin needs to reconnect Zoom in Settings → Integrations.",
                response.status_code,
                code,
            )
        if code == "invalid_client":
            raise ZoomAuthError(
                "Zoom rejected Conecta's client credentials (ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET).",
                response.status_code,
                code,
            )
        raise error_for(response)

    def _expire_caller_copy(self) -> None:
        """The caller's session may hold the connection row: make it re-read what we just committed."""
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, ZoomConnection) and obj.org_id == self.org_id:
                db.session.expire(obj)

    # -- calls ------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
        log_context: dict[str, Any] | None = None,
        operation: str | None = None,
    ) -> requests.Response:
        """Call `{ZOOM_API_BASE_URL}{path}` with the organization's token; a 2xx response or an exception.

        On 401 code 124 the token is refreshed once and the call retried once.
        """
        method = method.upper()
        path = "/" + path.lstrip("/")
        operation = operation or f"{method} {path}"
        fields: dict[str, Any] = {
            "operation": operation,
            "method": method,
            "path": path.split("?", 1)[0],
            "org_id": self.org_id,
            **_safe_context(log_context),
        }
        started = time.monotonic()
        response: requests.Response | None = None
        try:
            token = self.access_token()
            response = self._send(method, path, token, json, params, timeout, operation)
            if response.status_code == 401 and _zoom_code(response) == 124:
                fields["token_refreshed"] = "yes"
                token = self._refresh(stale_token=token)
                response = self._send(method, path, token, json, params, timeout, operation)
        except ZoomError as exc:
            fields["status"] = response.status_code if response is not None else "failed"
            fields["error"] = type(exc).__name__
            raise
        finally:
            fields["latency_ms"] = round((time.monotonic() - started) * 1000)
            if response is not None:
                fields["status"] = response.status_code
            _log_call(fields)
        if response.status_code >= 400:
            raise error_for(response)
        return response

    def _send(
        self,
        method: str,
        path: str,
        token: str,
        json: Any,
        params: dict[str, Any] | None,
        timeout: float | None,
        operation: str,
    ) -> requests.Response:
        return self._transport.send(
            method,
            f"{self._transport.api_base}{path}",
            operation=operation,
            timeout=timeout,
            json=json,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )

    # -- convenience --------------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The connected Zoom user (id, email, account_id, …)."""
        return self.request("GET", "/users/me", operation="get_user").json()

    def create_meeting(self, body: dict[str, Any], *, log_context: dict[str, Any] | None = None) -> dict:
        """POST /users/me/meetings → the new meeting (id, join_url, start_url, password if any…)."""
        return self.request(
            "POST", "/users/me/meetings", json=body, log_context=log_context, operation="create_meeting"
        ).json()

    def get_meeting(self, meeting_id: int | str, *, log_context: dict[str, Any] | None = None) -> dict:
        """GET /meetings/{id}: also the way to a fresh start_url (a stored one goes stale in 2 hours)."""
        return self.request(
            "GET", _meeting_path(meeting_id), log_context=log_context, operation="get_meeting"
        ).json()

    def update_meeting(
        self, meeting_id: int | str, body: dict[str, Any], *, log_context: dict[str, Any] | None = None
    ) -> None:
        """PATCH /meetings/{id} (partial update; Zoom answers 204)."""
        self.request(
            "PATCH", _meeting_path(meeting_id), json=body, log_context=log_context, operation="update_meeting"
        )

    def delete_meeting(self, meeting_id: int | str, *, log_context: dict[str, Any] | None = None) -> None:
        """DELETE /meetings/{id}. A 404 raises ZoomNotFound: the caller decides that it counts as done."""
        self.request("DELETE", _meeting_path(meeting_id), log_context=log_context, operation="delete_meeting")

    def iter_upcoming_meetings(
        self, *, page_size: int = 300, log_context: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every upcoming meeting of the connected user, following next_page_token across pages."""
        page_token = ""
        while True:
            params: dict[str, Any] = {"type": "upcoming", "page_size": page_size}
            if page_token:
                params["next_page_token"] = page_token
            page = self.request(
                "GET", "/users/me/meetings", params=params, log_context=log_context, operation="list_meetings"
            ).json()
            yield from page.get("meetings") or []
            page_token = page.get("next_page_token") or ""
            if not page_token:
                return

    def revoke(self) -> None:
        """Revoke the organization's grant at Zoom (POST /oauth/revoke). Raises ZoomTransientError if Zoom
        cannot be reached; a token Zoom no longer knows counts as revoked."""
        with self._own_session() as session:
            connection = session.scalar(select(ZoomConnection).filter_by(org_id=self.org_id))
            if connection is None:
                return
            live, token = connection.is_live, connection.access_token
        if live:
            try:
                token = self.access_token()  # an expired access token may not revoke the grant
            except ZoomAuthError:
                return  # Zoom already dropped the grant: nothing left to revoke
        transport = self._transport
        response = transport.exchange(
            "POST",
            transport.oauth_base,
            "/oauth/revoke",
            operation="revoke",
            log_fields={"org_id": self.org_id},
            data={"token": token},
            auth=transport.client_auth,
        )
        if response.status_code >= 500 or response.status_code == 429:
            raise error_for(response)
        code, _ = _error_body(response)
        if response.status_code >= 400 and code not in ("invalid_token", "invalid_grant", "invalid_request"):
            raise error_for(response)


def _meeting_path(meeting_id: int | str) -> str:
    return f"/meetings/{quote(str(meeting_id), safe='')}"
