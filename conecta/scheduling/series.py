"""Weekly series as rules: an RFC 5545 recurrence (dateutil's `rrule`), its occurrences and their conflicts.

An occurrence keeps its wall-clock time in the organization's zone: the rule is expanded from a DTSTART
that carries the zone, so dateutil builds every date at the same local hour and the zone gives each its
own UTC offset (10:00 in Madrid is 09:00 UTC in March, 08:00 UTC in April). UNTIL is in UTC, as RFC 5545
asks when DTSTART has a zone. A wall-clock time that a daylight-saving change skips on some date cannot
be booked that day: it is reported like a conflict, for staff to skip.

No Flask here: the callers pass a session, and the conflicts come back as facts (what clashes with
what) for the page to put into words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from flask_babel import gettext
from sqlalchemy.orm import Session

from conecta.models import Appointment, Client, User
from conecta.scheduling.rules import (
    MAX_BOOKING_YEAR,
    BookingError,
    find_conflict,
    first_overlap,
)

MAX_OCCURRENCES = 52
MAX_INTERVAL_WEEKS = 12
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Repeat:
    """What the booking modal's Repeat says: every `interval_weeks` weeks on `weekdays` (0 = Monday),
    ending after `count` occurrences or on `until` (a local date, included)."""

    interval_weeks: int
    weekdays: tuple[int, ...]
    count: int | None = None
    until: date | None = None


def rrule_line(repeat: Repeat, tz: str) -> str:
    """The RRULE content line of `repeat` (UNTIL: the end of its local day, in UTC)."""
    parts = [
        "FREQ=WEEKLY",
        f"INTERVAL={repeat.interval_weeks}",
        "BYDAY=" + ",".join(WEEKDAY_CODES[d] for d in sorted(set(repeat.weekdays))),
    ]
    if repeat.count is not None:
        parts.append(f"COUNT={repeat.count}")
    else:
        end = datetime.combine(repeat.until, time(23, 59, 59), tzinfo=ZoneInfo(tz)).astimezone(UTC)
        parts.append(f"UNTIL={end:%Y%m%dT%H%M%SZ}")
    return "RRULE:" + ";".join(parts)


def expand(rule: str, dtstart_local: datetime, tz: str, limit: int = MAX_OCCURRENCES + 1) -> list[datetime]:
    """The occurrences of `rule` (RRULE and EXDATE lines) as aware local datetimes, at most `limit`."""
    start = dtstart_local.replace(tzinfo=ZoneInfo(tz))
    found: list[datetime] = []
    for occurrence in rrulestr(rule, dtstart=start, forceset=True):
        found.append(occurrence)
        if len(found) >= limit:
            break
    return found


def exdate_line(skipped: list[datetime]) -> str:
    """The EXDATE line for occurrences staff chose to skip (UTC instants), or "" for none."""
    if not skipped:
        return ""
    return "EXDATE:" + ",".join(f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}" for moment in sorted(skipped))


def exists(local: datetime) -> bool:
    """False for a wall-clock time a daylight-saving change skips (it would not round-trip)."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


@dataclass
class Occurrence:
    """One date of a planned series: its local time, its UTC instant, and what stands in its way."""

    local: datetime
    starts_at: datetime
    missing_time: bool = False  # the wall-clock time does not exist that day (clocks change)
    staff_busy: Appointment | None = None
    client_busy: Appointment | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def free(self) -> bool:
        return not (self.missing_time or self.staff_busy or self.client_busy)


def find_client_conflict(
    session: Session, client_id: int, starts_at: datetime, duration: int, exclude_id: int | None = None
) -> Appointment | None:
    """The client's first booked appointment overlapping the slot, if any (with anyone)."""
    return first_overlap(session, Appointment.client_id == client_id, starts_at, duration, exclude_id)


