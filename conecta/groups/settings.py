"""Settings → Services: how many clients a session takes. A service whose sessions already hold
participants stays a group, big enough for the largest live one: otherwise a session would hold more
clients than its service allows, or (capacity 1) its participants would silently stop counting."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, select

from conecta.extensions import db
from conecta.models import Appointment, AppointmentParticipant, Service
from conecta.models.participant import ACTIVE

MAX_CAPACITY = 100


def largest_session(service_id: int) -> int:
    """The most active clients any booked (not cancelled) session of the service holds (0: none)."""
    per_session = (
        select(func.count(AppointmentParticipant.id).label("n"))
        .join(Appointment, Appointment.id == AppointmentParticipant.appointment_id)
        .where(
            Appointment.service_id == service_id,
            Appointment.status == "booked",
            AppointmentParticipant.status == ACTIVE,
        )
        .group_by(AppointmentParticipant.appointment_id)
        .subquery()
    )
    return db.session.scalar(select(func.coalesce(func.max(per_session.c.n), 0))) or 0


def has_participants(service_id: int) -> bool:
    return (
        db.session.scalar(
            select(AppointmentParticipant.id)
            .join(Appointment, Appointment.id == AppointmentParticipant.appointment_id)
            .where(Appointment.service_id == service_id)
            .limit(1)
        )
        is not None
    )


def capacity_refusal(service: Service, capacity: int) -> str | None:
    """Why `service` cannot take `capacity` clients per session, or None."""
    if service.id is None or capacity >= service.capacity:
        return None
    if capacity <= 1 and has_participants(service.id):
        return gettext("This event has group sessions: it stays a group (2 or more clients per session).")
    largest = largest_session(service.id)
    if capacity < largest:
        return gettext(
            "A booked session of this event has %(count)d clients: allow at least that many.", count=largest
        )
    return None
