"""Zoom meetings follow appointments: a reconciler, not a chain of events (DESIGN.md §4).

Every appointment carries the Zoom state it *wants*; `reconcile(appointment_id)` makes Zoom match it.

- On save (`appointment_saving`, inside the booking's transaction) `zoom_wanted` is decided — the service's
  "Auto-create Zoom meeting" toggle and a live organization connection, at that moment — and the outbox
  mark `zoom_sync_requested_at` is written. Nothing calls Zoom there.
- After commit (`appointment_committed`) one job per appointment is queued (a Redis flag holding the job
  id coalesces quick successive edits: a queued job reads the appointment as it is when it runs).
- `reconcile` runs under a per-appointment Redis lock, reads the appointment as it is *then* and creates,
  PATCHes (only the fields that differ from what Zoom was last told), deletes, or does nothing. It clears
  the mark only if no newer save re-marked the appointment meanwhile (compare-and-clear), and goes round
  again if one did.
- A meeting belongs to the client it was made for (`zoom_client_id`): they were sent its link, passcode
  and invite. When the appointment passes to another client the meeting is deleted and a new one made
  (never PATCHed), so the former client cannot join the new client's session.
- A create first commits a tracking key, which goes into the meeting's agenda: a retry after a crash
  looks for that key among the host's upcoming meetings before creating again, so a lost answer never
  becomes a second meeting.
- Transient failures back off exponentially (honouring Retry-After); the daily create/update limit waits
  until 00:00 GMT; permanent failures end in `failed` with a reason people can act on. The retry
  bookkeeping lives on the row, so a sweep (every minute, in the worker) re-enqueues anything still
  marked when Redis or a worker lost a job, and keeps hosts' start URLs fresh.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from redis.exceptions import LockError, RedisError
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from conecta import audit, jobs
from conecta.extensions import db
from conecta.models import Appointment
from conecta.models.types import utcnow
from conecta.models.zoom import zoom_connection_for
from conecta.signals import appointment_committed, appointment_saving, zoom_settled
from conecta.zoom.client import (
    ZoomAuthError,
    ZoomClient,
    ZoomError,
    ZoomNotConnected,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRequestError,
    ZoomTransientError,
)

log = logging.getLogger("conecta.zoom.sync")

# Tuning knobs (app.config may override each; tests shorten the clocks).
DEFAULTS: dict[str, Any] = {
    "ZOOM_API_TIMEOUT_SECONDS": 10.0,  # every Zoom call from a worker
    "ZOOM_START_TIMEOUT_SECONDS": 5.0,  # the one call a web request may make: a fresh start URL
    "ZOOM_SYNC_LOCK_SECONDS": 180,  # outlives the slowest reconcile (a few calls of 10 s)
    "ZOOM_RETRY_BASE_SECONDS": 2.0,  # 2, 4, 8 … seconds between attempts
    "ZOOM_RETRY_CAP_SECONDS": 300.0,
    "ZOOM_RETRY_MAX_ATTEMPTS": 8,  # about nine minutes of trying before `failed`
    "ZOOM_SWEEP_INTERVAL_SECONDS": 60,
    "ZOOM_SWEEP_MIN_AGE_SECONDS": 60,  # a mark younger than this still has its own job on the way
    "ZOOM_START_URL_FRESH_MINUTES": 100,  # Zoom's start URLs die two hours after they are issued
    "ZOOM_START_URL_REFRESH_MINUTES": 60,  # the sweep renews older ones for meetings within two hours
    "ZOOM_DUPLICATE_CHECK_SECONDS": 120,  # after a create that followed a lost answer, look for twins
    "ZOOM_CRASH_RETRY_SECONDS": "10,60",  # RQ's retries of a job that crashed (not a Zoom error)
}
START_URL_WINDOW = timedelta(hours=2)
RECONCILE_JOB = "conecta.zoom.jobs.reconcile_job"
RECONCILE_FAILED = "conecta.zoom.jobs.on_reconcile_failure"
REFRESH_JOB = "conecta.zoom.jobs.refresh_start_url_job"
SWEEP_JOB = "conecta.zoom.jobs.sweep_job"
DUPLICATE_CHECK_JOB = "conecta.zoom.jobs.check_duplicates_job"
LIVE_JOB_STATUSES = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}

DISCONNECTED_LEFT = "Zoom is disconnected; the meeting was left in Zoom."
DISCONNECTED_NOT_UPDATED = (
    "Zoom is disconnected, so the meeting in Zoom was not updated. Reconnect Zoom in "
    "Settings → Integrations, then Retry."
)
DISCONNECTED_NOT_CREATED = (
    "Zoom is not connected, so no meeting was created. An admin can connect Zoom in "
    "Settings → Integrations; then Retry."
)
DISCONNECTED_NOT_REPLACED = (
    "Zoom is disconnected, so the meeting made for the previous client could not be replaced. Reconnect "
    "Zoom in Settings → Integrations, then Retry."
)
UNEXPECTED_FAILURE = "Something went wrong on our side while talking to Zoom. Retry, or ask for help."


def init_app(app: Flask) -> None:
    """Default the tuning knobs (an environment variable of the same name overrides one, e.g. a shorter
    sweep interval for a demo); the signal receivers below connect when this module is imported."""
    for name, default in DEFAULTS.items():
        raw = os.environ.get(name)
        app.config.setdefault(name, type(default)(raw) if raw else default)


def setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


# ---- what the meeting should look like ----------------------------------------------------------------


def meeting_topic(appointment: Appointment) -> str:
    """Service and client, as staff and client will recognise it in Zoom (Zoom allows 200 characters)."""
    return f"{appointment.service.name} with {appointment.client.name}"[:200]


def zoom_time(moment: datetime) -> str:
    """Zoom reads `...Z` as UTC; without it, as wall time in `timezone` — so we always send the Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tracking_agenda(key: str) -> str:
    return f"Booked in Conecta. Reference: {key}"