def check_repeat(repeat: Repeat, first_day: date) -> dict[str, str]:
    """Messages (by form field) for a Repeat the rules refuse; empty when it is acceptable."""
    errors: dict[str, str] = {}
    if not 1 <= repeat.interval_weeks <= MAX_INTERVAL_WEEKS:
        errors["repeat_interval"] = gettext("Repeat every 1 to %(num)d weeks.", num=MAX_INTERVAL_WEEKS)
    if not repeat.weekdays:
        errors["repeat_weekdays"] = gettext("Choose at least one weekday.")
    if repeat.count is None and repeat.until is None:
        errors["repeat_until"] = gettext("Say when the series ends: after a number of dates, or on a date.")
    if repeat.count is not None and not 1 <= repeat.count <= MAX_OCCURRENCES:
        errors["repeat_count"] = gettext("A series has 1 to %(num)d dates.", num=MAX_OCCURRENCES)
    if repeat.until is not None and repeat.until < first_day:
        errors["repeat_until"] = gettext("The series must end on or after its first date.")
    elif repeat.until is not None and repeat.until.year > MAX_BOOKING_YEAR:
        errors["repeat_until"] = gettext("Choose a date before %(year)s.", year=str(MAX_BOOKING_YEAR + 1))
    return errors


def plan_occurrences(
    session: Session,
    tz: str,
    first: datetime,
    repeat: Repeat,
    duration: int,
    staff: User,
    client: Client,
) -> tuple[str, datetime, list[Occurrence]]:
    """(rule, dtstart_local, occurrences) of a new series starting at local wall-clock `first` (naive);
    BookingError when the Repeat is refused or makes more than MAX_OCCURRENCES dates (or none)."""
    errors = check_repeat(repeat, first.date())
    if errors:
        raise BookingError(errors)
    rule = rrule_line(repeat, tz)
    # DTSTART is the first matching date on or after the chosen day, at the chosen time.
    locals_ = expand(rule, first, tz)
    if len(locals_) > MAX_OCCURRENCES:
        raise BookingError(
            {
                "repeat_until": gettext(
                    "That makes more than %(num)d dates: end it sooner.", num=MAX_OCCURRENCES
                )
            }
        )
    if not locals_:
        raise BookingError({"repeat_weekdays": gettext("No date matches this repeat.")})
    occurrences = []
    for local in locals_:
        starts_at = local.astimezone(UTC)
        occurrence = Occurrence(local=local, starts_at=starts_at, missing_time=not exists(local))
        if not occurrence.missing_time:
            occurrence.staff_busy = find_conflict(session, staff.id, starts_at, duration)
            occurrence.client_busy = find_client_conflict(session, client.id, starts_at, duration)
        occurrences.append(occurrence)
    return rule, locals_[0].replace(tzinfo=None), occurrences


def shifted_weekdays(rule: str, days: int) -> str:
    """The rule with its BYDAY moved by `days` (an occurrence moved from Monday to Tuesday moves the
    rest with it)."""
    if days % 7 == 0:
        return rule
    lines = []
    for line in rule.splitlines():
        if line.startswith("RRULE:"):
            parts = []
            for part in line[len("RRULE:") :].split(";"):
                if part.startswith("BYDAY="):
                    codes = [WEEKDAY_CODES[(WEEKDAY_CODES.index(c) + days) % 7] for c in part[6:].split(",")]
                    part = "BYDAY=" + ",".join(sorted(set(codes), key=WEEKDAY_CODES.index))
                parts.append(part)
            line = "RRULE:" + ";".join(parts)
        lines.append(line)
    return "\n".join(lines)


def ended_before(rule: str, moment: datetime) -> str:
    """The rule ending just before `moment` (UTC): COUNT or UNTIL replaced by UNTIL one second earlier.
    "This and following" leaves the earlier part of a series with this rule."""
    until = (moment.astimezone(UTC) - timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
    lines = []
    for line in rule.splitlines():
        if line.startswith("RRULE:"):
            parts = [p for p in line[len("RRULE:") :].split(";") if not p.startswith(("COUNT=", "UNTIL="))]
            line = "RRULE:" + ";".join([*parts, f"UNTIL={until}"])
        lines.append(line)
    return "\n".join(lines)


def rule_summary(rule: str) -> tuple[int, list[int]]:
    """(interval in weeks, weekdays 0 = Monday) of a rule, for describing a series to people."""
    interval, weekdays = 1, []
    for line in rule.splitlines():
        if line.startswith("RRULE:"):
            for part in line[len("RRULE:") :].split(";"):
                name, _, value = part.partition("=")
                if name == "INTERVAL" and value.isdigit():
                    interval = int(value)
                elif name == "BYDAY":
                    weekdays = [WEEKDAY_CODES.index(c) for c in value.split(",") if c in WEEKDAY_CODES]
    return interval, weekdays
