"""The organization's Zoom connection: one Zoom user's OAuth grant, held for the whole organization."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import ForeignKey, Select, String, Text, bindparam
from sqlalchemy.orm import Mapped, mapped_column, relationship, undefer_group

from conecta.crypto import Encrypted
from conecta.extensions import db
from conecta.models.org import Organization
from conecta.models.types import UTCDateTime, utcnow
from conecta.models.user import User


class ZoomConnection(db.Model):
    """At most one per organization. Tokens are encrypted at rest; everything else is plain bookkeeping.

    `needs_reconnect` means Zoom no longer honours our refresh token (revoked, or a refresh was lost):
    the row stays so the Integrations card can say so and offer Reconnect, but no API call uses it.
    """

    __tablename__ = "zoom_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), unique=True)
    zoom_user_id: Mapped[str] = mapped_column(String(64), index=True)
    zoom_email: Mapped[str] = mapped_column(String(254))
    zoom_account_id: Mapped[str] = mapped_column(String(64), default="")
    scopes: Mapped[str] = mapped_column(Text, default="")
    # "account": an admin granted the admin scopes, so meetings go on each team member's own Zoom user;
    # "user": every meeting is hosted by the Zoom user who connected. Derived from the granted scopes.
    mode: Mapped[str] = mapped_column(String(10), default="user", server_default="user")
    # Zoom's tokens are ~700 characters (JWT-shaped); Text plus Fernet's overhead holds them. Deferred:
    # pages read the connection for its mode and status on every Zoom panel, and decrypting both tokens
    # each time was most of that read; only the Zoom client loads them (WITH_TOKENS).
    access_token: Mapped[str] = mapped_column(Encrypted, deferred=True, deferred_group="tokens")
    refresh_token: Mapped[str] = mapped_column(Encrypted, deferred=True, deferred_group="tokens")
    access_token_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="active")
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship()
    connected_by: Mapped[User | None] = relationship()

    @property
    def is_live(self) -> bool:
        return self.status == "active"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def is_account_mode(self) -> bool:
        return self.mode == "account"


WITH_TOKENS = undefer_group("tokens")


def zoom_connection_for(
    org_id: int, live_only: bool = True, with_tokens: bool = False
) -> ZoomConnection | None:
    """The organization's Zoom connection; with `live_only`, None unless it can be used right now; with
    `with_tokens`, its tokens read (decrypted) in the same query."""
    return db.session.scalar(_connection_query(live_only, with_tokens), {"org_id": org_id})


@cache
def _connection_query(live_only: bool, with_tokens: bool) -> Select:
    """Built once per variant: most pages and jobs read the connection, and a statement built afresh
    pays for building its cache key again each time."""
    query = db.select(ZoomConnection).where(ZoomConnection.org_id == bindparam("org_id"))
    if with_tokens:
        query = query.options(WITH_TOKENS)
    if live_only:
        query = query.where(ZoomConnection.status == "active")
    return query
