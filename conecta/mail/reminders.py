"""Reminder emails to clients, before their appointment: per organization on or off, and how long before
(Settings → Emails; 24 hours unless changed).

A reminder is an outbox row like any other message about the appointment (`EmailKind.REMINDER`): the
same invite UID and the next SEQUENCE, composed when it is sent (so it carries the Join link and passcode
as they are then), sent once however often its job runs, retried like the rest. It is due once the lead
time is reached, once per start time (`Appointment.reminded_for`: a reschedule owes a new one); an
appointment booked after that moment gets none (its confirmation just went out).

An appointment with a Zoom meeting is reminded by its pre-meeting check (`conecta.zoom.health`), right
after the meeting was read back from Zoom: if the check is repairing the meeting, the reminder waits for
the repair (it goes with the new link, or without any link saying it follows) -- never with a link the
check found broken. Other appointments are reminded by `sweep()`, run periodically by the worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from conecta.extensions import db
from conecta.mail.plan import add_current_details, lock_appointment, waits_for_zoom
from conecta.mail.send import enqueue_send
from conecta.models import Appointment, Organization, ZoomMeeting
from conecta.models.email import EmailKind, EmailStatus, OutboxEmail
from conecta.models.types import utcnow
from conecta.templating import fmt_datetime

log = logging.getLogger("conecta.mail")

MIN_LEAD_HOURS = 1
MAX_LEAD_HOURS = 72
IN_FLIGHT = (EmailStatus.WAITING, EmailStatus.QUEUED, EmailStatus.SENDING, EmailStatus.RETRYING)


def reminder_due(appointment: Appointment, now: datetime) -> bool:
    """The organization sends reminders, their moment came, and none went for this start time yet."""
    org = appointment.org
    if appointment.is_cancelled or not org.reminders_enabled or now >= appointment.starts_at:
        return False
    moment = appointment.starts_at - timedelta(hours=org.reminder_lead_hours)
    return (
        moment <= now
        and appointment.created_at <= moment
        and appointment.reminded_for != appointment.starts_at
    )


def send_if_due(appointment_id: int, now: datetime) -> bool:
    """Queue the appointment's reminder if it is due (waiting, if its Zoom meeting is on its way); commits.
    True if one was made."""
    session = db.session
    appointment = lock_appointment(session, appointment_id)
    if appointment is None or not reminder_due(appointment, now):
        session.rollback()
        return False
    waiting = waits_for_zoom(appointment)
    status = EmailStatus.WAITING if waiting else EmailStatus.QUEUED
    rows = []
    for client in appointment.clients:  # each participant of a group gets their own reminder
        rows.append(add_current_details(session, appointment, EmailKind.REMINDER, status, client=client))
        session.flush()  # the next one's sequence follows this one's
    appointment.reminded_for = appointment.starts_at
    session.commit()
    if not waiting:
        for row in rows:
            enqueue_send(row.id)
    log.info(
        "reminder appointment_id=%s outbox_ids=%s waiting=%s", appointment_id, [r.id for r in rows], waiting
    )
    return True


def lead_window() -> timedelta:
    """How far ahead any organization's reminders reach (at least the default day)."""
    hours = db.session.scalar(
        select(func.max(Organization.reminder_lead_hours)).where(Organization.reminders_enabled.is_(True))
    )
    return timedelta(hours=max(24, min(int(hours or 24), MAX_LEAD_HOURS)))


def sweep(now: datetime | None = None) -> int:
    """Remind the clients of appointments without a Zoom meeting whose moment came (the others are
    reminded after their pre-meeting check). Returns how many reminders were made."""
    now = now or utcnow()
    candidates = db.session.scalars(
        select(Appointment)
        .join(Organization, Organization.id == Appointment.org_id)
        .options(contains_eager(Appointment.org))
        .outerjoin(ZoomMeeting, ZoomMeeting.appointment_id == Appointment.id)
        .where(
            Appointment.status == "booked",
            Appointment.starts_at > now,
            Appointment.starts_at <= now + lead_window(),
            Organization.reminders_enabled.is_(True),
            or_(ZoomMeeting.appointment_id.is_(None), ZoomMeeting.wanted.is_(False)),
            or_(Appointment.reminded_for.is_(None), Appointment.reminded_for != Appointment.starts_at),
        )
    ).all()
    due = [appointment.id for appointment in candidates if reminder_due(appointment, now)]
    db.session.rollback()  # end the read: each reminder takes its own lock and transaction
    return sum(1 for appointment_id in due if send_if_due(appointment_id, now))


# ---- what staff see ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderStatus:
    text: str
    problem: bool = False


def reminder_status(appointment: Appointment) -> ReminderStatus | None:
    """The appointment's latest reminder as staff read it: sent (when), on its way, or failed."""
    if appointment is None or appointment.id is None or appointment.reminded_for is None:
        return None  # never reminded: `send_if_due` sets reminded_for with the row (a query per view saved)
    row = db.session.scalar(
        select(OutboxEmail)
        .where(
            OutboxEmail.appointment_id == appointment.id,
            OutboxEmail.kind == EmailKind.REMINDER,
            OutboxEmail.status != EmailStatus.SUPERSEDED,
        )
        .order_by(OutboxEmail.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    if row.status == EmailStatus.SENT:
        return ReminderStatus(
            gettext("Reminder sent %(when)s", when=fmt_datetime(row.sent_at, appointment.org.timezone))
        )
    if row.status in IN_FLIGHT:
        return ReminderStatus(gettext("Reminder on its way"))
    return ReminderStatus(gettext("The reminder could not be sent (Settings → Emails)"), problem=True)