def meeting_body(appointment: Appointment, tracking_key: str) -> dict[str, Any]:
    """The create request. No password: Zoom generates one per the host's policy (which wins anyway)."""
    return {
        "topic": meeting_topic(appointment),
        "type": 2,
        "start_time": zoom_time(appointment.starts_at),
        "timezone": appointment.org.timezone,
        "duration": appointment.duration_minutes,
        "agenda": tracking_agenda(tracking_key),
    }


def wants_meeting(appointment: Appointment) -> bool:
    return appointment.zoom_wanted and not appointment.is_cancelled


def pending_changes(appointment: Appointment) -> dict[str, Any]:
    """The PATCH body: only what differs from what Zoom was last told (empty: no call at all)."""
    changes: dict[str, Any] = {}
    if appointment.zoom_synced_start_at != appointment.starts_at:
        changes["start_time"] = zoom_time(appointment.starts_at)
        changes["timezone"] = appointment.org.timezone
    if appointment.zoom_synced_duration != appointment.duration_minutes:
        changes["duration"] = appointment.duration_minutes
    if appointment.zoom_synced_topic != meeting_topic(appointment):
        changes["topic"] = meeting_topic(appointment)
    return changes


def org_connected(org_id: int) -> bool:
    """A live connection right now (none, or one that needs reconnecting, both mean no)."""
    return zoom_connection_for(org_id) is not None


# ---- on save: decide and mark (same transaction as the appointment) -----------------------------------


def _set_state(appointment: Appointment, state: str, event: str, detail: str = "", actor: Any = None) -> None:
    """Change the Zoom state and write it to the audit log (only when it really changes, or `event` says
    something happened in Zoom)."""
    if appointment.zoom_state == state and not event.startswith("zoom_meeting_"):
        return
    appointment.zoom_state = state
    audit.record(appointment.org_id, event, detail, actor=actor, appointment_id=appointment.id)


def _mark(appointment: Appointment) -> None:
    appointment.zoom_sync_requested_at = utcnow()
    db.session.info.setdefault("zoom_marked", set()).add(appointment.id)


def _clear_mark(appointment: Appointment) -> None:
    appointment.zoom_sync_requested_at = None
    appointment.zoom_attempts = 0
    appointment.zoom_retry_at = None


@appointment_saving.connect
def on_appointment_saving(appointment: Appointment, change: str, **_: Any) -> None:
    """Decide `zoom_wanted` (on create, or when the service changed) and mark the appointment for sync."""
    if change == "created" or appointment.zoom_wanted_service_id != appointment.service_id:
        appointment.zoom_wanted = bool(appointment.service.zoom_auto_create) and org_connected(
            appointment.org_id
        )
        appointment.zoom_wanted_service_id = appointment.service_id
    wanted = wants_meeting(appointment)
    in_zoom = appointment.zoom_meeting_id is not None or appointment.zoom_tracking_key is not None
    if not wanted and not in_zoom:
        # Nothing in Zoom and nothing wanted: a pending or failed create simply stops mattering.
        if appointment.zoom_state in ("pending", "failed"):
            _clear_mark(appointment)
            appointment.zoom_error = None
            _set_state(appointment, "none", "zoom_sync_dropped", "No Zoom meeting is wanted any more.")
        return
    if not org_connected(appointment.org_id):
        _while_disconnected(appointment, wanted)
        return
    if change == "cancelled":
        appointment.zoom_retry_at = None  # a DELETE is not held back by the daily create/update limit
    # Always mark (the job is cheap when nothing differs), but only say "pending" when Zoom must change:
    # a notes-only edit keeps showing the ready meeting and ends without any call to Zoom.
    if appointment.zoom_meeting_is_a_former_clients and wanted:
        appointment.zoom_error = None
        _set_state(
            appointment,
            "pending",
            "zoom_sync_requested",
            "Client changed: the Zoom meeting will be replaced with a new one.",
        )
    elif not wanted or appointment.zoom_meeting_id is None or pending_changes(appointment):
        appointment.zoom_error = None
        _set_state(appointment, "pending", "zoom_sync_requested", _change_detail(change))
    _mark(appointment)


def _change_detail(change: str) -> str:
    return {
        "created": "Booked: a Zoom meeting will be created.",
        "updated": "Changed: the Zoom meeting will follow.",
        "cancelled": "Cancelled: the Zoom meeting will be deleted.",
    }.get(change, change)


