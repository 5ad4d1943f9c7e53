"""An organization: the tenant that owns everything else."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import String, true
from sqlalchemy.orm import Mapped, mapped_column

from conecta.extensions import db
from conecta.models.types import UTCDateTime, utcnow


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The default language of staff and clients who chose none ("en", "es": conecta.i18n.LANGUAGES).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Reminder emails to clients (conecta.mail.reminders): on or off, and how long before the start.
    reminders_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    reminder_lead_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    # Clients may cancel in the portal until this many hours before the start (conecta.portal.cancellation).
    portal_cancel_cutoff_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    # The contact block of every client email and of the portal (Settings → Organization); "" = not given.
    contact_phone: Mapped[str] = mapped_column(String(50), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    contact_address: Mapped[str] = mapped_column(String(500), default="", server_default="")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
