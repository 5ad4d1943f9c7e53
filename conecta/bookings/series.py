"""Weekly series through the booking pipeline: booking one, and editing or cancelling with a scope.

A series is a thin layer over appointments (`conecta.models.series`). Every change here is a loop of
ordinary booking steps (`service.plan_save`: the rules, Zoom's plan, the mail plan) inside ONE
transaction, followed by the ordinary dispatch -- so each occurrence gets, keeps, moves or loses its own
Zoom meeting through the same reconcile as any appointment (Zoom never sees a series), and a refusal
anywhere (a slot taken meanwhile) saves nothing. The only additions: the series row, and the emails
folded into one series email (`conecta.mail.series.fold`).

Scopes, for an appointment in a series: "this" (an ordinary edit or cancel), "following" (this one and
the later ones: the series splits, the earlier part keeps its rule ending before the split and the rest
starts a new series) and "all" (every upcoming one). Past occurrences are never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from conecta import scheduling
from conecta.bookings import service as bookings
from conecta.bookings.service import Planned
from conecta.extensions import db
from conecta.groups import participants
from conecta.mail import send as mail_send
from conecta.mail import series as series_mail
from conecta.models import Appointment, Client, Organization, Series
from conecta.models.email import EmailKind, EmailStatus, OutboxEmail
from conecta.models.types import utcnow
from conecta.scheduling import BookingDetails, BookingError
from conecta.scheduling import series as rules
from conecta.zoom.plan import Change

SCOPES = ("this", "following", "all")


@dataclass(frozen=True)
class SeriesPlan:
    """A series about to be booked: its rule and every date, with what stands in each one's way."""

    rule: str
    dtstart_local: datetime
    occurrences: list[rules.Occurrence]

    @property
    def conflicts(self) -> list[rules.Occurrence]:
        return [o for o in self.occurrences if not o.free]


def plan_series(org: Organization, details: BookingDetails, repeat: rules.Repeat) -> SeriesPlan:
    """The dates a new series would have, each checked (staff busy, client busy, a time that does not
    exist that day); BookingError when the booking or the Repeat is refused as a whole."""
    errors: dict[str, str] = {}
    if details.client is None:
        errors["client_id"] = gettext("Choose a client.")
    if details.staff is None:
        errors["staff_id"] = gettext("Choose an active staff member.")
    if details.service is None:
        errors["service_id"] = gettext("Choose a service.")
    if errors:
        raise BookingError(errors)
    duration = details.duration_minutes or details.service.duration_minutes
    first = details.starts_at.astimezone(org.tz).replace(tzinfo=None)
    rule, dtstart_local, occurrences = rules.plan_occurrences(
        db.session, org.timezone, first, repeat, duration, details.staff, details.client
    )
    return SeriesPlan(rule, dtstart_local, occurrences)


def book_series(
    org: Organization, details: BookingDetails, plan: SeriesPlan, more_clients: Sequence[Client] = ()
) -> list[Appointment]:
    """Book every free date of `plan` (those in conflict are skipped: the rule records them as EXDATE),
    with one series email (per client: a weekly group's `more_clients` too, `conecta.groups`); raises
    BookingError (nothing saved) when a date was taken meanwhile."""
    if details.service is not None:
        participants.check_clients(details.service, [details.client, *more_clients])
    free = [o for o in plan.occurrences if o.free]
    if not free:
        raise BookingError({"repeat_count": gettext("Every date of this series is taken: nothing to book.")})
    exdate = rules.exdate_line([o.starts_at for o in plan.conflicts if not o.missing_time])
    emails: list[OutboxEmail] = []

    def step() -> list[Planned]:
        series = Series(
            org_id=org.id,
            rule="\n".join(line for line in (plan.rule, exdate) if line),
            dtstart_local=plan.dtstart_local,
            timezone=org.timezone,
        )
        db.session.add(series)
        db.session.flush()
        planned = [
            bookings.plan_save(
                Change.CREATED,
                details.staff,
                _creator(org, replace(details, starts_at=o.starts_at), series.id, more_clients),
            )
            for o in free
        ]
        emails.extend(_fold(series.id, EmailKind.SERIES_CONFIRMATION, planned))
        return planned

    planned = bookings.commit_and_dispatch(step)
    _send(emails)
    return [one.appointment for one in planned]


def _creator(org: Organization, details: BookingDetails, series_id: int, more_clients: Sequence[Client] = ()):
    def apply() -> Appointment:
        appointment = scheduling.create_appointment(db.session, org, details)
        appointment.series_id = series_id
        participants.enrol(appointment, [details.client, *more_clients])  # a weekly group's clients
        return appointment

    return apply


def upcoming(appointment: Appointment, scope: str, now: datetime | None = None) -> list[Appointment]:
    """The booked, upcoming occurrences a scope reaches from `appointment` (past ones never change)."""
    if scope == "this" or appointment.series_id is None:
        return [appointment]
    query = select(Appointment).where(
        Appointment.series_id == appointment.series_id,
        Appointment.status == "booked",
        Appointment.starts_at > (now or utcnow()),
    )
    if scope == "following":
        query = query.where(Appointment.starts_at >= appointment.starts_at)
    return list(db.session.scalars(query.order_by(Appointment.starts_at)))


def _earlier_exist(series_id: int, moment: datetime) -> bool:
    query = select(Appointment.id).where(Appointment.series_id == series_id, Appointment.starts_at < moment)
    return db.session.scalars(query.limit(1)).first() is not None