def _while_disconnected(appointment: Appointment, wanted: bool) -> None:
    """Without a live connection nothing can reach Zoom: existing meetings and links stay as they are."""
    _clear_mark(appointment)
    if not wanted and appointment.zoom_meeting_id is not None:
        appointment.zoom_error = DISCONNECTED_LEFT
        _set_state(appointment, "left", "zoom_meeting_left", DISCONNECTED_LEFT)
    elif wanted and appointment.zoom_meeting_is_a_former_clients:
        appointment.zoom_error = DISCONNECTED_NOT_REPLACED
        _set_state(appointment, "failed", "zoom_meeting_failed", DISCONNECTED_NOT_REPLACED)
    elif wanted and appointment.zoom_meeting_id is not None:
        if pending_changes(appointment):
            appointment.zoom_error = DISCONNECTED_NOT_UPDATED
    elif wanted:
        appointment.zoom_error = DISCONNECTED_NOT_CREATED
        _set_state(appointment, "failed", "zoom_meeting_failed", DISCONNECTED_NOT_CREATED)
    else:  # cancelled while a create may have been under way: nothing we can still clean up
        appointment.zoom_error = None
        _set_state(appointment, "none", "zoom_sync_dropped", "Zoom is disconnected.")


@appointment_committed.connect
def on_appointment_committed(appointment_id: int, change: str, **_: Any) -> None:
    """After the commit: queue the reconcile job for an appointment that was marked in that transaction."""
    marked = db.session.info.get("zoom_marked")
    if not marked or appointment_id not in marked:
        return
    marked.discard(appointment_id)
    request_reconcile(appointment_id)


def retry(appointment: Appointment, actor: Any = None) -> None:
    """The Retry button: start over (attempts reset) from whatever the appointment wants now."""
    appointment.zoom_error = None
    appointment.zoom_attempts = 0
    appointment.zoom_retry_at = None
    _set_state(appointment, "pending", "zoom_retry_requested", "Retry requested.", actor=actor)
    _mark(appointment)
    db.session.commit()
    request_reconcile(appointment.id)


# ---- queueing: one live job per appointment --------------------------------------------------------------


def _queued_flag(appointment_id: int) -> str:
    return jobs.redis_key("zoom", "queued", appointment_id)


def _live_job(job_id: str | None) -> Job | None:
    """The job if it is still waiting to run (queued or scheduled); None if done, running, lost or gone."""
    if not job_id:
        return None
    conn = jobs.redis_conn()
    try:
        job = Job.fetch(job_id, connection=conn, serializer=jobs.queue().serializer)
    except Exception:  # NoSuchJobError, or a hash RQ cannot read: either way, not live
        return None
    status = job.get_status(refresh=False)
    # The hash alone proves little (a worker can die between dequeue and start): is it really waiting?
    if status == JobStatus.QUEUED:
        waiting = conn.lpos(Queue(job.origin, connection=conn).key, job.id) is not None
        return job if waiting else None
    if status == JobStatus.SCHEDULED:
        waiting = conn.zscore(ScheduledJobRegistry(job.origin, connection=conn).key, job.id) is not None
        return job if waiting else None
    return job if status in LIVE_JOB_STATUSES else None


def request_reconcile(appointment_id: int, *, at: datetime | None = None) -> bool:
    """Make sure one reconcile job for the appointment is on its way; True if this call queued it.

    A job already waiting is enough (it reads the appointment when it runs, so quick successive edits
    coalesce into one) — unless it is scheduled for later and this request is for now: a user's change
    does not wait for a backoff (the job itself still honours `zoom_retry_at`). If Redis is down, say so
    in the log and carry on: the mark is in the database and the sweep re-enqueues it.
    """
    flag = _queued_flag(appointment_id)
    later = at is not None and at > utcnow()
    try:
        conn = jobs.redis_conn()
        existing = conn.get(flag)
        waiting = _live_job(existing.decode() if existing else None)
        if waiting is not None:
            if later or waiting.get_status(refresh=False) != JobStatus.SCHEDULED:
                return False
            waiting.cancel()
        job = jobs.enqueue(
            RECONCILE_JOB,
            appointment_id,
            job_id=f"zoom-reconcile-{appointment_id}-{secrets.token_hex(4)}",
            job_timeout=int(setting("ZOOM_SYNC_LOCK_SECONDS")),
            retry=_unexpected_error_retry(),
            on_failure=RECONCILE_FAILED,
            at=at if later else None,
        )
        wait = (at - utcnow()).total_seconds() if later and at else 0
        conn.set(flag, job.id, ex=int(wait) + 3600)
        return True
    except RedisError as exc:
        log.warning(
            "zoom_sync enqueue_failed appointment_id=%s error=%s (the sweep will pick it up)",
            appointment_id,
            type(exc).__name__,
        )
        return False


def _unexpected_error_retry() -> Any:
    """RQ's own retry is for the unexpected (a bug, the database gone away); Zoom's errors are handled
    in `reconcile` with the bookkeeping on the row."""
    from rq import Retry

    intervals = [int(float(x)) for x in str(setting("ZOOM_CRASH_RETRY_SECONDS")).split(",") if x.strip()]
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def _release_queued_flag(appointment_id: int, job_id: str | None) -> None:
    """The job has started: from now on a new change needs a new job (this one may have read too early)."""
    if not job_id:
        return
    flag = _queued_flag(appointment_id)
    conn = jobs.redis_conn()
    with conn.pipeline() as pipe:
        try:
            pipe.watch(flag)
            current = pipe.get(flag)
            if current is not None and current.decode() == job_id:
                pipe.multi()
                pipe.delete(flag)
                pipe.execute()
        except RedisError:
            pass  # someone queued a newer job meanwhile: its flag stays


