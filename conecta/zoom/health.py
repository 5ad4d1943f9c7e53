"""The health check before every meeting: read the meeting back from Zoom, repair what can be repaired,
flag what cannot, then send the client's reminder.

About 24 h and again about 1 h before the start (ZOOM_HEALTH_CHECK_LEADS_MINUTES), and at the moment of
the organization's reminder, `sweep(now)` (run periodically by the worker, `conecta.periodic`) enqueues
`check_job` for each appointment with a Zoom meeting that is due. The job, under the appointment's lease,
reads the meeting (`GET /meetings/{id}`) and compares it with the appointment (`zoom_changes.observe`):

- gone from Zoom → recreated, and the client gets an update email with the new link;
- moved in Zoom (time or duration) → Zoom is put back to the appointment's time. The appointment wins at
  the check whether the drift was found now or flagged earlier by a webhook and left unanswered: it is
  what the client was told. Staff who want Zoom's time instead move the appointment before the check;
- a Join link changed in Zoom (a new passcode) → kept, and the client gets it;
- Zoom cannot be asked (the connection needs reconnecting, Zoom down) → flagged in the audit log; the
  admins are emailed (`conecta.zoom.alerts`); the next check looks again.

Repairs are saves through the booking pipeline (`conecta.bookings.service`), like staff's own clicks.
Every check writes one audit line; staff see the last one on the Zoom panel. The selection takes an
explicit `now`, which the job carries along, so tests drive the whole thing without waiting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from conecta import audit, jobs
from conecta.extensions import db
from conecta.mail import reminders
from conecta.models import Appointment, ZoomMeeting, ZoomState
from conecta.models.types import utcnow
from conecta.zoom.client import ZoomClient
from conecta.zoom.decide import wants_meeting
from conecta.zoom.errors import ZoomAuthError, ZoomError, ZoomNotConnected, ZoomNotFound
from conecta.zoom.lock import appointment_lock, leave_note
from conecta.zoom.outcome import load
from conecta.zoom.zoom_changes import meeting_deleted, observe

log = logging.getLogger("conecta.zoom.health")

CHECKED_BY = "found by the check before the meeting"
# What a check found, and whether it repairs it through the booking pipeline afterwards.
RECREATE, PUT_BACK = "recreate", "put-back"


def check_leads() -> list[timedelta]:
    return [timedelta(minutes=m) for m in current_app.config["ZOOM_HEALTH_CHECK_LEADS_MINUTES"]]


def check_due(starts_at: datetime, checked_at: datetime | None, now: datetime) -> bool:
    """A check moment (start minus a lead) has come, and the meeting was not checked since."""
    if now >= starts_at:
        return False
    moments = [starts_at - lead for lead in check_leads()]
    return any(moment <= now and (checked_at is None or checked_at < moment) for moment in moments)


def sweep(now: datetime | None = None) -> int:
    """Enqueue a check of every upcoming Zoom meeting whose check (or reminder) is due; returns how many."""
    now = now or utcnow()
    window = max([*check_leads(), reminders.lead_window()])
    candidates = db.session.scalars(
        select(Appointment)
        .join(ZoomMeeting, ZoomMeeting.appointment_id == Appointment.id)
        .options(contains_eager(Appointment.zoom), joinedload(Appointment.org))
        .where(
            Appointment.status == "booked",
            ZoomMeeting.wanted.is_(True),
            Appointment.starts_at > now,
            Appointment.starts_at <= now + window,
        )
        .order_by(Appointment.starts_at)
    ).all()
    due = [
        a.id
        for a in candidates
        if check_due(a.starts_at, a.zoom.checked_at, now) or reminders.reminder_due(a, now)
    ]
    db.session.rollback()
    enqueued = sum(1 for appointment_id in due if request_check(appointment_id, now))
    if enqueued:
        log.info("zoom_health sweep enqueued=%s", enqueued)
    return enqueued


def request_check(appointment_id: int, now: datetime, *, at_front: bool = False) -> bool:
    try:
        jobs.enqueue(
            check_job,
            appointment_id,
            now.isoformat(),
            job_id=f"zoom-health-{appointment_id}",
            at_front=at_front,
            job_timeout=int(current_app.config["ZOOM_JOB_TIMEOUT_SECONDS"]),
        )
    except RedisError as exc:
        log.warning("zoom_health enqueue_failed appointment_id=%s error=%s", appointment_id, exc)
        return False
    return True


@jobs.app_job
def check_job(appointment_id: int, now_iso: str) -> str:
    """Check, repair, then remind: the reminder goes after the check (and waits for a repair)."""
    now = datetime.fromisoformat(now_iso)
    found = check(appointment_id, now)
    if found.result == "busy":
        leave_note(appointment_id, "check", now_iso)  # the holder hands it back on release
        return found.result
    if found.result == "verifying":
        from conecta.zoom.dispatch import request_reconcile

        request_reconcile(appointment_id)
    repair(appointment_id, found)
    if found.link_changed:
        from conecta.zoom.dispatch import release_waiting_email

        release_waiting_email(appointment_id)
    reminders.send_if_due(appointment_id, now)
    return found.result


@dataclass(frozen=True)
class Finding:
    result: str  # ok, vanished, drifted, unreachable, syncing, not-zoom, busy, ...
    repair: str | None = None
    link_changed: bool = False


def check(appointment_id: int, now: datetime) -> Finding:
    """Read the meeting back from Zoom and take in what it says, under the appointment's lease."""
    with appointment_lock(appointment_id) as acquired:
        if not acquired:
            return Finding("busy")
        appointment = load(appointment_id)
        zoom = appointment.zoom if appointment is not None else None
        if zoom is None or not wants_meeting(appointment):
            return Finding("not-zoom")
        if not (
            check_due(appointment.starts_at, zoom.checked_at, now) or reminders.reminder_due(appointment, now)
        ):
            return Finding("not-due")  # checked meanwhile: a repeated job
        found = _look(appointment)
        appointment.zoom.checked_at = now
        audit.record(
            appointment.org_id, "zoom_health_checked", _SAID[found.result], appointment_id=appointment_id
        )
        db.session.commit()
        log.info("zoom_health appointment_id=%s result=%s", appointment_id, found.result)
        return found


