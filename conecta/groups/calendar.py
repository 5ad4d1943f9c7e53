"""How the calendar shows a group session: "Group therapy · 5/8" (active clients / capacity), read in
the week's one statement as a correlated count -- evaluated only for group services' rows."""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, func, select

from conecta.models import Appointment, AppointmentParticipant, Service
from conecta.models.participant import ACTIVE


def group_size() -> ColumnElement:
    """A column: the session's active participants for a group service's appointment, else NULL."""
    count = (
        select(func.count(AppointmentParticipant.id))
        .where(
            AppointmentParticipant.appointment_id == Appointment.id,
            AppointmentParticipant.status == ACTIVE,
        )
        .correlate(Appointment)
        .scalar_subquery()
    )
    return case((Service.capacity > 1, count), else_=None)


def group_label(service_name: str, size: int, capacity: int) -> str:
    """What the event shows where an ordinary one shows its client."""
    return f"{service_name} · {size}/{capacity}"