@contextmanager
def appointment_lock(appointment_id: int, blocking_timeout: float) -> Iterator[bool]:
    """One reconcile (or start-URL refresh) per appointment at a time, across every worker."""
    lock = jobs.redis_conn().lock(
        jobs.redis_key("lock", "zoom-appointment", appointment_id),
        timeout=float(setting("ZOOM_SYNC_LOCK_SECONDS")),
        sleep=0.05,
        blocking_timeout=blocking_timeout,
    )
    acquired = lock.acquire()
    try:
        yield acquired
    finally:
        if acquired:
            try:
                lock.release()
            except LockError:
                log.warning("zoom_sync lock for appointment %s expired before release", appointment_id)


# ---- the reconciler ------------------------------------------------------------------------------------


@dataclass
class _Run:
    """One pass over one appointment: what it started from, for the log lines and the compare-and-clear."""

    appointment: Appointment
    mark: datetime
    attempt: int

    def context(self, step: str) -> dict[str, Any]:
        return {"appointment_id": self.appointment.id, "step": step, "attempt": self.attempt}


def _lock_wait() -> float:
    """How long a job waits for another one on the same appointment (well within its own time limit)."""
    return min(30.0, float(setting("ZOOM_SYNC_LOCK_SECONDS")) / 3)


def reconcile(appointment_id: int, job_id: str | None = None) -> str:
    """Bring Zoom in line with the appointment as it is now. Returns what happened (for logs and tests)."""
    _release_queued_flag(appointment_id, job_id)
    with appointment_lock(appointment_id, blocking_timeout=_lock_wait()) as acquired:
        if not acquired:
            request_reconcile(appointment_id, at=utcnow() + timedelta(seconds=5))
            return "busy"
        outcome = "again"
        for _ in range(3):
            outcome = _reconcile_once(appointment_id)
            if outcome != "again":
                return outcome
        request_reconcile(appointment_id)  # edited faster than we can follow: a fresh job goes on
        return outcome


def _load(appointment_id: int) -> Appointment | None:
    db.session.expire_all()  # a loop round must see what other transactions committed meanwhile
    return db.session.scalar(
        select(Appointment)
        .options(joinedload(Appointment.org), joinedload(Appointment.service), joinedload(Appointment.client))
        .where(Appointment.id == appointment_id)
        .execution_options(populate_existing=True)
    )


def _reconcile_once(appointment_id: int) -> str:
    appointment = _load(appointment_id)
    if appointment is None:
        return "gone"
    mark = appointment.zoom_sync_requested_at
    if mark is None:
        return "nothing-to-do"
    run = _Run(appointment, mark, appointment.zoom_attempts + 1)
    now = utcnow()
    if appointment.zoom_retry_at is not None and appointment.zoom_retry_at > now:
        # Zoom asked us to wait (Retry-After, backoff, daily limit): come back then, calling nothing.
        request_reconcile(appointment_id, at=appointment.zoom_retry_at)
        return "deferred"
    try:
        client = ZoomClient.for_org(appointment.org_id, timeout=float(setting("ZOOM_API_TIMEOUT_SECONDS")))
        if wants_meeting(appointment):
            return _ensure_meeting(client, run)
        return _remove_meeting(client, run)
    except ZoomRateLimited as exc:
        db.session.rollback()
        if exc.daily:
            return _wait_for_daily_limit(run, exc)
        return _retry_later(run, exc, exc.retry_after)
    except ZoomTransientError as exc:
        db.session.rollback()
        return _retry_later(run, exc, None)
    except (ZoomNotConnected, ZoomAuthError) as exc:
        db.session.rollback()
        return _disconnected(run, exc)
    except ZoomError as exc:  # ZoomRequestError and anything else Zoom refused for good
        db.session.rollback()
        return _fail(run, _request_failure_reason(exc))


def _ensure_meeting(client: ZoomClient, run: _Run) -> str:
    appointment = run.appointment
    if appointment.zoom_meeting_is_a_former_clients:
        _drop_former_clients_meeting(client, run)
    if appointment.zoom_meeting_id is not None:
        changes = pending_changes(appointment)
        if not changes:
            return _settle(run, "ready", None)
        try:
            client.update_meeting(appointment.zoom_meeting_id, changes, log_context=run.context("update"))
        except ZoomNotFound:
            # Deleted in Zoom behind our back: the appointment still wants one, so a new one is made.
            _forget_meeting(appointment)
            appointment.zoom_tracking_key = None
            audit.record(
                appointment.org_id,
                "zoom_meeting_missing",
                "The Zoom meeting no longer existed in Zoom; creating a new one.",
                appointment_id=appointment.id,
            )
        else:
            _remember_synced(appointment, changes)
            return _settle(run, "ready", "zoom_meeting_updated", _describe(changes))
    return _create_meeting(client, run)


def _drop_former_clients_meeting(client: ZoomClient, run: _Run) -> None:
    """Delete the meeting a former client was sent, and forget it (tracking key too) before creating anew.

    Committed before the create: a retry after a crash then creates (or, by the new tracking key, finds)
    the new client's meeting and can never adopt the old one. A crash before this commit repeats the
    DELETE, and a 404 counts as done.
    """
    appointment = run.appointment
    old_id = appointment.zoom_meeting_id
    with suppress(ZoomNotFound):
        client.delete_meeting(old_id, log_context=run.context("delete-former-client"))
    _forget_meeting(appointment)
    appointment.zoom_tracking_key = None
    audit.record(
        appointment.org_id,
        "zoom_meeting_replaced",
        f"Meeting {old_id} deleted: it was made for the previous client. Creating a new one.",
        appointment_id=appointment.id,
    )
    db.session.commit()


