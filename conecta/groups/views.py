"""Add client / Remove on a group session (the drawer and the booking modal): answered like any save
of the booking modal -- its view, and `appointment-saved` so the calendar and the drawer refresh."""

from __future__ import annotations

from flask import request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from conecta.auth.permissions import staff_required
from conecta.bookings import bp
from conecta.bookings.access import get_appointment_for
from conecta.bookings.views import _render, _saved
from conecta.extensions import db
from conecta.groups import participants
from conecta.models import Appointment, Client
from conecta.models.types import database_id
from conecta.scheduling import BookingError

CHOICES_LIMIT = 100


def participant_choices(appointment: Appointment) -> list[tuple[str, str]]:
    """Clients of the organization not in the session (capped), for Add client. Staff only."""
    inside = [c.id for c in appointment.clients]
    rows = db.session.execute(
        select(Client.id, Client.name, Client.email)
        .where(Client.org_id == appointment.org_id, Client.id.not_in(inside))
        .order_by(Client.name, Client.id)
        .limit(CHOICES_LIMIT)
    )
    return [(str(row.id), f"{row.name} · {row.email}") for row in rows]


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"participant_choices": participant_choices}


def _refused(appointment: Appointment, exc: BookingError):
    db.session.refresh(appointment)
    return _render("view", status=422, appointment=appointment, general_errors=list(exc.errors.values()))


@bp.route("/<int:appointment_id>/participants", methods=["POST"])
@staff_required
def add_participant(appointment_id: int):
    """Add client: they get a confirmation with the Join link (or "coming soon"); nobody else is told."""
    appointment = get_appointment_for(current_user, appointment_id)
    client_id = database_id(request.form.get("client_id"))
    client = db.session.get(Client, client_id) if client_id is not None else None
    try:
        participants.add_client(appointment, client)
    except BookingError as exc:
        return _refused(appointment, exc)
    db.session.refresh(appointment)
    return _saved(
        appointment, "updated", gettext("%(name)s is added and gets the details by email.", name=client.name)
    )


@bp.route("/<int:appointment_id>/participants/<int:client_id>/remove", methods=["POST"])
@staff_required
def remove_participant(appointment_id: int, client_id: int):
    """Remove: the client is told their place is cancelled; nobody else is told; the meeting stays."""
    appointment = get_appointment_for(current_user, appointment_id)
    try:
        participants.remove_client(appointment, client_id)
    except BookingError as exc:
        return _refused(appointment, exc)
    db.session.refresh(appointment)
    return _saved(appointment, "updated", gettext("The client is removed and told by email."))
