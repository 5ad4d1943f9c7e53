"""The organization's OAuth grant in use: a valid access token, refreshed under a lock, and revoked.

Zoom rotates refresh tokens: every refresh returns a new one and kills the old, so two workers refreshing
at once would lose the connection. A refresh therefore runs under a per-organization Redis lock, and the
lock holder re-reads the row after acquiring it (another worker may have refreshed meanwhile).

A Reconnect or Disconnect does not take that lock: it may replace the tokens while a refresh is in
flight. So a refresh writes its outcome -- new tokens, or "needs reconnect" after `invalid_grant` --
only over the refresh token it spent (compare-and-set); a newer grant always wins.

Token bookkeeping is written in its own short transaction, not in the caller's session: a refresh must
survive even if the caller rolls back, and must not commit the caller's half-done work. So call Zoom
without uncommitted writes pending (on SQLite they would block that commit).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import LockError, RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from conecta import audit
from conecta.extensions import db
from conecta.jobs import redis_conn, redis_key
from conecta.models.types import utcnow
from conecta.models.zoom import WITH_TOKENS, ZoomConnection
from conecta.zoom.errors import ZoomAuthError, ZoomNotConnected, ZoomTransientError, error_body, error_for
from conecta.zoom.transport import Transport

log = logging.getLogger("conecta.zoom")

REFRESH_MARGIN = timedelta(minutes=5)
NEEDS_RECONNECT = (
    "Zoom needs to be reconnected: Zoom no longer accepts this organization's connection. "
    "An admin can reconnect in Settings → Integrations."
)


class Grant:
    """The access token of one organization's connection, kept valid."""

    def __init__(self, org_id: int, transport: Transport) -> None:
        self.org_id = org_id
        self.transport = transport
        # The lock outlives the slowest refresh, so it never expires while its holder still works.
        self.lock_ttl = max(30.0, 3 * transport.timeout)
        self._just_read: tuple[str, datetime] | None = None

    def just_read(self, connection: ZoomConnection) -> None:
        """The caller has just read the connection: its access token serves the first call (while not
        expiring), sparing a second read. Later calls, and any refresh, read afresh."""
        if connection.is_live:
            self._just_read = (connection.access_token, connection.access_token_expires_at)

    @contextmanager
    def _own_session(self) -> Iterator[Session]:
        session = Session(db.engine, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()

    def _load(self, session: Session) -> ZoomConnection:
        connection = session.scalar(select(ZoomConnection).filter_by(org_id=self.org_id).options(WITH_TOKENS))
        if connection is None:
            raise ZoomNotConnected("Zoom is not connected for this organization.")
        if not connection.is_live:
            raise ZoomAuthError(NEEDS_RECONNECT)
        return connection

    @staticmethod
    def _expiring(connection: ZoomConnection) -> bool:
        return connection.access_token_expires_at - utcnow() <= REFRESH_MARGIN

    def access_token(self) -> str:
        """A valid access token, refreshed first if it expires within 5 minutes."""
        just_read, self._just_read = self._just_read, None
        if just_read is not None and just_read[1] - utcnow() > REFRESH_MARGIN:
            return just_read[0]
        with self._own_session() as session:
            connection = self._load(session)
            if not self._expiring(connection):
                return connection.access_token
        return self.refresh(stale_token=None)

    def refresh(self, stale_token: str | None) -> str:
        """Refresh under the organization's lock. `stale_token`: the token Zoom just rejected (401/124);
        None for a refresh ahead of expiry. Returns the token to use, refreshed by us or another worker."""
        try:
            lock = redis_conn().lock(
                redis_key("lock", "zoom-token", self.org_id),
                timeout=self.lock_ttl,
                sleep=0.05,
                # Wait no longer than the caller's own Zoom timeout (5 s for the Start link).
                blocking_timeout=min(self.lock_ttl, self.transport.timeout),
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
                connection = self._load(session)  # re-read: another worker may have refreshed meanwhile
                if stale_token is None and not self._expiring(connection):
                    return connection.access_token
                if stale_token is not None and connection.access_token != stale_token:
                    return connection.access_token
                return self._exchange_refresh_token(session, connection)
        finally:
            try:
                lock.release()
            except (LockError, RedisError):
                log.warning("zoom token lock for org %s expired before release", self.org_id)

    def _exchange_refresh_token(self, session: Session, connection: ZoomConnection) -> str:
        spent = connection.refresh_token
        response = self._post_oauth(
            "/oauth/token", "token_refresh", {"grant_type": "refresh_token", "refresh_token": spent}
        )
        if response.status_code != 200:
            self._refused(session, response, spent)
        token = response.json()
        if not token.get("access_token") or not token.get("refresh_token"):
            raise ZoomTransientError("Zoom's token answer was incomplete; this will be retried.")
        current = self._still_spent(session, connection.id, spent)
        if current is None:
            log.info("zoom token refresh for org %s discarded: the connection was replaced", self.org_id)
            return self._load(session).access_token
        current.access_token = token["access_token"]
        current.refresh_token = token["refresh_token"]
        current.access_token_expires_at = utcnow() + timedelta(seconds=int(token.get("expires_in") or 3599))
        if token.get("scope"):
            current.scopes = token["scope"]
        current.last_refreshed_at = utcnow()
        session.commit()  # before releasing the lock: the next holder must see the new tokens
        self._expire_caller_copy()
        return current.access_token

    def _still_spent(self, session: Session, connection_id: int, spent: str) -> ZoomConnection | None:
        """The connection row (locked on PostgreSQL until our commit) if it still holds the refresh token
        we spent; None (and the session rolled back) when a Reconnect or Disconnect replaced it."""
        current = session.scalar(
            select(ZoomConnection)
            .filter_by(id=connection_id)
            .options(WITH_TOKENS)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if current is None or current.refresh_token != spent:
            session.rollback()
            self._expire_caller_copy()
            return None
        return current

    def _refused(self, session: Session, response: Any, spent: str) -> None:
        """Zoom refused the refresh: `invalid_grant` means the grant is dead -- unless it was replaced."""
        code, message = error_body(response)
        if code == "invalid_client":
            raise ZoomAuthError(
                "Zoom rejected Conecta's client credentials (ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET).",
                response.status_code,
                code,
            )
        if code != "invalid_grant":
            raise error_for(response)
        connection = self._still_spent(session, self._load(session).id, spent)
        if connection is not None:
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
        # A newer grant replaced the one we spent: the caller simply tries again with it.
        raise ZoomTransientError("The Zoom connection was just renewed; this will be retried.")

    def _post_oauth(self, path: str, operation: str, data: dict[str, str]) -> Any:
        """One call to Zoom's OAuth endpoints, with the app's Basic client authentication."""
        return self.transport.exchange(
            "POST",
            self.transport.oauth_base,
            path,
            operation=operation,
            log_fields={"org_id": self.org_id},
            data=data,
            auth=self.transport.client_auth,
        )

    def _expire_caller_copy(self) -> None:
        """The caller's session may hold the connection row: make it re-read what we just committed."""
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, ZoomConnection) and obj.org_id == self.org_id:
                db.session.expire(obj)

    def revoke(self) -> None:
        """Revoke the grant at Zoom (POST /oauth/revoke). Raises ZoomTransientError if Zoom cannot be
        reached; a token Zoom no longer knows counts as revoked."""
        with self._own_session() as session:
            connection = session.scalar(
                select(ZoomConnection).filter_by(org_id=self.org_id).options(WITH_TOKENS)
            )
            if connection is None:
                return
            live, token = connection.is_live, connection.access_token
        if live:
            try:
                token = self.access_token()  # an expired access token may not revoke the grant
            except ZoomAuthError:
                return  # Zoom already dropped the grant: nothing left to revoke
        response = self._post_oauth("/oauth/revoke", "revoke", {"token": token})
        if response.status_code >= 500 or response.status_code == 429:
            raise error_for(response)
        code, _ = error_body(response)
        if response.status_code >= 400 and code not in ("invalid_token", "invalid_grant", "invalid_request"):
            raise error_for(response)