def _create_meeting(client: ZoomClient, run: _Run) -> str:
    appointment = run.appointment
    key = appointment.zoom_tracking_key
    if key:
        found = _find_by_tracking_key(client, key, run)
        if found:
            # The answer to an earlier create was lost (crash, timeout): that meeting is ours.
            keep, extras = found[0], found[1:]
            _delete_duplicates(client, appointment, extras, run)
            meeting = client.get_meeting(keep["id"], log_context=run.context("adopt"))
            _adopt(appointment, meeting)
            if pending_changes(appointment):
                db.session.commit()  # keep the meeting; the next round PATCHes it to the current values
                return "again"
            return _settle(
                run, "ready", "zoom_meeting_created", "Found the meeting an earlier attempt created."
            )
    else:
        key = f"conecta-{appointment.id}-{secrets.token_hex(6)}"
        appointment.zoom_tracking_key = key
        db.session.commit()  # recorded BEFORE the create: a retry can always look for it
    body = meeting_body(appointment, key)
    meeting = client.create_meeting(body, log_context=run.context("create"))
    _adopt(appointment, meeting)
    # What we asked for is what Zoom has now (Zoom may echo times in another format).
    appointment.zoom_synced_start_at = appointment.starts_at
    appointment.zoom_synced_duration = body["duration"]
    appointment.zoom_synced_topic = body["topic"]
    outcome = _settle(run, "ready", "zoom_meeting_created", f"Meeting {appointment.zoom_meeting_id} created.")
    if run.attempt > 1:
        # An earlier attempt failed without an answer (timeout, 5xx): Zoom may still finish that create
        # after our search missed it. Look once more, later, and delete any twin.
        _request_duplicate_check(appointment.id)
    return outcome


def _find_by_tracking_key(client: ZoomClient, key: str, run: _Run) -> list[dict[str, Any]]:
    """Every upcoming meeting of the host whose agenda carries our key, oldest first."""
    found = [
        meeting
        for meeting in client.iter_upcoming_meetings(log_context=run.context("find"))
        if key in (meeting.get("agenda") or "")
    ]
    return sorted(found, key=lambda m: (m.get("created_at") or "", int(m["id"])))


def _delete_duplicates(
    client: ZoomClient, appointment: Appointment, extras: list[dict[str, Any]], run: _Run
) -> None:
    for meeting in extras:
        with suppress(ZoomNotFound):
            client.delete_meeting(meeting["id"], log_context=run.context("delete-duplicate"))
        audit.record(
            appointment.org_id,
            "zoom_duplicate_deleted",
            f"Deleted meeting {meeting['id']}, a second copy left by a lost answer from Zoom.",
            appointment_id=appointment.id,
        )


def check_duplicates(appointment_id: int) -> int:
    """After a create that followed a lost answer: delete meetings carrying our key other than ours."""
    with appointment_lock(appointment_id, blocking_timeout=_lock_wait()) as acquired:
        if not acquired:
            _request_duplicate_check(appointment_id)
            return 0
        appointment = _load(appointment_id)
        if appointment is None or not appointment.zoom_tracking_key or not appointment.zoom_meeting_id:
            return 0
        run = _Run(appointment, appointment.zoom_sync_requested_at or utcnow(), 1)
        try:
            client = ZoomClient.for_org(
                appointment.org_id, timeout=float(setting("ZOOM_API_TIMEOUT_SECONDS"))
            )
            found = _find_by_tracking_key(client, appointment.zoom_tracking_key, run)
            extras = [m for m in found if str(m["id"]) != appointment.zoom_meeting_id]
            _delete_duplicates(client, appointment, extras, run)
        except ZoomError as exc:
            db.session.rollback()
            log.info("zoom_sync duplicate_check_failed appointment_id=%s error=%s", appointment_id, exc)
            return 0
        db.session.commit()
        return len(extras)


def _request_duplicate_check(appointment_id: int) -> None:
    at = utcnow() + timedelta(seconds=float(setting("ZOOM_DUPLICATE_CHECK_SECONDS")))
    try:
        jobs.enqueue(
            DUPLICATE_CHECK_JOB,
            appointment_id,
            job_id=f"zoom-duplicates-{appointment_id}-{secrets.token_hex(3)}",
            at=at,
            job_timeout=int(setting("ZOOM_SYNC_LOCK_SECONDS")),
        )
    except RedisError:
        log.warning("zoom_sync could not schedule a duplicate check for appointment %s", appointment_id)


def _remove_meeting(client: ZoomClient, run: _Run) -> str:
    appointment = run.appointment
    meeting_id = appointment.zoom_meeting_id
    if meeting_id is None and appointment.zoom_tracking_key:
        # A create may have reached Zoom without our hearing back: find it so it does not linger.
        found = _find_by_tracking_key(client, appointment.zoom_tracking_key, run)
        if found:
            meeting_id = str(found[0]["id"])
            _delete_duplicates(client, appointment, found[1:], run)
    if meeting_id is None:
        appointment.zoom_tracking_key = None
        return _settle(run, "none", None)
    with suppress(ZoomNotFound):  # already gone: that is what we wanted
        client.delete_meeting(meeting_id, log_context=run.context("delete"))
    _forget_meeting(appointment)
    appointment.zoom_tracking_key = None
    why = "cancelled" if appointment.is_cancelled else "its service has no Zoom meetings"
    return _settle(run, "deleted", "zoom_meeting_deleted", f"Meeting {meeting_id} deleted ({why}).")


