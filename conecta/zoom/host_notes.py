"""What staff are told about a meeting's host and settings, in the Zoom panel (never clients).

- who hosts it ("Hosted by sofia@…");
- a team member without a Zoom user of their own, in account mode: the connecting user hosts their
  meetings, and the panel links to the Zoom hosts table to fix it (also after Zoom said a host no
  longer exists);
- another meeting of the same Zoom host at an overlapping time: a Zoom user can run only one meeting at
  a time (it happens in user mode, or after a manual remapping);
- settings Zoom kept otherwise than the service asked ("Your Zoom account requires a waiting room");
- what the latest check before the meeting found (`conecta.zoom.health`), and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import Row, Select, bindparam, select

from conecta.dates import format_instant
from conecta.extensions import db
from conecta.models import Appointment, Client, Service, ZoomMeeting
from conecta.models.audit import AuditEvent
from conecta.models.zoom import zoom_connection_for
from conecta.scheduling import MAX_DURATION_MINUTES
from conecta.templating import fmt_datetime
from conecta.zoom import hosts, meeting_settings
from conecta.zoom.decide import topic_of


@dataclass(frozen=True)
class StaffNotes:
    host_email: str | None = None
    warnings: tuple[str, ...] = ()
    fix_href: str | None = None


NO_NOTES = StaffNotes()


def staff_notes(appointment: Appointment) -> StaffNotes:
    zoom = appointment.zoom
    if zoom is None or appointment.is_cancelled or not zoom.wanted:
        return NO_NOTES
    warnings: list[str] = []
    fix_href = None
    connection = zoom_connection_for(appointment.org_id)
    if connection is not None and connection.is_account_mode:
        host = hosts.host_for(appointment.staff, connection)
        if host.fallback:
            warnings.append(hosts.fallback_warning(appointment.staff, host.email))
            fix_href = hosts.fix_href(appointment.staff_id)
    if zoom.error and hosts.HOST_MISSING in zoom.error:
        fix_href = hosts.fix_href(appointment.staff_id)
    if zoom.has_meeting:
        warnings += _overlap_warnings(appointment)
        warnings += meeting_settings.kept_otherwise(_asked(appointment), zoom.applied_settings)
    return StaffNotes(zoom.host_email if zoom.has_meeting else None, tuple(warnings), fix_href)


def _asked(appointment: Appointment) -> dict | None:
    """What Zoom was asked for -- and whether the service requires a passcode now (a passcode cannot be
    added to an existing meeting, so staff should know when one is missing)."""
    told = appointment.zoom.synced_settings
    return {**told, "passcode": bool(appointment.service.zoom_require_passcode)} if told else None


OVERLAPS_NAMED = 3  # meetings named one by one; beyond, one line counts the rest


def overlapping(appointment: Appointment) -> list[Row]:
    """Other booked appointments whose meeting is on the same Zoom host at an overlapping time, in
    order: id, times, and the names their topic is made of. Read as bare columns in one query: in user
    mode one host serves a whole team, so there may be dozens, and none of their encrypted meeting
    details is needed to tell (the Zoom panel draws this on every drawer and every Join)."""
    zoom = appointment.zoom
    host_known = zoom.host_user_id is not None
    params = {
        "org_id": appointment.org_id,
        "id": appointment.id,
        "ends_at": appointment.ends_at,
        "earliest": appointment.starts_at - timedelta(minutes=MAX_DURATION_MINUTES),
    }
    if host_known:
        params["host_user_id"] = zoom.host_user_id
    return [
        row
        for row in db.session.execute(_overlapping_query(host_known), params)
        if row.starts_at + timedelta(minutes=row.duration_minutes) > appointment.starts_at
        # "me" is whoever connected when it was made: the same host only if the same email says so.
        and (host_known or row.host_email == zoom.host_email)
    ]


@cache
def _overlapping_query(host_known: bool) -> Select:
    """`overlapping`'s statement, built once per variant: the Zoom panel runs it on every drawer and every
    Join, and a statement of four tables built afresh paid for building its cache key again each time."""
    query = (
        select(
            Appointment.id,
            Appointment.starts_at,
            Appointment.duration_minutes,
            ZoomMeeting.host_email,
            Service.name.label("service_name"),
            Service.capacity,
            Client.name.label("client_name"),
        )
        .join(ZoomMeeting, ZoomMeeting.appointment_id == Appointment.id)
        .join(Service, Service.id == Appointment.service_id)
        .join(Client, Client.id == Appointment.client_id)
        .where(
            Appointment.org_id == bindparam("org_id"),
            Appointment.id != bindparam("id"),
            Appointment.status == "booked",
            ZoomMeeting.meeting_id.is_not(None),
            Appointment.starts_at < bindparam("ends_at"),
            Appointment.starts_at > bindparam("earliest"),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if host_known:
        return query.where(ZoomMeeting.host_user_id == bindparam("host_user_id"))
    return query.where(ZoomMeeting.host_user_id.is_(None))


def _overlap_warnings(appointment: Appointment) -> list[str]:
    """One line per overlapping meeting, the first OVERLAPS_NAMED by topic and time, then a count."""
    others = overlapping(appointment)
    if not others:
        return []
    host = appointment.zoom.host_email or gettext("This meeting's Zoom host")
    zone = appointment.org.timezone
    named = others[:OVERLAPS_NAMED]
    with force_locale(appointment.org.language):  # topics as Zoom shows them (`meeting_topic`)
        topics = [topic_of(o.service_name, o.client_name, o.capacity > 1) for o in named]
    lines = [
        gettext(
            "%(host)s also hosts “%(topic)s” at %(start)s–%(end)s: a Zoom user can host only one meeting at a time.",
            host=host,
            topic=topic,
            start=format_instant(other.starts_at, zone, "time"),
            end=format_instant(other.starts_at + timedelta(minutes=other.duration_minutes), zone, "time"),
        )
        for other, topic in zip(named, topics, strict=True)
    ]
    more = len(others) - len(lines)
    if more:
        lines.append(
            ngettext(
                "%(host)s also hosts %(num)d more meeting at an overlapping time.",
                "%(host)s also hosts %(num)d more meetings at overlapping times.",
                more,
                host=host,
            )
        )
    return lines


def checked_note(appointment: Appointment) -> str:
    """What the latest pre-meeting check (conecta.zoom.health) found, and when."""
    if appointment.zoom is None or appointment.zoom.checked_at is None:
        return ""
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.appointment_id == appointment.id, AuditEvent.event == "zoom_health_checked")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return ""
    return f"{event.detail} ({fmt_datetime(event.at, appointment.org.timezone)})"
