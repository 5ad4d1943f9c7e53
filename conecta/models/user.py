"""Staff and admins: the people who run an organization's calendar."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.extensions import db
from conecta.models.org import Organization
from conecta.models.sessions import SessionHolder
from conecta.models.types import UTCDateTime, utcnow

ROLES = ("admin", "staff")


class User(SessionHolder, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="staff")
    active: Mapped[bool] = mapped_column(default=True)
    # "#rrggbb" chosen by an admin (Settings → Team); None: a colour of the palette, by id (staff_color).
    color: Mapped[str | None] = mapped_column(String(7))
    # The UI language this person reads; None: the organization's.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Organization] = relationship()

    kind = "user"

    @property
    def locale(self) -> str:
        """The language this person reads: their own, else the organization's."""
        return self.language or self.org.language

    @property
    def zone(self) -> str:
        """Staff read times in the organization's zone (the calendar's)."""
        return self.org.timezone

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
