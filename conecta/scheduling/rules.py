"""Booking rules. Times are stored in UTC; people type them in the organization's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from conecta.dates import format_instant
from conecta.models import Appointment, Client, Organization, Service, User
from conecta.models.types import utcnow

MAX_DURATION_MINUTES = 12 * 60
# Far enough either way for any real booking, and clear of datetime's limits in every time zone.
MIN_BOOKING_YEAR, MAX_BOOKING_YEAR = 1900, 2999


class BookingError(ValueError):
    """A booking the rules refuse; `errors` maps form field names to messages people can act on."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def to_utc(local_date: date, local_time: time, tz: str) -> datetime:
    """The UTC instant of a wall-clock time in `tz`; a time skipped by a DST change is refused."""
    if not MIN_BOOKING_YEAR <= local_date.year <= MAX_BOOKING_YEAR:
        raise BookingError(
            {
                "date": gettext(
                    "Choose a date between %(low)s and %(high)s.",
                    low=str(MIN_BOOKING_YEAR),
                    high=str(MAX_BOOKING_YEAR),
                )
            }
        )
    zone = ZoneInfo(tz)
    naive = datetime.combine(local_date, local_time)
    aware = naive.replace(tzinfo=zone)
    # Round-tripping through UTC changes a wall time that does not exist (spring-forward gap).
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise BookingError(
            {"time": f"{local_time:%H:%M} does not exist on {local_date:%d %b %Y} in {tz} (clocks change)."}
        )
    return aware.astimezone(UTC)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals: an appointment ending at 10:00 does not clash with one starting at 10:00."""
    return a_start < b_end and b_start < a_end


def find_conflict(
    session: Session,
    staff_id: int,
    starts_at: datetime,
    duration_minutes: int,
    exclude_id: int | None = None,
) -> Appointment | None:
    """The first booked appointment of `staff_id` that overlaps the given slot, if any."""
    return first_overlap(session, Appointment.staff_id == staff_id, starts_at, duration_minutes, exclude_id)


def first_overlap(
    session: Session,
    whose: ColumnElement[bool],
    starts_at: datetime,
    duration_minutes: int,
    exclude_id: int | None = None,
) -> Appointment | None:
    """The first booked appointment matching `whose` (a staff member's, a client's) that overlaps the
    given slot, if any."""
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    # Nothing lasts longer than MAX_DURATION_MINUTES, which bounds the search window in SQL.
    query = (
        select(Appointment)
        .where(
            whose,
            Appointment.status == "booked",
            Appointment.starts_at < ends_at,
            Appointment.starts_at > starts_at - timedelta(minutes=MAX_DURATION_MINUTES),
        )
        .order_by(Appointment.starts_at)
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    for other in session.scalars(query):
        if overlaps(starts_at, ends_at, other.starts_at, other.ends_at):
            return other
    return None


@dataclass(frozen=True)
class BookingDetails:
    """What a booking form says: who, what, when. Objects, not ids; the instant in UTC.

    Any of them may be missing (None): the rules say which, with a message per field.
    """

    client: Client | None
    service: Service | None
    staff: User | None
    starts_at: datetime | None
    duration_minutes: int | None = None
    notes: str = ""


def _validate(session: Session, org: Organization, details: BookingDetails, exclude_id: int | None) -> int:
    """The duration the booking gets, after every rule passed; BookingError with all that did not."""
    client, service, staff, starts_at = details.client, details.service, details.staff, details.starts_at
    errors: dict[str, str] = {}
    if client is None or client.org_id != org.id:
        errors["client_id"] = gettext("Choose a client.")
    if service is None or service.org_id != org.id:
        errors["service_id"] = gettext("Choose a service.")
    elif not service.active and exclude_id is None:
        errors["service_id"] = gettext("%(name)s is no longer offered.", name=service.name)
    if staff is None or staff.org_id != org.id or not staff.active:
        errors["staff_id"] = gettext("Choose an active staff member.")
    duration = details.duration_minutes or (service.duration_minutes if service else None)
    if duration is None or not 5 <= duration <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = gettext(
            "Duration must be between %(low)d and %(high)d minutes.", low=5, high=MAX_DURATION_MINUTES
        )
    if starts_at is None:
        errors.setdefault("time", gettext("Choose a date and time."))
    if errors:
        raise BookingError(errors)
    conflict = find_conflict(session, staff.id, starts_at, duration, exclude_id)
    if conflict is not None:
        zone = org.tz
        raise BookingError(
            {
                "staff_id": gettext(
                    "%(staff)s is already booked from %(start)s to %(end)s on %(day)s (%(service)s with "
                    "%(client)s).",
                    staff=staff.name,
                    start=format_instant(conflict.starts_at, zone, "time"),
                    end=format_instant(conflict.ends_at, zone, "time"),
                    day=format_instant(conflict.starts_at, zone, "short_day"),
                    service=conflict.service.name,
                    client=conflict.client.name,
                )
            }
        )
    return duration


def create_appointment(session: Session, org: Organization, details: BookingDetails) -> Appointment:
    """A new booked appointment, validated and added to the session (the caller commits)."""
    duration = _validate(session, org, details, None)
    appointment = Appointment(org_id=org.id, status="booked")
    _apply(appointment, details, duration)
    session.add(appointment)
    return appointment


def update_appointment(session: Session, appointment: Appointment, details: BookingDetails) -> Appointment:
    """Apply an edit after checking it; a cancelled appointment stays as it is, for the record."""
    if appointment.is_cancelled:
        raise BookingError({"status": "A cancelled appointment cannot be edited."})
    duration = _validate(session, appointment.org, details, appointment.id)
    _apply(appointment, details, duration)
    return appointment


def _apply(appointment: Appointment, details: BookingDetails, duration: int) -> None:
    appointment.client = details.client
    appointment.service = details.service
    appointment.staff = details.staff
    appointment.starts_at = details.starts_at
    appointment.duration_minutes = duration
    appointment.notes = details.notes or ""


def cancel_appointment(appointment: Appointment) -> Appointment:
    """Cancelled appointments stay visible; cancelling twice changes nothing."""
    if not appointment.is_cancelled:
        appointment.status = "cancelled"
        appointment.cancelled_at = utcnow()
    return appointment
