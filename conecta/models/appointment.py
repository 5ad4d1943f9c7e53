"""Appointments: a client booked with a staff member for a service, plus the Zoom state it wants."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.crypto import Encrypted
from conecta.extensions import db
from conecta.models.client import Client
from conecta.models.org import Organization
from conecta.models.service import Service
from conecta.models.types import UTCDateTime, utcnow
from conecta.models.user import User

STATUSES = ("booked", "cancelled")
# none: no meeting wanted or had; pending: a sync job will bring Zoom in line; ready: Zoom matches;
# failed: a permanent error, shown with a Retry; deleted: the meeting was removed after cancelling;
# left: Zoom was disconnected, so the meeting was left in Zoom untouched.
ZOOM_STATES = ("none", "pending", "ready", "failed", "deleted", "left")


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

    # --- Zoom: desired state (decided on save) and what Zoom holds (written by the reconciler) ---
    zoom_wanted: Mapped[bool] = mapped_column(default=False)
    zoom_state: Mapped[str] = mapped_column(String(10), default="none")
    # The outbox mark: set in the same transaction as the appointment save; cleared by the reconciler.
    zoom_sync_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    zoom_error: Mapped[str | None] = mapped_column(Text)
    # Recorded before a create call and sent in the meeting's agenda, so a retry finds a lost create.
    zoom_tracking_key: Mapped[str | None] = mapped_column(String(64))
    zoom_meeting_id: Mapped[str | None] = mapped_column(String(32))
    zoom_join_url: Mapped[str | None] = mapped_column(Encrypted)
    zoom_start_url: Mapped[str | None] = mapped_column(Encrypted)
    zoom_start_url_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    zoom_passcode: Mapped[str | None] = mapped_column(Encrypted)
    # What Zoom was last told, to decide whether a PATCH is needed at all.
    zoom_synced_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    zoom_synced_duration: Mapped[int | None]
    zoom_synced_topic: Mapped[str | None] = mapped_column(String(200))
    # The client the meeting was made for (who was sent its link): another client gets a new meeting.
    zoom_client_id: Mapped[int | None]
    # The service whose toggle decided `zoom_wanted`: a changed service re-decides it, nothing else does.
    zoom_wanted_service_id: Mapped[int | None]
    # Retry bookkeeping that must survive Redis: consecutive transient failures, and the earliest time
    # the next create/update may be tried (Retry-After, backoff, or 00:00 GMT after Zoom's daily limit).
    zoom_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    zoom_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship()
    client: Mapped[Client] = relationship()
    service: Mapped[Service] = relationship()
    staff: Mapped[User] = relationship()

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def zoom_meeting_is_a_former_clients(self) -> bool:
        """The stored meeting was made for a former client, who has its link: it must be replaced (not
        PATCHed) and its details shown to nobody. A meeting with no recorded client predates that
        bookkeeping and counts as the current client's."""
        return (
            self.zoom_meeting_id is not None
            and self.zoom_client_id is not None
            and self.zoom_client_id != self.client_id
        )
