"""Who hosts each team member's Zoom meetings when Zoom is connected for the whole account (admin mode).

`ZoomAccountUser` is the Zoom account's directory as `GET /users` last listed it: the choices an admin
picks from, kept so that rendering Settings → Integrations never waits on Zoom. `ZoomHost` is the team
member's host: matched by email (`auto`) or chosen by an admin (`admin`, never overwritten by a later
match). No row means "not matched yet"; a row without `zoom_user_id` means "No Zoom user". Either way
that member's meetings are hosted by the Zoom user who connected, and the app says so.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.extensions import db
from conecta.models.types import UTCDateTime, string_enum, utcnow
from conecta.models.user import User


class HostSource(StrEnum):
    """How a team member got their Zoom host."""

    AUTO = "auto"  # matched by email against the account's users (re-matched on every refresh)
    ADMIN = "admin"  # chosen by an admin (a refresh leaves it alone)


class ZoomAccountUser(db.Model):
    __tablename__ = "zoom_account_users"
    __table_args__ = (UniqueConstraint("org_id", "zoom_user_id", name="uq_zoom_account_users_org_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    zoom_user_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.name} · {self.email}" if self.name else self.email


class ZoomHost(db.Model):
    __tablename__ = "zoom_hosts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    zoom_user_id: Mapped[str | None] = mapped_column(String(64))  # None: "No Zoom user"
    zoom_email: Mapped[str | None] = mapped_column(String(254))
    source: Mapped[HostSource] = mapped_column(string_enum(HostSource, 5), default=HostSource.AUTO)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def chosen_by_admin(self) -> bool:
        return self.source == HostSource.ADMIN
