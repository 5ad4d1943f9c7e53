"""Admins are emailed at once when Zoom needs reconnecting and upcoming Zoom appointments depend on it.

An incident is the audit event that ended the connection -- Zoom refused to renew it ("refresh_failed",
the card then says Needs reconnect) or the app was removed on Zoom's side ("deauthorized") -- with no
reconnect since. While upcoming appointments with Zoom meetings exist, each active admin gets one
message per incident: an outbox row whose dedupe key names the incident and the admin, so the sweep
(every minute, `conecta.periodic`) finds it made and never sends twice. A deliberate Disconnect alerts
nobody: an admin chose it. The message is composed when it is sent (`conecta.mail.compose`), from the
situation then: which appointments depend on Zoom, and whether it was reconnected meanwhile.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from conecta.extensions import db
from conecta.mail.plan import new_message_id
from conecta.mail.send import enqueue_send
from conecta.models import Appointment, Organization, User, ZoomMeeting
from conecta.models.audit import AuditEvent
from conecta.models.email import EmailKind, EmailStatus, OutboxEmail
from conecta.models.types import utcnow
from conecta.models.zoom import ZoomConnection, zoom_connection_for

log = logging.getLogger("conecta.zoom.alerts")

LOST = ("refresh_failed", "deauthorized")
CONNECTION_EVENTS = (*LOST, "connected", "reconnected", "disconnected")
DEAUTHORIZED_LOOKBACK = timedelta(days=30)  # a removed app leaves no connection row: look this far back
SHOWN_APPOINTMENTS = 10


def subject(org_name: str) -> str:
    """In the language being rendered (the admin's: `conecta.mail.compose` forces it)."""
    return gettext("Zoom needs reconnecting · %(org)s", org=org_name)


def sweep(now: datetime | None = None) -> int:
    """Alert the admins of every organization with a new incident and upcoming Zoom appointments."""
    now = now or utcnow()
    made = []
    for org_id in _orgs_without_live_connection(now):
        incident = current_incident(org_id)
        if incident is None or not upcoming_zoom_appointments(org_id, now, limit=1):
            continue
        made += _alert_admins(org_id, incident)
    for row_id in made:
        enqueue_send(row_id)
    if made:
        log.info("zoom_alerts reconnect_emails=%s", len(made))
    return len(made)


def _orgs_without_live_connection(now: datetime) -> set[int]:
    not_live = db.session.scalars(select(ZoomConnection.org_id).where(ZoomConnection.status != "active"))
    removed = db.session.scalars(
        select(AuditEvent.org_id).where(
            AuditEvent.event == "deauthorized", AuditEvent.at >= now - DEAUTHORIZED_LOOKBACK
        )
    )
    return {*not_live, *removed}


def current_incident(org_id: int) -> AuditEvent | None:
    """The event that ended the connection, if the connection is still not live and no admin chose it."""
    if zoom_connection_for(org_id) is not None:
        return None
    latest = db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.org_id == org_id,
            AuditEvent.appointment_id.is_(None),
            AuditEvent.event.in_(CONNECTION_EVENTS),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return latest if latest is not None and latest.event in LOST else None


def _upcoming(org_id: int, now: datetime) -> Select:
    """Booked appointments still to come that have (or want) a Zoom meeting."""
    return (
        select(Appointment)
        .join(ZoomMeeting, ZoomMeeting.appointment_id == Appointment.id)
        .where(
            Appointment.org_id == org_id,
            Appointment.status == "booked",
            Appointment.starts_at > now,
            ZoomMeeting.wanted.is_(True),
        )
    )


def upcoming_zoom_appointments(
    org_id: int, now: datetime, limit: int = SHOWN_APPOINTMENTS
) -> list[Appointment]:
    """The upcoming Zoom appointments the alert lists, soonest first."""
    return list(db.session.scalars(_upcoming(org_id, now).order_by(Appointment.starts_at).limit(limit)))


def count_upcoming(org_id: int, now: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(_upcoming(org_id, now).subquery())) or 0


def _alert_admins(org_id: int, incident: AuditEvent) -> list[int]:
    org = db.session.get(Organization, org_id)
    admins = db.session.scalars(
        select(User).where(User.org_id == org_id, User.role == "admin", User.active.is_(True))
    ).all()
    made = []
    for admin in admins:
        key = f"zoom-reconnect:{incident.id}:{admin.id}"
        if db.session.scalar(select(OutboxEmail.id).where(OutboxEmail.dedupe_key == key)) is not None:
            continue
        row = OutboxEmail(
            org_id=org_id,
            kind=EmailKind.ZOOM_RECONNECT,
            to_address=admin.email,
            subject=subject(org.name),  # provisional: composed again in the admin's language
            status=EmailStatus.QUEUED,
            attempts=0,
            dedupe_key=key,
            message_id=new_message_id(),
        )
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:  # made meanwhile by another sweep: once is enough
            db.session.rollback()
            continue
        made.append(row.id)
    return made
