"""Upcoming meetings that must follow a change made elsewhere than on the appointment itself.

A service's "Auto-create Zoom meeting" was switched on, Zoom was connected or reconnected, a team
member's Zoom host changed (a mapping, a match, a reconnection), or a service's meeting settings did:
the upcoming appointments concerned are re-planned through the booking pipeline
(`conecta.bookings.service.replan_zoom`), so the one rule (`conecta.zoom.rule`), the marks, the audit
log, the emails and the jobs are the same as for any save. The reconcile job then creates each missing
meeting (the client is emailed its link), moves a meeting (a new one on the new host, the old one
deleted, the client sent the new link) or PATCHes what changed. Daily limits are Zoom's per host: a
host at its limit waits until 00:00 GMT (`conecta.zoom.outcome`), the others carry on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import joinedload

from conecta import audit
from conecta.bookings import service as bookings
from conecta.extensions import db
from conecta.models import Appointment, Service, StaffChoice, ZoomMeeting
from conecta.models.types import utcnow
from conecta.models.zoom import zoom_connection_for
from conecta.scheduling import MAX_DURATION_MINUTES
from conecta.zoom import hosts, rule
from conecta.zoom.decide import pending_changes

SWITCHED_ON = "Its service now has Zoom meetings: a meeting will be created."
CONNECTED = "Zoom is connected: a meeting will be created."
CAUGHT_UP = "Zoom is connected again: the meeting follows the appointment."


def upcoming(
    org_id: int, *, staff_ids: list[int] | None = None, service_id: int | None = None
) -> list[Appointment]:
    """Booked appointments that want a meeting and have not ended yet."""
    now = utcnow()
    query = _not_ended(org_id, now).where(ZoomMeeting.wanted.is_(True))
    if staff_ids is not None:
        query = query.where(Appointment.staff_id.in_(staff_ids))
    if service_id is not None:
        query = query.where(Appointment.service_id == service_id)
    return [a for a in db.session.scalars(query).unique() if a.ends_at > now]


def _not_ended(org_id: int, now: datetime) -> Select:
    """Booked appointments of the organization that may not have ended (the caller checks `ends_at`),
    with what the rule and the plan read."""
    return (
        select(Appointment)
        .outerjoin(ZoomMeeting)
        .options(
            joinedload(Appointment.zoom),
            joinedload(Appointment.service),
            joinedload(Appointment.staff),
            joinedload(Appointment.client),
        )
        .where(
            Appointment.org_id == org_id,
            Appointment.status == "booked",
            Appointment.starts_at > now - timedelta(minutes=MAX_DURATION_MINUTES),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )


def to_create(
    org_id: int,
    *,
    service_id: int | None = None,
    auto_create: bool | None = None,
    now: datetime | None = None,
) -> list[Appointment]:
    """Upcoming appointments the rule covers that have no meeting, nor one on its way (of `service_id`
    only, with its switch taken as `auto_create` when given: what switching it on would do)."""
    now = now or utcnow()
    connected = zoom_connection_for(org_id) is not None
    nothing_on_its_way = or_(
        ZoomMeeting.appointment_id.is_(None),
        ZoomMeeting.wanted.is_(False),
        and_(
            ZoomMeeting.meeting_id.is_(None),
            ZoomMeeting.tracking_key.is_(None),
            ZoomMeeting.sync_requested_at.is_(None),
        ),
    )
    query = _not_ended(org_id, now).where(nothing_on_its_way)
    if service_id is not None:
        query = query.where(Appointment.service_id == service_id)
    if auto_create is None:
        query = query.join(Service, Service.id == Appointment.service_id).where(
            or_(Service.zoom_auto_create.is_(True), ZoomMeeting.staff_choice == StaffChoice.ADDED)
        )
    return [
        appointment
        for appointment in db.session.scalars(query).unique()
        if rule.needs_meeting(appointment, connected=connected, now=now, auto_create=auto_create)
    ]


def out_of_step(org_id: int, now: datetime | None = None) -> list[Appointment]:
    """Upcoming meetings a change did not reach while Zoom was disconnected (a new time, another client):
    they exist, no sync is on its way, and Zoom holds something else than the appointment."""
    now = now or utcnow()
    query = _not_ended(org_id, now).where(
        ZoomMeeting.wanted.is_(True),
        ZoomMeeting.meeting_id.is_not(None),
        ZoomMeeting.sync_requested_at.is_(None),
    )
    return [
        appointment
        for appointment in db.session.scalars(query).unique()
        if appointment.ends_at > now and (appointment.zoom.is_former_clients or pending_changes(appointment))
    ]


def apply_rule(org_id: int) -> list[int]:
    """Zoom was connected or reconnected: every upcoming appointment the rule covers gets its meeting
    (booked while Zoom was disconnected, or before it was ever connected), and every meeting a change
    could not reach is brought in line. Returns the ids marked for a sync."""
    if zoom_connection_for(org_id) is None:
        return []
    now = utcnow()
    marked = bookings.replan_zoom(to_create(org_id, now=now), detail=CONNECTED)
    return marked + bookings.replan_zoom(out_of_step(org_id, now), detail=CAUGHT_UP)


def switch_on(service: Service, actor: Any = None) -> list[int]:
    """Switch the service's "Auto-create Zoom meeting" on, and give each of its upcoming appointments the
    meeting the rule now wants: the switch and every mark commit together, then the jobs go. Each client
    is emailed the link once their meeting exists. Returns the ids marked for a sync."""
    service.zoom_auto_create = True
    appointments = to_create(service.org_id, service_id=service.id)
    audit.record(
        service.org_id,
        "zoom_service_switched_on",
        f"Auto-create Zoom meeting switched on for {service.name}: "
        f"{len(appointments)} upcoming appointment(s) get a Zoom meeting.",
        actor=actor,
    )
    return bookings.replan_zoom(appointments, detail=SWITCHED_ON)


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
