"""Appointments: a client booked with a staff member for a service (its Zoom meeting: `.zoom`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.extensions import db
from conecta.models.client import Client
from conecta.models.org import Organization
from conecta.models.series import Series
from conecta.models.service import Service
from conecta.models.types import UTCDateTime, utcnow
from conecta.models.user import User
from conecta.models.zoom_meeting import ZoomMeeting, ZoomState


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_org_starts_at", "org_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="booked")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The start time the client's reminder was queued for (conecta.mail.reminders): a reschedule owes a new one.
    reminded_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The weekly series this appointment is an occurrence of (conecta.models.series), if any.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)

    org: Mapped[Organization] = relationship()
    client: Mapped[Client] = relationship()
    service: Mapped[Service] = relationship()
    staff: Mapped[User] = relationship()
    series: Mapped[Series | None] = relationship()
    # Its Zoom meeting and sync bookkeeping; None until Zoom is first involved.
    zoom: Mapped[ZoomMeeting | None] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def zoom_state(self) -> ZoomState:
        return self.zoom.state if self.zoom is not None else ZoomState.NONE
