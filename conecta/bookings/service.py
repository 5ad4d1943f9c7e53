"""The booking pipeline: every change to an appointment goes through here, in this order.

1. In one transaction: lock the staff member's row (so two parallel bookings of one slot cannot both
   pass the conflict check), apply the booking rules (`conecta.scheduling`), then
   `conecta.zoom.plan.plan` (does it want a meeting? mark it for a sync) and
   `conecta.mail.plan.plan` (the emails it owes, waiting for the meeting's link if one is on its way),
   and commit -- all or nothing.
2. After the commit: `conecta.zoom.dispatch.request_reconcile` (the job that makes Zoom match) and
   `conecta.mail.send.enqueue_queued` (the emails that need not wait).
3. Later, in the worker: the reconcile job settles the meeting and releases the email that waited.
If Redis is down at step 2 the booking still stands: the marks are in the database and the sweeps
(`conecta.periodic`) enqueue them. Views never commit appointments themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from sqlalchemy import Select, Update, bindparam, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from conecta import audit, scheduling
from conecta.extensions import db
from conecta.groups import participants
from conecta.mail import plan as mail_plan
from conecta.mail import send as mail_send
from conecta.models import Appointment, Client, Organization, User
from conecta.models.appointment import ATTENDANCE_LABELS
from conecta.models.email import OutboxEmail
from conecta.models.zoom import zoom_connection_for
from conecta.scheduling import BookingDetails
from conecta.zoom import dispatch as zoom_dispatch
from conecta.zoom import plan as zoom_plan
from conecta.zoom.plan import Change


def _lock_staff(staff: User | None) -> None:
    """Serialize bookings per staff member so the conflict check cannot race.

    A no-op UPDATE of the staff member's row: on PostgreSQL it takes the row lock until the commit; on
    SQLite it takes the database's write lock now, before the conflict check reads (SQLite otherwise
    takes it at the first write, after both parallel requests have already read "no conflict").
    """
    if staff is not None and staff.id is not None:
        db.session.execute(_lock_staff_statement(), {"staff_id": staff.id})


@cache
def _lock_staff_statement() -> Update:
    """Built once, as `_reload_query`."""
    return (
        update(User)
        .where(User.id == bindparam("staff_id"))
        .values(id=User.id)
        .execution_options(synchronize_session=False)
    )


@dataclass
class Planned:
    """Step 1 done for one appointment, not yet committed: what step 2 has to dispatch."""

    appointment: Appointment
    zoom_marked: bool
    emails: list[OutboxEmail]


def plan_save(
    change: Change, staff: User | None, apply: Callable[[], Appointment], **plan_options: Any
) -> Planned:
    """Step 1 without the commit: the rules, Zoom's plan, the mail plan. A series saves many of these
    in one transaction (`conecta.bookings.series`)."""
    _lock_staff(staff)
    appointment = apply()
    db.session.flush()
    new = change is Change.CREATED
    if new and "zoom" not in sa_inspect(appointment).dict:
        set_committed_value(appointment, "zoom", None)  # just inserted: no meeting to look up
    zoom_marked = zoom_plan.plan(appointment, change, **plan_options)
    emails = mail_plan.plan(appointment, new=new)
    return Planned(appointment, zoom_marked, emails)


def commit_and_dispatch(step: Callable[[], list[Planned]]) -> list[Planned]:
    """Run `step` (plan_save calls) in one transaction and commit it -- or roll it all back -- then
    step 2 for each appointment it saved."""
    try:
        planned = step()
        ids = [one.appointment.id for one in planned]
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    _reload(ids)
    for one in planned:
        if one.zoom_marked:
            zoom_dispatch.request_reconcile(one.appointment.id)
        mail_send.enqueue_queued(one.appointment.id)
    return planned


def _reload(ids: list[int]) -> None:
    """The saved appointments again after the commit expired them, with what their page shows (client,
    service, staff, organization, Zoom meeting) in one query, instead of one lazy load each while the
    answer renders: the CPU of a save is mostly its statements (docs/operating.md, "Capacity")."""
    if not ids:
        return
    db.session.scalars(_reload_query(), {"ids": ids}).all()


@cache
def _reload_query() -> Select:
    """Built once: every save runs it, and a statement built afresh pays for building its cache key
    again each time."""
    return (
        select(Appointment)
        .options(
            joinedload(Appointment.client),
            joinedload(Appointment.service),
            joinedload(Appointment.staff),
            joinedload(Appointment.org),
            joinedload(Appointment.zoom),
        )
        .where(Appointment.id.in_(bindparam("ids", expanding=True)))
        .execution_options(populate_existing=True)
    )


def save_change(
    change: Change, staff: User | None, apply: Callable[[], Appointment], **plan_options: Any
) -> Appointment:
    """Step 1 in one transaction (or roll back), then step 2."""
    (planned,) = commit_and_dispatch(lambda: [plan_save(change, staff, apply, **plan_options)])
    return planned.appointment


def save_new(org: Organization, details: BookingDetails, more_clients: Sequence[Client] = ()) -> Appointment:
    """Book a new appointment -- of a group service, for `details.client` and `more_clients` (its
    participants, `conecta.groups`); raises `scheduling.BookingError` (nothing saved) when refused."""
    if details.service is not None:
        participants.check_clients(details.service, [details.client, *more_clients])

    def apply() -> Appointment:
        appointment = scheduling.create_appointment(db.session, org, details)
        participants.enrol(appointment, [details.client, *more_clients])
        return appointment

    return save_change(Change.CREATED, details.staff, apply)


def plan_edit(appointment: Appointment, details: BookingDetails) -> Planned:
    """Step 1 of an edit (time, service, staff, client, notes); raises `BookingError` when refused. A group
    session keeps its clients (they change through `conecta.groups.participants`)."""
    previous_service_id = appointment.service_id
    if appointment.participants:  # a group keeps the client it was booked with (its meeting's too)
        details = replace(details, client=appointment.client)

    def apply() -> Appointment:
        scheduling.update_appointment(db.session, appointment, details)
        participants.follow_service(appointment)
        return appointment

    return plan_save(
        Change.UPDATED,
        details.staff,
        apply,
        service_changed=details.service is not None and details.service.id != previous_service_id,
    )


def save_edit(appointment: Appointment, details: BookingDetails) -> Appointment:
    """Apply an edit (time, service, staff, client, notes); raises `BookingError` when refused."""
    (planned,) = commit_and_dispatch(lambda: [plan_edit(appointment, details)])
    return planned.appointment


def plan_cancel(
    appointment: Appointment,
    *,
    reason: str = "",
    email_client: bool = True,
    reason_in_email: bool = False,
    actor: Any = None,
) -> Planned:
    """Step 1 of a cancellation (of a booked appointment).

    `reason` is kept for the team (drawer, audit log); the client reads it only with `reason_in_email`.
    Without `email_client` the mail plan owes no cancellation email, now or at any later save."""
    reason = (reason or "").strip()

    def apply() -> Appointment:
        appointment.cancel_reason = reason or None
        appointment.cancel_email_client = email_client
        appointment.cancel_reason_in_email = bool(reason) and email_client and reason_in_email
        told = "the client is emailed" if email_client else "the client is not emailed"
        detail = f"{told}; reason: {reason}" if reason else f"{told}; no reason given"
        audit.record(appointment.org_id, "appointment_cancelled", detail, actor, appointment.id)
        return scheduling.cancel_appointment(appointment)

    return plan_save(Change.CANCELLED, None, apply)


def cancel(appointment: Appointment, **options: Any) -> Appointment:
    """Cancel (the appointment stays, struck through); cancelling an already cancelled one is a no-op.
    `options`: those of `plan_cancel` (the reason, and who is told)."""
    if appointment.is_cancelled:
        return appointment
    (planned,) = commit_and_dispatch(lambda: [plan_cancel(appointment, **options)])
    return planned.appointment


def mark_attendance(appointment: Appointment, attendance: str | None, actor: Any = None) -> Appointment:
    """Attended, No-show, or unmarked (None), after the start (the view checks). Nothing is sent and
    Zoom is not involved: a plain commit, with its line in the audit log."""
    appointment.attendance = attendance
    label = ATTENDANCE_LABELS.get(attendance or "", "not marked")
    audit.record(appointment.org_id, "attendance_marked", f"Marked {label}.", actor, appointment.id)
    db.session.commit()
    return appointment


def replan_zoom(appointments: Iterable[Appointment], detail: str | None = None) -> list[int]:
    """Appointments whose Zoom side changed without an edit of their own -- their staff member's Zoom
    host, their service's meeting settings or switch, the organization's connection: the same plan steps
    (Zoom, then email) in one transaction -- with whatever the caller changed in the session before, such
    as the service's switch -- then the same dispatch, as any save. Returns the ids marked for a sync."""
    marked: list[int] = []
    planned: list[int] = []  # those that owe an email
    connections: dict[int, Any] = {}  # each organization's connection, read once for the batch
    try:
        # Each plan reads (the outbox) without flushing the ones before: the batch is written at the
        # commit (a flush per query cost several ms an appointment, at 1,000 of them).
        with db.session.no_autoflush:
            for appointment in appointments:
                if appointment.org_id not in connections:
                    connections[appointment.org_id] = zoom_connection_for(appointment.org_id)
                connection = connections[appointment.org_id]
                if zoom_plan.plan(appointment, Change.UPDATED, detail=detail, connection=connection):
                    marked.append(appointment.id)
                if mail_plan.plan(appointment):  # owes nothing unless what the email shows changed
                    planned.append(appointment.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    for appointment_id in marked:
        zoom_dispatch.request_reconcile(appointment_id)
    for appointment_id in planned:
        mail_send.enqueue_queued(appointment_id)
    return marked


# ---- a client's cancellation in the portal (conecta.portal.cancellation) ------------------------------


def cancel_by_client(appointment: Appointment, message: str | None) -> Appointment:
    """Staff's cancellation, asked for by the client: the same plans (Zoom deletes the meeting, the client
    gets the cancellation email) plus, in the same transaction, the staff member's email with the
    client's message. Raises `CancelRefused` if it was cancelled meanwhile (the staff row lock orders
    it after any cancellation that got there first)."""
    from flask_babel import gettext

    from conecta.mail import staff_notice
    from conecta.portal.cancellation import CancelRefused

    def apply() -> Appointment:
        status = db.session.scalar(select(Appointment.status).where(Appointment.id == appointment.id))
        if status == "cancelled":
            raise CancelRefused(gettext("This booking is already cancelled."))
        scheduling.cancel_appointment(appointment)
        appointment.cancel_message = message
        # For the team's drawer (never emailed: the reason is not in the client's email).
        appointment.cancel_reason = gettext("Cancelled by the client in the portal.")
        appointment.cancel_email_client, appointment.cancel_reason_in_email = True, False
        detail = "cancelled by the client in the portal; the client is emailed; the staff member is told"
        audit.record(appointment.org_id, "appointment_cancelled", detail, None, appointment.id)
        staff_notice.plan_client_cancelled(appointment)
        return appointment

    return save_change(Change.CANCELLED, appointment.staff, apply)
