"""Cleanup after a (re)connect, for the admin on the Integrations card.

- **Leftover meetings**: meetings in the Zoom account whose agenda carries a Conecta tracking key for an
  appointment of this organization that no longer wants them (cancelled or moved off Zoom while Zoom was
  disconnected, replaced, a twin of a lost create). A meeting whose key names a live appointment is never
  one: it is that appointment's meeting, or a create whose answer was lost (the reconciler adopts it).
  Listing the account's meetings is a Zoom call, so a job does it (`scan_job`, started by a connect
  that follows a disconnection and by "Look in Zoom") and keeps the result in Redis for a day; the card polls until it is
  there. **Delete them** is a job as well, and deletes only what is still a leftover when it runs (under
  each appointment's lease, so never a meeting a reconcile is adopting).
Appointments that got no meeting while Zoom was disconnected need nothing here: a (re)connect brings
every appointment the one rule covers to its meeting, through the booking pipeline
(`conecta.zoom.replan.apply_rule`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from conecta import audit, jobs
from conecta.extensions import db
from conecta.models import Appointment, ZoomMeeting, ZoomState
from conecta.models.audit import AuditEvent
from conecta.models.types import utcnow
from conecta.models.zoom_host import ZoomHost
from conecta.zoom.client import ZoomClient
from conecta.zoom.decide import wants_meeting
from conecta.zoom.errors import ZoomError, ZoomNotFound
from conecta.zoom.lock import appointment_lock
from conecta.zoom.outcome import set_state

log = logging.getLogger("conecta.zoom.cleanup")

TRACKING_KEY = re.compile(r"\bconecta-(\d{1,10})-[0-9a-f]{12}\b")
RESULT_SECONDS = 24 * 3600
GAINED = ("connected", "reconnected")
LOST = ("disconnected", "deauthorized", "refresh_failed")


# ---- leftovers: the scan's result, kept in Redis ---------------------------------------------------------


@dataclass
class Leftovers:
    status: str = "none"  # none | scanning | ready | deleting | failed
    at: str | None = None  # when Zoom was last looked at (ISO)
    meetings: list[dict[str, Any]] = field(default_factory=list)  # id, key, topic, start_time, appointment_id
    deleted: int | None = None  # how many the last "Delete them" deleted
    error: str | None = None

    @property
    def busy(self) -> bool:
        return self.status in ("scanning", "deleting")

    @property
    def looked_at(self) -> datetime | None:
        return datetime.fromisoformat(self.at) if self.at else None


def _key(org_id: int) -> str:
    return jobs.redis_key("zoom-cleanup", org_id)


def leftovers(org_id: int) -> Leftovers:
    """What the last scan found (status "none" if nothing was looked at, or Redis cannot say)."""
    try:
        raw = jobs.redis_conn().get(_key(org_id))
    except RedisError:
        return Leftovers(error="The last look in Zoom cannot be read right now.")
    return Leftovers(**json.loads(raw)) if raw else Leftovers()


def _store(org_id: int, result: Leftovers) -> None:
    jobs.redis_conn().set(_key(org_id), json.dumps(result.__dict__), ex=RESULT_SECONDS)


def request_scan(org_id: int) -> bool:
    """Look in Zoom for leftovers (a job); False when Redis is unreachable."""
    return _start(org_id, "scanning", scan_job)


def after_connect(org_id: int) -> bool:
    """A (re)connect after the organization had lost Zoom: look for leftovers at once (a first connect
    has none of ours to find). True if a look was started."""
    if not disconnected_periods(org_id, utcnow()):
        return False
    return request_scan(org_id)


def request_delete(org_id: int) -> bool:
    """Delete the leftovers found (a job); False when Redis is unreachable or there is nothing to delete."""
    if not leftovers(org_id).meetings:
        return False
    return _start(org_id, "deleting", delete_job)


def _start(org_id: int, status: str, job: Any) -> bool:
    try:
        current = leftovers(org_id)
        current.status, current.error = status, None
        _store(org_id, current)
        jobs.enqueue(
            job,
            org_id,
            job_id=f"zoom-cleanup-{org_id}",
            job_timeout=int(current_app.config["ZOOM_JOB_TIMEOUT_SECONDS"]),
        )
    except RedisError as exc:
        log.warning("zoom_cleanup enqueue_failed org_id=%s error=%s", org_id, exc)
        return False
    return True


def owned_by_live_appointment(appointment: Appointment, meeting_id: str, key: str) -> bool:
    """The meeting is a live appointment's own, or the create of it whose answer was lost (the reconciler
    adopts that one)."""
    zoom = appointment.zoom
    if zoom is None or not wants_meeting(appointment):
        return False
    if zoom.meeting_id == meeting_id:
        return True
    return zoom.meeting_id is None and zoom.tracking_key == key


def _appointment(org_id: int, appointment_id: int) -> Appointment | None:
    return db.session.scalar(
        select(Appointment)
        .options(joinedload(Appointment.zoom))
        .where(Appointment.id == appointment_id, Appointment.org_id == org_id)
    )


def leftover_of(org_id: int, meeting: dict[str, Any]) -> dict[str, Any] | None:
    """What to list of a meeting from Zoom's list, if it is a leftover of this organization's."""
    found = TRACKING_KEY.search(str(meeting.get("agenda") or ""))
    if found is None:
        return None
    appointment = _appointment(org_id, int(found.group(1)))
    meeting_id = str(meeting.get("id"))
    if appointment is None or owned_by_live_appointment(appointment, meeting_id, found.group(0)):
        return None  # another organization's (or install's) key, or a live appointment's meeting
    return {
        "id": meeting_id,
        "key": found.group(0),
        "topic": str(meeting.get("topic") or ""),
        "start_time": meeting.get("start_time"),
        "appointment_id": appointment.id,
    }


@jobs.app_job
def scan_job(org_id: int) -> str:
    result = Leftovers(status="ready", at=utcnow().isoformat())
    try:
        client = ZoomClient.for_org(org_id)
        seen: set[str] = set()
        for meeting in _upcoming_meetings(client, org_id):
            leftover = leftover_of(org_id, meeting)
            if leftover is not None and leftover["id"] not in seen:
                seen.add(leftover["id"])
                result.meetings.append(leftover)
    except ZoomError as exc:
        result = Leftovers(status="failed", at=result.at, error=f"Zoom could not be asked: {exc.message}")
    db.session.rollback()
    _store(org_id, result)
    return result.status


def hosts_to_scan(org_id: int, account_mode: bool) -> list[str | None]:
    """Whose meetings to list: the connecting user ("me"), and in account mode every Zoom user this
    organization maps a team member to or has made a meeting on."""
    if not account_mode:
        return [None]
    mapped = select(ZoomHost.zoom_user_id).where(
        ZoomHost.org_id == org_id, ZoomHost.zoom_user_id.is_not(None)
    )
    used = (
        select(ZoomMeeting.host_user_id)
        .join(Appointment, Appointment.id == ZoomMeeting.appointment_id)
        .where(Appointment.org_id == org_id, ZoomMeeting.host_user_id.is_not(None))
    )
    others = set(db.session.scalars(mapped)) | set(db.session.scalars(used))
    return [None, *sorted(others)]


def _upcoming_meetings(client: ZoomClient, org_id: int) -> Iterator[dict[str, Any]]:
    """Every upcoming meeting of every host to scan. A host since removed from the Zoom account (Zoom
    answers 404) took its meetings along: nothing of it is left over."""
    for host in hosts_to_scan(org_id, client.account_mode):
        with suppress(ZoomNotFound):
            yield from client.iter_upcoming_meetings(host=host, log_context={"step": "cleanup-scan"})


@jobs.app_job
def delete_job(org_id: int) -> str:
    found = leftovers(org_id)
    kept, deleted = [], 0
    try:
        client = ZoomClient.for_org(org_id)
        for meeting in found.meetings:
            if _delete_one(client, org_id, meeting):
                deleted += 1
            else:
                kept.append(meeting)
        result = Leftovers(status="ready", at=found.at, meetings=kept, deleted=deleted)
    except ZoomError as exc:
        result = Leftovers(status="failed", at=found.at, meetings=found.meetings, error=exc.message)
    _store(org_id, result)
    return f"deleted-{deleted}"


def _delete_one(client: ZoomClient, org_id: int, meeting: dict[str, Any]) -> bool:
    """Delete one leftover if it still is one (checked again now, under the appointment's lease)."""
    with appointment_lock(int(meeting["appointment_id"])) as acquired:
        if not acquired:
            return False  # a reconcile is at work on that appointment: leave it for the next look
        db.session.expire_all()
        appointment = _appointment(org_id, int(meeting["appointment_id"]))
        if appointment is None or owned_by_live_appointment(appointment, meeting["id"], meeting["key"]):
            db.session.rollback()
            return False
        with suppress(ZoomNotFound):
            client.delete_meeting(
                meeting["id"], log_context={"appointment_id": appointment.id, "step": "cleanup"}
            )
        zoom = appointment.zoom
        if zoom is not None and zoom.meeting_id == meeting["id"]:
            zoom.forget_meeting()  # e.g. left in Zoom while disconnected: now it is gone
            set_state(
                appointment,
                ZoomState.DELETED,
                "zoom_meeting_deleted",
                "Deleted in the cleanup after reconnecting.",
            )
        audit.record(
            org_id,
            "zoom_leftover_deleted",
            f"Deleted meeting {meeting['id']} ({meeting['topic']}), left in Zoom without a live appointment.",
            appointment_id=appointment.id,
        )
        db.session.commit()
        return True


# ---- when the organization was without Zoom ---------------------------------------------------------------


def disconnected_periods(org_id: int, now: datetime) -> list[tuple[datetime, datetime]]:
    """When the organization was without a working Zoom connection, from the audit log."""
    events = db.session.execute(
        select(AuditEvent.event, AuditEvent.at)
        .where(
            AuditEvent.org_id == org_id,
            AuditEvent.appointment_id.is_(None),
            AuditEvent.event.in_((*GAINED, *LOST)),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    periods, lost_at = [], None
    for event, at in events:
        if event in LOST and lost_at is None:
            lost_at = at
        elif event in GAINED and lost_at is not None:
            periods.append((lost_at, at))
            lost_at = None
    if lost_at is not None:
        periods.append((lost_at, now))
    return periods
