"""The one way to fetch an appointment for whoever is asking: other organizations' (and, for a portal
client, other clients') appointments do not exist for them (404), rather than being forbidden (403),
so ids cannot be probed. Used by the calendar drawer, the booking modal and the portal alike.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import abort
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from conecta.extensions import db
from conecta.models import Appointment


@cache
def _appointment_query() -> Select:
    """Built once: the drawer, the forms, the Zoom panel and the portal's booking page all run it, and a
    statement built afresh pays for building its cache key again each time."""
    return (
        select(Appointment)
        .options(
            joinedload(Appointment.client),
            joinedload(Appointment.service),
            joinedload(Appointment.staff),
            joinedload(Appointment.zoom),
        )
        .where(Appointment.id == bindparam("id"), Appointment.org_id == bindparam("org_id"))
    )


def get_appointment_for(user: Any, appointment_id: int) -> Appointment:
    """The appointment if `user` may see it, with its client, service and staff loaded; else 404.

    Staff and admins see every appointment of their organization; a portal client only their own.
    """
    appointment = db.session.scalar(_appointment_query(), {"id": appointment_id, "org_id": user.org_id})
    if appointment is None:
        abort(404)
    # A group session's participants each see it (and nothing of the others: the portal shows no
    # client line); a client removed from it, or never in it, gets a 404.
    if user.kind == "client" and not appointment.has_client(user.id):
        abort(404)
    return appointment
