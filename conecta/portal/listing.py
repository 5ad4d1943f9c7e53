"""What the portal says about each of a client's bookings: where it stands, and whether Join is offered.
Decided here, so the templates only render (whether it may be cancelled: `conecta.portal.cancellation`).

A past booking says what happened -- "Attended" or "No-show" once staff marked it, else "Took place",
or "Cancelled" -- never "Booked". Join is offered on
the list from 15 minutes before the start until the end, when the meeting's link may be shared
(`ZoomMeeting.shareable`); it is the client's join URL, never the host's start URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext

from conecta.models import Appointment
from conecta.models.appointment import ATTENDED, NO_SHOW
from conecta.models.types import utcnow

JOIN_OPENS_BEFORE = timedelta(minutes=15)


@dataclass(frozen=True)
class Status:
    label: str
    badge: str  # the badge's class: ok, off, danger


def booking_status(appointment: Appointment, now: datetime | None = None) -> Status:
    """Booked, Under way, Took place, Attended, No-show or Cancelled."""
    now = now or utcnow()
    if appointment.is_cancelled:
        return Status(gettext("Cancelled"), "danger")
    # What staff marked after the start (conecta.bookings.service.mark_attendance).
    if appointment.attendance == ATTENDED:
        return Status(gettext("Attended"), "ok")
    if appointment.attendance == NO_SHOW:
        return Status(gettext("No-show"), "danger")
    if appointment.ends_at <= now:
        return Status(gettext("Took place"), "off")
    if appointment.starts_at <= now:
        return Status(gettext("Under way"), "ok")
    return Status(gettext("Booked"), "ok")


def join_url(appointment: Appointment, now: datetime | None = None) -> str | None:
    """The client's Join link while the meeting is about to start or under way, else None."""
    now = now or utcnow()
    zoom = appointment.zoom
    if zoom is None or not zoom.shareable:
        return None
    if appointment.starts_at - JOIN_OPENS_BEFORE <= now < appointment.ends_at:
        return zoom.join_url
    return None


@dataclass(frozen=True)
class Entry:
    """One booking as the portal lists it."""

    appointment: Appointment
    status: Status
    join_url: str | None


def entry(appointment: Appointment, now: datetime) -> Entry:
    return Entry(
        appointment=appointment,
        status=booking_status(appointment, now),
        join_url=join_url(appointment, now),
    )


def split(bookings: list[Appointment], now: datetime | None = None) -> tuple[list[Entry], list[Entry]]:
    """(upcoming, soonest first, ongoing included; past, latest first) from bookings sorted by start."""
    now = now or utcnow()
    upcoming = [entry(b, now) for b in bookings if b.ends_at > now]
    past = [entry(b, now) for b in reversed(bookings) if b.ends_at <= now]
    return upcoming, past
