"""Appointments: a client booked with a staff member for a service (its Zoom meeting: `.zoom`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.extensions import db
from conecta.models.client import Client
from conecta.models.org import Organization
from conecta.models.participant import AppointmentParticipant
from conecta.models.series import Series
from conecta.models.service import Service
from conecta.models.types import UTCDateTime, utcnow
from conecta.models.user import User
from conecta.models.zoom_meeting import ZoomMeeting, ZoomState

ATTENDED = "attended"
NO_SHOW = "no_show"
ATTENDANCE_LABELS = {ATTENDED: "Attended", NO_SHOW: "No-show"}


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
    # Why staff cancelled (optional; never emailed unless `cancel_reason_in_email`), and whether the client
    # was to be told at all: unchecking "Email the client" means no cancellation email, now or later.
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancel_email_client: Mapped[bool] = mapped_column(default=True, server_default=true())
    cancel_reason_in_email: Mapped[bool] = mapped_column(default=False, server_default=false())
    # After its start, staff mark it: ATTENDED or NO_SHOW (None: not marked).
    attendance: Mapped[str | None] = mapped_column(String(10))
    # What the client wrote to the clinic when cancelling in the portal (None: not cancelled there).
    cancel_message: Mapped[str | None] = mapped_column(Text)

    org: Mapped[Organization] = relationship()
    client: Mapped[Client] = relationship()
    service: Mapped[Service] = relationship()
    staff: Mapped[User] = relationship()
    series: Mapped[Series | None] = relationship()
    # Its Zoom meeting and sync bookkeeping; None until Zoom is first involved.
    zoom: Mapped[ZoomMeeting | None] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", passive_deletes=True
    )
    # A group session's clients, active and removed (`conecta.models.participant`); none otherwise.
    participants: Mapped[list[AppointmentParticipant]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by=AppointmentParticipant.id
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def is_group(self) -> bool:
        """A session of a group service: its clients are its active participants, not `client`. (Read
        from the service, already loaded, so an ordinary appointment costs no query for its participants;
        Settings keeps a service with participants a group service.)"""
        return self.service.is_group

    @property
    def clients(self) -> list[Client]:
        """Everyone the appointment is for now: the one place that answers "who is emailed"."""
        if self.service.is_group and self.participants:
            return [p.client for p in self.participants if p.active]
        return [self.client]

    @property
    def client_label(self) -> str:
        """Who it is for, as staff read it next to the service: the client, or a group's "5/8"."""
        if self.is_group:
            return f"{len(self.clients)}/{self.service.capacity}"
        return self.client.name

    def has_client(self, client_id: int | None) -> bool:
        return client_id is not None and any(c.id == client_id for c in self.clients)

    @property
    def zoom_state(self) -> ZoomState:
        return self.zoom.state if self.zoom is not None else ZoomState.NONE

    @property
    def has_started(self) -> bool:
        """Attendance can be marked from the start on."""
        return self.starts_at <= utcnow()

    @property
    def attendance_label(self) -> str | None:
        return ATTENDANCE_LABELS.get(self.attendance or "")
