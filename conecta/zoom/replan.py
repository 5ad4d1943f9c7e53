"""Upcoming meetings that must follow a change made elsewhere than on the appointment itself.

A team member's Zoom host changed (a mapping, a match, a reconnection), or a service's meeting settings
did: their upcoming appointments are re-planned through the booking pipeline
(`conecta.bookings.service.replan_zoom`), so the marks, the audit log, the emails and the jobs are the
same as for any save. The reconcile job then moves each meeting (a new one on the new host, the old one
deleted, the client sent the new link) or PATCHes the new settings.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from conecta.bookings import service as bookings
from conecta.extensions import db
from conecta.models import Appointment, Service, ZoomMeeting
from conecta.models.types import utcnow
from conecta.models.zoom import zoom_connection_for
from conecta.scheduling import MAX_DURATION_MINUTES
from conecta.zoom import hosts
from conecta.zoom.decide import pending_changes


def upcoming(
    org_id: int, *, staff_ids: list[int] | None = None, service_id: int | None = None
) -> list[Appointment]:
    """Booked appointments that want a meeting and have not ended yet."""
    now = utcnow()
    query = (
        select(Appointment)
        .join(ZoomMeeting)
        .options(joinedload(Appointment.zoom), joinedload(Appointment.staff), joinedload(Appointment.service))
        .where(
            Appointment.org_id == org_id,
            Appointment.status == "booked",
            ZoomMeeting.wanted.is_(True),
            Appointment.starts_at > now - timedelta(minutes=MAX_DURATION_MINUTES),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if staff_ids is not None:
        query = query.where(Appointment.staff_id.in_(staff_ids))
    if service_id is not None:
        query = query.where(Appointment.service_id == service_id)
    return [a for a in db.session.scalars(query).unique() if a.ends_at > now]


def replan_hosts(org_id: int, staff_ids: list[int] | None = None) -> list[int]:
    """Re-plan the upcoming appointments (of `staff_ids`, or everyone's) whose host is no longer the one
    their staff member has; returns the ids marked for a sync."""
    connection = zoom_connection_for(org_id)
    if connection is None:
        return []  # nothing can move while disconnected; the next connection re-plans
    host_of: dict[int, str | None] = {}
    moved = []
    for appointment in upcoming(org_id, staff_ids=staff_ids):
        if appointment.staff_id not in host_of:
            host_of[appointment.staff_id] = hosts.host_for(appointment.staff, connection).zoom_user_id
        if host_of[appointment.staff_id] != appointment.zoom.wanted_host_id:
            moved.append(appointment)
    return bookings.replan_zoom(moved) if moved else []


def replan_service(service: Service) -> list[int]:
    """Re-plan the service's upcoming appointments whose meeting settings Zoom was not told yet."""
    changed = [
        appointment
        for appointment in upcoming(service.org_id, service_id=service.id)
        if appointment.zoom.has_meeting and "settings" in pending_changes(appointment)
    ]
    return bookings.replan_zoom(changed) if changed else []