_SAID = {
    "ok": "Checked before the meeting: Zoom matches the appointment.",
    "vanished": "Checked before the meeting: it was deleted in Zoom. Making a new one.",
    "drifted": "Checked before the meeting: Zoom had another time. Putting Zoom back.",
    "link-changed": "Checked before the meeting: its Join link changed in Zoom; the client gets the new one.",
    "syncing": "Checked before the meeting: a change is on its way to Zoom; nothing else to do.",
    "verifying": (
        "Checked before the meeting: Zoom had another time, perhaps a change of ours that reached it late; "
        "reading it back and putting it right."
    ),
    "failed": "Checked before the meeting: a change could not reach Zoom (see the Zoom panel: Retry).",
    "no-meeting": "Checked before the meeting: there is no meeting to check (see the Zoom panel).",
    "host-mismatch": "Checked before the meeting: it belongs to another Zoom host than expected.",
    "unreachable": "Checked before the meeting: Zoom could not be asked; the next check tries again.",
    "needs-reconnect": "Checked before the meeting: Zoom needs reconnecting, so it could not be checked.",
}


def _look(appointment: Appointment) -> Finding:
    zoom = appointment.zoom
    if zoom.sync_requested_at is not None:
        return Finding("syncing")
    if zoom.state == ZoomState.VANISHED:
        return Finding("vanished", RECREATE)  # flagged by a webhook and left unanswered
    if zoom.meeting_id is None:
        return Finding("no-meeting")  # failed, or never made: the panel says why, with Retry
    try:
        client = ZoomClient.for_org(appointment.org_id)
        meeting = client.get_meeting(
            zoom.meeting_id, log_context={"appointment_id": appointment.id, "step": "health"}
        )
    except ZoomNotFound as exc:
        if exc.code not in (3001, None):
            return Finding("unreachable")
        meeting_deleted(appointment, CHECKED_BY)
        return Finding("vanished", RECREATE)
    except (ZoomNotConnected, ZoomAuthError):
        return Finding("needs-reconnect")
    except ZoomError:
        return Finding("unreachable")
    if host_mismatch(zoom, meeting, client.connecting_user_id):
        return Finding("host-mismatch")
    result = observe(appointment, meeting)
    if result == "verifying":
        return Finding("verifying")  # check_job enqueues the reconcile that puts it right
    if appointment.zoom.state == ZoomState.FAILED:
        return Finding("failed")  # a change could not reach Zoom: the panel says why, with Retry
    if appointment.zoom.state == ZoomState.DRIFTED:
        return Finding("drifted", PUT_BACK, link_changed=result == "link-changed")
    if result == "link-changed":
        return Finding("link-changed", link_changed=True)
    return Finding("ok")


def host_mismatch(zoom: ZoomMeeting, meeting: dict, connecting_user_id: str) -> bool:
    """A meeting found under another Zoom user than the one it was made on (`host_user_id`, or the
    connecting user when None) is flagged: moving it back means a new meeting and a new link, so staff
    decide. A meeting that does not name its host is not judged."""
    expected = zoom.host_user_id or connecting_user_id
    found = meeting.get("host_id")
    return bool(expected) and bool(found) and str(found) != str(expected)


def repair(appointment_id: int, found: Finding) -> None:
    """Repairs go through the booking pipeline, like staff's own Recreate and resend / Put Zoom back."""
    if found.repair is None:
        return
    from conecta.bookings import zoom_actions

    appointment = load(appointment_id)
    if appointment is None or appointment.zoom is None or appointment.is_cancelled:
        return
    if found.repair == RECREATE and appointment.zoom_state == ZoomState.VANISHED:
        zoom_actions.recreate_zoom_meeting(appointment)
    elif found.repair == PUT_BACK and appointment.zoom_state == ZoomState.DRIFTED:
        zoom_actions.put_zoom_back(appointment)
