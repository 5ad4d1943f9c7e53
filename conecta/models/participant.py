"""The clients of a group session: one row per client ever added, "active" or "removed".

An ordinary appointment has no rows here: its one client is `appointments.client_id`. A group
appointment (booked for a service whose capacity is more than one) has a row per client, and its
`client_id` keeps the client it was first booked with -- never changed by adding or removing
participants, so the Zoom meeting (made "for" that client id) is never replaced by a membership change.
Who is in the group is always read here (`Appointment.clients`). Removed rows stay, for the record and
so the mail plan can tell a removed client their cancellation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.extensions import db
from conecta.models.client import Client
from conecta.models.types import UTCDateTime, utcnow

ACTIVE, REMOVED = "active", "removed"


class AppointmentParticipant(db.Model):
    __tablename__ = "appointment_participants"
    __table_args__ = (
        UniqueConstraint("appointment_id", "client_id", name="uq_participants_appointment_client"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()

    @property
    def active(self) -> bool:
        return self.status == ACTIVE
