"""A client's record: their appointments, read once and split the way staff look at them -- the next
one first (with its Zoom state), then the rest of the upcoming ones, then the past ones, latest first."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from conecta.groups.portal import booked_for
from conecta.models import Appointment, Client
from conecta.models.types import utcnow

PAST_LIMIT = 50  # the record shows the latest past ones; the calendar has the rest


@dataclass
class ClientAppointments:
    next: Appointment | None = None
    upcoming: list[Appointment] = field(default_factory=list)  # after `next`, soonest first
    past: list[Appointment] = field(default_factory=list)  # latest first
    more_past: bool = False


def client_appointments(session: Session, client: Client) -> ClientAppointments:
    """Upcoming: not yet ended (an ongoing one is "next"), cancelled ones listed, never "next"."""
    query = (
        select(Appointment)
        .options(joinedload(Appointment.service), joinedload(Appointment.staff), joinedload(Appointment.zoom))
        .where(booked_for(client.id), Appointment.org_id == client.org_id)  # group sessions too
        .order_by(Appointment.starts_at, Appointment.id)
    )
    rows = list(session.scalars(query).unique())
    now = utcnow()
    result = ClientAppointments()
    for appointment in rows:
        if appointment.ends_at <= now:
            result.past.append(appointment)
        elif result.next is None and not appointment.is_cancelled:
            result.next = appointment
        else:
            result.upcoming.append(appointment)
    result.past.reverse()
    result.more_past = len(result.past) > PAST_LIMIT
    result.past = result.past[:PAST_LIMIT]
    return result