def _adopt(appointment: Appointment, meeting: dict[str, Any]) -> None:
    """Store what we keep of a meeting (DESIGN.md §5): id, join URL, start URL, passcode — if any."""
    appointment.zoom_meeting_id = str(meeting["id"])
    appointment.zoom_client_id = appointment.client_id
    appointment.zoom_join_url = meeting.get("join_url")
    appointment.zoom_start_url = meeting.get("start_url")
    appointment.zoom_start_url_issued_at = utcnow() if meeting.get("start_url") else None
    appointment.zoom_passcode = meeting.get("password") or None  # optional everywhere
    appointment.zoom_synced_start_at = _parse_zoom_time(meeting.get("start_time"))
    appointment.zoom_synced_duration = meeting.get("duration")
    appointment.zoom_synced_topic = meeting.get("topic")


def _parse_zoom_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _remember_synced(appointment: Appointment, changes: dict[str, Any]) -> None:
    if "start_time" in changes:
        appointment.zoom_synced_start_at = appointment.starts_at
    if "duration" in changes:
        appointment.zoom_synced_duration = changes["duration"]
    if "topic" in changes:
        appointment.zoom_synced_topic = changes["topic"]


def _forget_meeting(appointment: Appointment) -> None:
    appointment.zoom_meeting_id = None
    appointment.zoom_client_id = None
    appointment.zoom_join_url = None
    appointment.zoom_start_url = None
    appointment.zoom_start_url_issued_at = None
    appointment.zoom_passcode = None
    appointment.zoom_synced_start_at = None
    appointment.zoom_synced_duration = None
    appointment.zoom_synced_topic = None


def _describe(changes: dict[str, Any]) -> str:
    names = {"start_time": "time", "duration": "duration", "topic": "topic"}
    return "Zoom meeting updated: " + ", ".join(names[k] for k in changes if k in names) + "."


