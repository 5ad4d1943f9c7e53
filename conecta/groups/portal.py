"""Which appointments a portal client sees: their own ordinary ones, and the group sessions they are an
active participant of (not one they were removed from, even if they were its first client)."""

from __future__ import annotations

from sqlalchemy import BindParameter, ColumnElement, and_, exists, or_, select

from conecta.models import Appointment, AppointmentParticipant, Service
from conecta.models.participant import ACTIVE


def booked_for(client_id: int | BindParameter[int]) -> ColumnElement[bool]:
    """A WHERE clause over `Appointment`: the appointments `client_id` is a client of (as
    `Appointment.clients` says, in SQL); a bound parameter, for a statement built once."""
    group_service = select(Service.id).where(Service.id == Appointment.service_id, Service.capacity > 1)
    has_participants = exists().where(AppointmentParticipant.appointment_id == Appointment.id)
    participating = select(AppointmentParticipant.appointment_id).where(
        AppointmentParticipant.client_id == client_id, AppointmentParticipant.status == ACTIVE
    )
    ordinary = or_(~group_service.exists(), ~has_participants)
    return or_(
        and_(Appointment.client_id == client_id, ordinary),
        and_(Appointment.id.in_(participating), group_service.exists()),
    )
