"""A create sent to Zoom whose meeting is not yet accounted for (`conecta.zoom.attempts` follows it up).

One row per tracking key, written in the same commit as the key, before the create call. The row goes
away once every call made with the key is accounted for; what is left is exactly the work of the
follow-up. It names the appointment by id only, with no foreign key: the follow-up must outlive a
cancelled, reassigned or even deleted appointment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from conecta.extensions import db
from conecta.models.types import UTCDateTime


class ZoomCreateAttempt(db.Model):
    __tablename__ = "zoom_create_attempts"

    tracking_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    appointment_id: Mapped[int]
    # The Zoom user the meeting was created for; None: the connection's own user ("me").
    host_user_id: Mapped[str | None] = mapped_column(String(64))
    # Create calls made with this key so far (a retry after a lost answer reuses the key).
    calls: Mapped[int] = mapped_column(default=1)
    # When the latest of those calls was made: the follow-up's clock starts here.
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    @property
    def host(self) -> str:
        """The user whose meetings to search: `/users/{host}/meetings`."""
        return self.host_user_id or "me"