def _compare_and_clear(run: _Run) -> bool:
    """Clear the mark only if no newer save re-marked the appointment while we worked. (A save that
    cleared it — Zoom disconnected meanwhile — asks for nothing newer: our outcome stands.)"""
    result = db.session.execute(
        update(Appointment)
        .where(
            Appointment.id == run.appointment.id,
            or_(Appointment.zoom_sync_requested_at == run.mark, Appointment.zoom_sync_requested_at.is_(None)),
        )
        .values(zoom_sync_requested_at=None, zoom_attempts=0, zoom_retry_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _settle(run: _Run, state: str, event: str | None, detail: str = "") -> str:
    """Commit the outcome. If the appointment changed meanwhile, keep it pending and go round again."""
    appointment = run.appointment
    cleared = _compare_and_clear(run)
    appointment.zoom_error = None
    if not cleared:
        if event:
            audit.record(appointment.org_id, event, detail, appointment_id=appointment.id)
        appointment.zoom_state = "pending"
        db.session.commit()
        return "again"
    if event:
        _set_state(appointment, state, event, detail)
    else:
        _set_state(appointment, state, f"zoom_state_{state}", "In line with Zoom.")
    db.session.commit()
    _signal_settled(appointment.id, state)
    return state


def _signal_settled(appointment_id: int, state: str) -> None:
    try:
        zoom_settled.send(appointment_id, zoom_state=state)
    except Exception:  # a listener's failure (e.g. queuing an email) must not undo the sync
        log.exception("zoom_settled receiver failed for appointment %s", appointment_id)


def _fail(run: _Run, reason: str) -> str:
    """A permanent failure: `failed` with a reason staff can act on (Retry starts over)."""
    appointment = run.appointment
    cleared = _compare_and_clear(run)
    if not cleared:
        db.session.commit()
        return "again"  # the appointment changed: the change deserves its own attempt
    appointment.zoom_error = reason
    _set_state(appointment, "failed", "zoom_meeting_failed", reason)
    db.session.commit()
    _signal_settled(appointment.id, "failed")
    return "failed"


def _request_failure_reason(exc: ZoomError) -> str:
    if isinstance(exc, ZoomRequestError) and exc.code in (3000, 3002):
        return f"Zoom would not change the meeting because it has already started. ({exc.message})"
    return f"Zoom refused the request: {exc.message}"


def _disconnected(run: _Run, exc: ZoomError) -> str:
    """The connection is gone or no longer accepted: existing meetings are left exactly as they are."""
    appointment = run.appointment
    if not _compare_and_clear(run):
        db.session.commit()
        return "again"
    if not wants_meeting(appointment) and appointment.zoom_meeting_id is not None:
        appointment.zoom_error = DISCONNECTED_LEFT
        _set_state(appointment, "left", "zoom_meeting_left", f"{DISCONNECTED_LEFT} ({exc.message})")
        state = "left"
    elif wants_meeting(appointment) and appointment.zoom_meeting_is_a_former_clients:
        appointment.zoom_error = f"{DISCONNECTED_NOT_REPLACED} ({exc.message})"
        _set_state(appointment, "failed", "zoom_meeting_failed", appointment.zoom_error)
        state = "failed"
    elif wants_meeting(appointment) and appointment.zoom_meeting_id is not None:
        appointment.zoom_error = DISCONNECTED_NOT_UPDATED
        _set_state(appointment, "ready", "zoom_meeting_not_updated", f"{exc.message}")
        state = "ready"
    elif wants_meeting(appointment):
        appointment.zoom_error = f"{DISCONNECTED_NOT_CREATED} ({exc.message})"
        _set_state(appointment, "failed", "zoom_meeting_failed", appointment.zoom_error)
        state = "failed"
    else:
        appointment.zoom_error = None
        appointment.zoom_tracking_key = None
        _set_state(appointment, "none", "zoom_sync_dropped", exc.message)
        state = "none"
    db.session.commit()
    _signal_settled(appointment.id, state)
    return state


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with a little jitter, never sooner than Zoom's Retry-After."""
    base = float(setting("ZOOM_RETRY_BASE_SECONDS"))
    delay = min(float(setting("ZOOM_RETRY_CAP_SECONDS")), base * 2 ** max(0, attempt - 1))
    delay *= 1 + random.random() * 0.2
    return max(delay, retry_after or 0.0)


def _retry_later(run: _Run, exc: ZoomError, retry_after: float | None) -> str:
    """A transient failure: try again after a backoff; after too many, give up with a reason."""
    appointment = _load(run.appointment.id)
    if appointment is None:
        return "gone"
    run.appointment = appointment
    attempts = appointment.zoom_attempts + 1
    if attempts >= int(setting("ZOOM_RETRY_MAX_ATTEMPTS")):
        return _fail(run, f"Zoom did not respond properly after {attempts} attempts. {exc.message}")
    delay = backoff_seconds(attempts, retry_after)
    appointment.zoom_attempts = attempts
    appointment.zoom_retry_at = utcnow() + timedelta(seconds=delay)
    appointment.zoom_error = f"{exc.message} Next attempt in {delay:.0f} s."
    db.session.commit()
    log.info(
        "zoom_sync retry_scheduled appointment_id=%s attempt=%s delay_s=%.1f error=%s",
        appointment.id,
        attempts,
        delay,
        type(exc).__name__,
    )
    request_reconcile(appointment.id, at=appointment.zoom_retry_at)
    return "retrying"


def _wait_for_daily_limit(run: _Run, exc: ZoomRateLimited) -> str:
    """Zoom's 100 creates/updates per host per day are spent: wait for 00:00 GMT, and say so."""
    appointment = _load(run.appointment.id)
    if appointment is None:
        return "gone"
    resume_at = exc.resume_at or (
        datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    )
    appointment.zoom_retry_at = resume_at + timedelta(seconds=random.uniform(5, 120))
    appointment.zoom_error = (
        "Zoom's daily limit of meeting creations and updates for this host is reached. "
        f"Conecta will try again after 00:00 GMT ({resume_at:%d %b %H:%M} GMT)."
    )
    audit.record(
        appointment.org_id, "zoom_sync_deferred", appointment.zoom_error, appointment_id=appointment.id
    )
    db.session.commit()
    request_reconcile(appointment.id, at=appointment.zoom_retry_at)
    return "waiting-daily-limit"


def mark_failed_unexpectedly(appointment_id: int) -> None:
    """RQ gave up on a job that crashed (not a Zoom error): show it to staff with a Retry button."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.zoom_sync_requested_at is None:
        return
    _clear_mark(appointment)
    appointment.zoom_error = UNEXPECTED_FAILURE
    _set_state(appointment, "failed", "zoom_meeting_failed", UNEXPECTED_FAILURE)
    db.session.commit()
    _signal_settled(appointment.id, "failed")


# ---- start URLs ---------------------------------------------------------------------------------------


def start_url_is_fresh(appointment: Appointment, now: datetime | None = None) -> bool:
    issued = appointment.zoom_start_url_issued_at
    if not appointment.zoom_start_url or issued is None:
        return False
    age = (now or utcnow()) - issued
    return age < timedelta(minutes=float(setting("ZOOM_START_URL_FRESH_MINUTES")))


def fresh_start_url(appointment: Appointment, *, timeout: float | None = None) -> str:
    """The host's start URL, fetched anew from Zoom when the stored one is too old. Raises ZoomError."""
    if start_url_is_fresh(appointment):
        return appointment.zoom_start_url  # type: ignore[return-value]
    if appointment.zoom_meeting_id is None:
        raise ZoomNotFound("This appointment has no Zoom meeting.")
    client = ZoomClient.for_org(
        appointment.org_id, timeout=timeout or float(setting("ZOOM_START_TIMEOUT_SECONDS"))
    )
    meeting_id = appointment.zoom_meeting_id
    meeting = client.get_meeting(
        meeting_id, log_context={"appointment_id": appointment.id, "step": "start_url"}
    )
    start_url = meeting.get("start_url")
    if not start_url:
        raise ZoomTransientError("Zoom did not send a start link.")
    # Stored only if the meeting is still this one: a reconcile may have replaced it meanwhile (this
    # path, from the Start button, runs without the appointment's lock).
    stored = db.session.execute(
        update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.zoom_meeting_id == meeting_id)
        .values(zoom_start_url=start_url, zoom_start_url_issued_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not stored:
        raise ZoomTransientError("The Zoom meeting was just replaced; try again in a moment.")
    return start_url


def refresh_start_url(appointment_id: int) -> str:
    """Renew a stored start URL ahead of the meeting (from the sweep), so Start rarely waits on Zoom."""
    with appointment_lock(appointment_id, blocking_timeout=0) as acquired:
        if not acquired:
            return "busy"  # a reconcile is at work; the next sweep looks again
        appointment = _load(appointment_id)
        if appointment is None or appointment.zoom_state != "ready" or appointment.zoom_meeting_id is None:
            return "skipped"
        if appointment.zoom_start_url_issued_at is not None and (
            utcnow() - appointment.zoom_start_url_issued_at
            < timedelta(minutes=float(setting("ZOOM_START_URL_REFRESH_MINUTES")))
        ):
            return "fresh"
        appointment.zoom_start_url_issued_at = None  # forces the fetch below
        try:
            fresh_start_url(appointment, timeout=float(setting("ZOOM_API_TIMEOUT_SECONDS")))
        except ZoomNotFound:
            db.session.rollback()
            appointment = _load(appointment_id)
            if appointment is None:
                return "gone"
            # The meeting vanished in Zoom: the appointment still wants one, so sync makes a new one.
            _forget_meeting(appointment)
            appointment.zoom_tracking_key = None
            _set_state(
                appointment, "pending", "zoom_meeting_missing", "The meeting no longer exists in Zoom."
            )
            _mark(appointment)
            db.session.commit()
            request_reconcile(appointment_id)
            return "recreating"
        except ZoomError as exc:
            db.session.rollback()
            log.info("zoom_sync start_url_refresh_failed appointment_id=%s error=%s", appointment_id, exc)
            return "failed"
        return "refreshed"


def _request_refresh(appointment_id: int) -> bool:
    conn = jobs.redis_conn()
    if not conn.set(jobs.redis_key("zoom", "refreshing", appointment_id), "1", nx=True, ex=120):
        return False
    jobs.enqueue(
        REFRESH_JOB, appointment_id, job_id=f"zoom-start-url-{appointment_id}-{secrets.token_hex(3)}"
    )
    return True


# ---- the sweep -----------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    requeued: int
    refreshing: int


def sweep(now: datetime | None = None) -> SweepResult:
    """Re-enqueue appointments still marked after a minute (a job lost with Redis or a worker), and renew
    start URLs of meetings starting within the next two hours."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=float(setting("ZOOM_SWEEP_MIN_AGE_SECONDS")))
    due = db.session.scalars(
        select(Appointment.id)
        .where(
            Appointment.zoom_sync_requested_at.is_not(None),
            Appointment.zoom_sync_requested_at <= cutoff,
            or_(Appointment.zoom_retry_at.is_(None), Appointment.zoom_retry_at <= cutoff),
        )
        .order_by(Appointment.zoom_sync_requested_at)
        .limit(1000)
    ).all()
    requeued = sum(1 for appointment_id in due if request_reconcile(appointment_id))
    stale_before = now - timedelta(minutes=float(setting("ZOOM_START_URL_REFRESH_MINUTES")))
    starting_soon = db.session.scalars(
        select(Appointment.id).where(
            Appointment.zoom_state == "ready",
            Appointment.zoom_meeting_id.is_not(None),
            Appointment.status == "booked",
            Appointment.starts_at <= now + START_URL_WINDOW,
            Appointment.starts_at >= now - timedelta(hours=1),
            or_(
                Appointment.zoom_start_url_issued_at.is_(None),
                Appointment.zoom_start_url_issued_at <= stale_before,
            ),
        )
    ).all()
    refreshing = sum(1 for appointment_id in starting_soon if _request_refresh(appointment_id))
    if requeued or refreshing:
        log.info("zoom_sync sweep requeued=%s refreshing_start_urls=%s", requeued, refreshing)
    return SweepResult(requeued, refreshing)


def _sweep_key() -> str:
    return jobs.redis_key("zoom", "sweep-scheduled")


def schedule_sweep() -> bool:
    """Keep exactly one sweep on the schedule. Every worker calls this (at start and on its maintenance
    tick); the NX key makes the first one win, and the key's expiry revives a chain Redis lost."""
    interval = float(setting("ZOOM_SWEEP_INTERVAL_SECONDS"))
    conn = jobs.redis_conn()
    if not conn.set(_sweep_key(), "1", nx=True, ex=max(2, int(interval * 2) + 5)):
        return False
    due = utcnow() + timedelta(seconds=interval)
    jobs.enqueue(SWEEP_JOB, job_id=f"zoom-sweep-{due:%Y%m%d%H%M%S%f}", at=due, job_timeout=300)
    return True


def run_sweep_and_reschedule() -> SweepResult:
    """The sweep job: sweep, then put the next one on the schedule (even if this one failed)."""
    try:
        return sweep()
    finally:
        try:
            jobs.redis_conn().delete(_sweep_key())
            schedule_sweep()
        except RedisError:
            log.warning("zoom_sync could not schedule the next sweep; a worker will revive it")


# ---- ops ------------------------------------------------------------------------------------------------


@dataclass
class Status:
    counts: dict[str, int]
    marked: int
    oldest_pending: Appointment | None


def status() -> Status:
    """What `flask zoom-status` prints: appointments per Zoom state and the oldest still pending."""
    from sqlalchemy import func

    rows = db.session.execute(
        select(Appointment.zoom_state, func.count()).group_by(Appointment.zoom_state)
    ).all()
    counts = {state: 0 for state in ("none", "pending", "ready", "failed", "deleted", "left")}
    counts.update({state: n for state, n in rows})
    marked = (
        db.session.scalar(select(func.count()).where(Appointment.zoom_sync_requested_at.is_not(None))) or 0
    )
    oldest = db.session.scalar(
        select(Appointment)
        .where(Appointment.zoom_state == "pending")
        .order_by(
            Appointment.zoom_sync_requested_at.is_(None), Appointment.zoom_sync_requested_at, Appointment.id
        )
        .limit(1)
    )
    return Status(counts, marked, oldest)
