"""Write and read the audit log (`conecta.models.audit.AuditEvent`).

`record()` only adds to the session: the event commits (or rolls back) together with the change it
describes, so the log never claims something that did not happen.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from conecta.extensions import db
from conecta.models.audit import AuditEvent

# What each event means, for people reading the log on the Integrations card.
EVENT_LABELS = {
    "connected": lazy_gettext("Zoom connected"),
    "reconnected": lazy_gettext("Zoom reconnected"),
    "disconnected": lazy_gettext("Zoom disconnected"),
    "revoke_failed": lazy_gettext("Zoom could not be reached to revoke access"),
    "deauthorized": lazy_gettext("Conecta was removed on Zoom's side"),
    "refresh_failed": lazy_gettext("Zoom stopped accepting the connection"),
    "zoom_host_changed": lazy_gettext("Zoom host changed"),
    "zoom_hosts_matched": lazy_gettext("Zoom hosts matched by email"),
    "zoom_service_switched_on": lazy_gettext("Auto-create Zoom meeting switched on"),
    "appointment_cancelled": lazy_gettext("Appointment cancelled"),
    "attendance_marked": lazy_gettext("Attendance marked"),
}


def record(
    org_id: int,
    event: str,
    detail: str = "",
    actor: Any = None,
    appointment_id: int | None = None,
    *,
    session: Session | None = None,
) -> AuditEvent:
    """Add one audit event to the session (the caller commits). `actor` is a User, or None for Zoom/system.

    `session`: another session than `db.session`, for bookkeeping kept out of the caller's transaction.
    """
    entry = AuditEvent(
        org_id=org_id,
        event=event,
        detail=detail,
        actor_id=getattr(actor, "id", None) if getattr(actor, "kind", None) == "user" else None,
        actor_name=getattr(actor, "name", "") or "",
        appointment_id=appointment_id,
    )
    (session or db.session).add(entry)
    return entry


def recent(org_id: int, limit: int = 20, *, connection_only: bool = False) -> list[AuditEvent]:
    """The organization's latest events, newest first; `connection_only` leaves out per-appointment ones."""
    query = db.select(AuditEvent).filter_by(org_id=org_id)
    if connection_only:
        query = query.where(AuditEvent.appointment_id.is_(None))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def for_appointment(appointment_id: int, limit: int = 10) -> list[AuditEvent]:
    """One appointment's own lines of the log (cancelled and why, attendance, its Zoom meeting), newest
    first: the drawer's History."""
    query = (
        db.select(AuditEvent)
        .filter_by(appointment_id=appointment_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def label(event: str) -> str:
    """The event's name in the reader's language (the stored detail stays as it was written)."""
    known = EVENT_LABELS.get(event)
    return str(known) if known is not None else event.replace("_", " ").capitalize()