def edit(appointment: Appointment, details: BookingDetails, scope: str) -> list[Appointment]:
    """Apply the modal's edit to `scope`: service, staff, client, duration and notes as given; the time
    of day as given and the date moved by as many days as this occurrence's date moved. BookingError
    (nothing saved) when any date is refused."""
    if scope == "this" or appointment.series_id is None:
        return [bookings.save_edit(appointment, details)]
    targets = upcoming(appointment, scope)
    if not targets:
        raise BookingError({"scope": gettext("This series has no upcoming dates to change.")})
    org = appointment.org
    old_local = appointment.starts_at.astimezone(org.tz)
    new_local = details.starts_at.astimezone(org.tz)
    shift = timedelta(days=(new_local.date() - old_local.date()).days)
    new_time = new_local.time().replace(tzinfo=None)
    emails: list[OutboxEmail] = []

    def step() -> list[Planned]:
        series_id = _rule_for_edit(appointment.series, targets[0], scope, shift, new_time)
        planned = []
        with db.session.no_autoflush:  # plan_save flushes each appointment itself
            for occurrence in targets:
                local_date = occurrence.starts_at.astimezone(org.tz).date() + shift
                starts_at = scheduling.to_utc(local_date, new_time, org.timezone)
                occurrence.series_id = series_id
                planned.append(bookings.plan_edit(occurrence, replace(details, starts_at=starts_at)))
        emails.extend(_fold(series_id, EmailKind.SERIES_UPDATE, planned))
        return planned

    planned = bookings.commit_and_dispatch(step)
    _send(emails)
    return [one.appointment for one in planned]


def _rule_for_edit(series: Series, first: Appointment, scope: str, shift: timedelta, new_time) -> int:
    """Keep the rule describing the dates: "all" moves it; "following" ends it before `first` (if
    earlier dates exist) and starts a new series from `first`. Returns the series the dates belong to."""
    zone = series.timezone
    moved_rule = rules.shifted_weekdays(_without_exdates(series.rule), shift.days)
    first_local = first.starts_at.astimezone(first.org.tz).replace(tzinfo=None)
    new_start = datetime.combine(first_local.date() + shift, new_time)
    if scope == "following" and _earlier_exist(series.id, first.starts_at):
        remaining = [
            x
            for x in rules.expand(series.rule, series.dtstart_local, zone)
            if x.replace(tzinfo=None) >= first_local
        ]
        rule = _with_count(moved_rule, len(remaining))
        series.rule = rules.ended_before(series.rule, first.starts_at)
        tail = Series(org_id=series.org_id, rule=rule, dtstart_local=new_start, timezone=zone)
        db.session.add(tail)
        db.session.flush()
        return tail.id
    if shift or new_time != series.dtstart_local.time():
        # The rule now describes the dates from the first one moved (earlier ones, past, stay as they were).
        remaining = [
            x
            for x in rules.expand(series.rule, series.dtstart_local, zone)
            if x.replace(tzinfo=None) >= first_local
        ]
        series.rule = _with_count(moved_rule, len(remaining))
        series.dtstart_local = new_start
    return series.id


def _without_exdates(rule: str) -> str:
    # Skipped dates were skipped at their old time; a moved series has no reason to keep skipping them.
    return "\n".join(line for line in rule.splitlines() if not line.startswith("EXDATE"))


def _with_count(rule: str, count: int) -> str:
    """A rule whose COUNT counts from the split (its UNTIL, if it has one, stays)."""
    if "COUNT=" not in rule:
        return rule
    head, _, tail = rule.partition("COUNT=")
    rest = tail.partition(";")[2]
    return f"{head}COUNT={max(count, 1)}" + (f";{rest}" if rest else "")


def cancel(appointment: Appointment, scope: str, **options: Any) -> list[Appointment]:
    """Cancel `scope`: "this" as any appointment; "following" also ends the rule before this date.
    `options`: the reason and who is told (`bookings.plan_cancel`), the same for every date."""
    if scope == "this" or appointment.series_id is None:
        return [bookings.cancel(appointment, **options)]
    targets = upcoming(appointment, scope)
    if not targets:
        raise BookingError({"scope": gettext("This series has no upcoming dates to cancel.")})
    emails: list[OutboxEmail] = []
    series = appointment.series

    def step() -> list[Planned]:
        if scope == "following" and _earlier_exist(series.id, targets[0].starts_at):
            series.rule = rules.ended_before(series.rule, targets[0].starts_at)
        with db.session.no_autoflush:  # plan_save flushes each appointment itself
            planned = [bookings.plan_cancel(occurrence, **options) for occurrence in targets]
        emails.extend(_fold(series.id, EmailKind.SERIES_CANCELLATION, planned))
        return planned

    planned = bookings.commit_and_dispatch(step)
    _send(emails)
    return [one.appointment for one in planned]


def _fold(series_id: int, kind: EmailKind, planned: list[Planned]) -> list[OutboxEmail]:
    return series_mail.fold(db.session, series_id, kind, [(p.appointment, p.emails) for p in planned])


def _send(emails: list[OutboxEmail]) -> None:
    """After the commit: the series emails that need not wait for Zoom go now."""
    for row in emails:
        if row.status == EmailStatus.QUEUED:
            mail_send.enqueue_send(row.id)
