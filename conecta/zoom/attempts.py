"""Every create sent to Zoom is followed up by its tracking key until its meeting is accounted for.

A create whose answer is lost (a timeout, a 5xx, a killed worker) may still complete in Zoom -- late,
after the retry's search missed it, after the appointment was cancelled, got another client or a new
key. So before each create call the reconciler records the attempt (`record_call`) in the same commit
as the tracking key. When the meeting made by the only call with a key is adopted or deleted, the
attempt is accounted for at once (`accounted_for`): the usual create writes one row and removes it.

Any other attempt stays open, and the periodic follow-up takes it over (`sweep` enqueues one
`follow_up_job` per organization and host). Once an attempt is ZOOM_FOLLOWUP_GRACE_SECONDS old,
the job lists the host's upcoming meetings and, under the appointment's lease, deletes every meeting
carrying the key that is not the appointment's current meeting -- sparing only one the appointment's
own pending sync will adopt. The attempt is closed when its only call's meeting was seen and handled,
or when a listing made ZOOM_FOLLOWUP_HORIZON_SECONDS (15 minutes) after the last call with its
key finds nothing left to handle: Zoom shows a meeting within seconds of making it, so a create not shown
by then never happened. Without a live connection nothing can be looked at: the organization's attempts
wait, and are followed up after a reconnect.

Each attempt names the host its create went to (`host_user_id`, None for the connecting user "me"; a key
never moves to another host), and is followed up among that host's meetings. A host removed from the
Zoom account (Zoom: user 1001) took its meetings along, so its attempts close; one that a connection for
a single Zoom user cannot see waits for a whole-account connection.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import delete, select

from conecta import audit, jobs
from conecta.extensions import db
from conecta.models import Appointment, ZoomCreateAttempt
from conecta.models.types import utcnow
from conecta.zoom.client import ZoomClient
from conecta.zoom.errors import ZoomError, ZoomNotFound, ZoomUserMissing
from conecta.zoom.lock import appointment_lock
from conecta.zoom.outcome import load

log = logging.getLogger("conecta.zoom.sync")


def record_call(
    appointment: Appointment, key: str, host_user_id: str | None = None, *, new_key: bool = False
) -> None:
    """A create carrying `key` is about to be sent: the caller commits this first, then calls Zoom.
    `new_key`: the key was just made, so no attempt carries it yet (nothing to look up)."""
    attempt = None if new_key else db.session.get(ZoomCreateAttempt, key)
    if attempt is None:
        attempt = ZoomCreateAttempt(
            tracking_key=key,
            org_id=appointment.org_id,
            appointment_id=appointment.id,
            host_user_id=host_user_id,
            calls=0,
        )
        db.session.add(attempt)
    attempt.calls += 1
    attempt.attempted_at = utcnow()


def accounted_for(key: str) -> None:
    """The meeting a call with `key` made was adopted or deleted. If that was the only call with the
    key, nothing more can come of it (the caller commits); otherwise the follow-up looks for twins.
    One DELETE: the attempt's row is rarely still in the session to be read for free."""
    db.session.execute(
        delete(ZoomCreateAttempt).where(ZoomCreateAttempt.tracking_key == key, ZoomCreateAttempt.calls <= 1)
    )


# ---- the follow-up ------------------------------------------------------------------------------------


def _grace() -> timedelta:
    return timedelta(seconds=float(current_app.config["ZOOM_FOLLOWUP_GRACE_SECONDS"]))


def sweep(now: datetime | None = None) -> int:
    """Periodic (`conecta.periodic`): a follow-up job for each organization and host with attempts past
    their grace period. Returns how many were enqueued."""
    due_before = (now or utcnow()) - _grace()
    hosts = db.session.execute(
        select(ZoomCreateAttempt.org_id, ZoomCreateAttempt.host_user_id)
        .where(ZoomCreateAttempt.attempted_at <= due_before)
        .distinct()
    ).all()
    return sum(1 for org_id, host_user_id in hosts if request_follow_up(org_id, host_user_id))


def request_follow_up(org_id: int, host_user_id: str | None) -> bool:
    try:
        jobs.enqueue(
            follow_up_job,
            org_id,
            host_user_id,
            job_id=f"zoom-followup-{org_id}-{host_user_id or 'me'}",
            job_timeout=int(current_app.config["ZOOM_JOB_TIMEOUT_SECONDS"]),
        )
    except RedisError as exc:
        log.warning("zoom_sync follow_up_enqueue_failed org_id=%s error=%s", org_id, type(exc).__name__)
        return False
    return True


@jobs.app_job
def follow_up_job(org_id: int, host_user_id: str | None) -> str:
    return follow_up(org_id, host_user_id)


