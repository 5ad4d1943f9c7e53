"""A weekly series: an RFC 5545 recurrence rule whose occurrences are ordinary appointments.

The rule is kept as text (`RRULE:...` and any `EXDATE:...` lines, the dates staff chose to skip) with
its first occurrence's wall-clock time and the organization's zone, so every occurrence keeps its local
time across daylight-saving changes (10:00 in Madrid is 09:00 UTC in March, 08:00 UTC in April). The
occurrences themselves are `Appointment` rows pointing here (`Appointment.series_id`): Zoom, emails,
reminders and the portal treat each of them like any appointment. The rule records how they were made
and describes the series to people; it never overrides what an occurrence says.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from conecta.extensions import db
from conecta.models.types import UTCDateTime, utcnow


class Series(db.Model):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # RFC 5545 content lines without DTSTART: "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;COUNT=8", and
    # "EXDATE:20300408T080000Z" for each date skipped when it was booked.
    rule: Mapped[str] = mapped_column(Text)
    # DTSTART: the first occurrence's wall-clock time (naive) in `timezone`.
    dtstart_local: Mapped[datetime] = mapped_column(DateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
