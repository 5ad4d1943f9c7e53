"""The audit log: who did what to an organization's integrations (and appointments' Zoom state), when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.extensions import db
from conecta.models.types import UTCDateTime, utcnow
from conecta.models.user import User


class AuditEvent(db.Model):
    """One line of the log. `actor` is None when Zoom or the system acted (webhook, worker).

    `actor_name` keeps the name as it was, so the log still reads right after a user is renamed or removed.
    The detail is for people: it never holds a token, a join/start URL or a passcode.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_at", "org_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), index=True
    )

    actor: Mapped[User | None] = relationship()