def follow_up(org_id: int, host_user_id: str | None) -> str:
    """List the host's meetings once and account for each due attempt of the organization and host."""
    listed_at = utcnow()
    keys = list(
        db.session.scalars(
            select(ZoomCreateAttempt.tracking_key)
            .where(
                ZoomCreateAttempt.org_id == org_id,
                ZoomCreateAttempt.host_user_id == host_user_id,  # None compares as IS NULL
                ZoomCreateAttempt.attempted_at <= listed_at - _grace(),
            )
            .order_by(ZoomCreateAttempt.attempted_at)
        )
    )
    if not keys:
        return "nothing-due"
    closed = 0
    try:
        client = ZoomClient.for_org(org_id)
        if host_user_id is not None and not client.account_mode:
            # Connected for one Zoom user now: another user's meetings are hidden from it (a 404 would
            # not mean gone). The attempts wait for a whole-account connection.
            return "out-of-reach"
        try:
            meetings = list(
                client.iter_upcoming_meetings(host=host_user_id, log_context={"step": "follow-up"})
            )
        except ZoomUserMissing:
            # The host was removed from the Zoom account: its meetings went with it.
            closed = _close_all(keys)
            log.info("zoom_sync follow_up_host_gone org_id=%s closed=%s", org_id, closed)
            return f"host-gone-closed-{closed}"
        for key in keys:
            carrying = [m for m in meetings if key in (m.get("agenda") or "")]
            closed += _account_for(client, key, carrying, listed_at)
    except ZoomError as exc:  # not connected, or Zoom failing: the attempts wait for the next turn
        db.session.rollback()
        log.info("zoom_sync follow_up_postponed org_id=%s error=%s", org_id, type(exc).__name__)
        return "postponed"
    log.info("zoom_sync follow_up org_id=%s due=%s closed=%s", org_id, len(keys), closed)
    return f"closed-{closed}-of-{len(keys)}"


def _close_all(keys: list[str]) -> int:
    """Nothing of these attempts can exist any more (their host is gone from the Zoom account)."""
    closed = 0
    for key in keys:
        attempt = db.session.get(ZoomCreateAttempt, key)
        if attempt is not None:
            db.session.delete(attempt)
            closed += 1
    db.session.commit()
    return closed


def _account_for(client: ZoomClient, key: str, carrying: list[dict[str, Any]], listed_at: datetime) -> bool:
    """Delete the meetings carrying `key` that are not the appointment's; True if the attempt closed."""
    attempt = db.session.get(ZoomCreateAttempt, key)
    if attempt is None:
        return False  # accounted for since we listed
    appointment_id = attempt.appointment_id
    with appointment_lock(appointment_id) as acquired:
        if not acquired:
            return False  # its reconcile is at work: the next turn looks again
        appointment = load(appointment_id)
        attempt = db.session.get(ZoomCreateAttempt, key)
        if attempt is None:
            return False
        zoom = appointment.zoom if appointment is not None else None
        current = zoom.meeting_id if zoom is not None else None
        # The appointment's own pending sync will find this meeting by its key and adopt it.
        adopting = (
            zoom is not None
            and zoom.meeting_id is None
            and zoom.tracking_key == key
            and zoom.sync_requested_at is not None
        )
        spared = 0
        for meeting in carrying:
            if str(meeting["id"]) == current:
                continue
            if adopting:
                spared += 1
                continue
            _delete_stray(client, attempt, meeting, appointment)
        horizon = timedelta(seconds=float(current_app.config["ZOOM_FOLLOWUP_HORIZON_SECONDS"]))
        closed = (
            spared == 0
            and attempt.attempted_at <= listed_at  # no call since the listing
            and ((attempt.calls <= 1 and bool(carrying)) or attempt.attempted_at <= listed_at - horizon)
        )
        if closed:
            db.session.delete(attempt)
        db.session.commit()
        return closed


def _delete_stray(
    client: ZoomClient, attempt: ZoomCreateAttempt, meeting: dict[str, Any], appointment: Appointment | None
) -> None:
    context = {"appointment_id": attempt.appointment_id, "step": "follow-up-delete"}
    with suppress(ZoomNotFound):
        client.delete_meeting(meeting["id"], log_context=context)
    audit.record(
        attempt.org_id,
        "zoom_stray_meeting_deleted",
        f"Deleted meeting {meeting['id']}: Zoom finished a create whose answer was lost, and the "
        "appointment does not use that meeting.",
        appointment_id=appointment.id if appointment is not None else None,
    )
    db.session.commit()  # each deletion is recorded as it happens
