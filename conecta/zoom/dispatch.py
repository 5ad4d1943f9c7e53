"""Zoom's background work: the RQ jobs, and the one way each is enqueued.

Jobs are enqueued by function reference with deterministic ids ("zoom-reconcile-7"; one "…-later" slot
per appointment for a scheduled retry). Enqueuing the same work twice is harmless by design: the job is
level-triggered and holds the appointment's lease, so no de-duplication is needed on RQ's side.

After a reconcile the job carries out what its `Outcome` asks: the Zoom panels waiting on the
appointment are told to look again (`conecta.zoom.panel_push`); when the meeting settled, the email that
waited for it goes out (`conecta.mail.zoom_release.release_after_zoom`); a retry, a backoff or a busy lease puts
the job back on the schedule. (A create whose answer was lost is followed up by `conecta.zoom.attempts`.)
If Redis is down when enqueuing, the "sync needed" mark stays in the database and the sweep
(`conecta.zoom.sweep`) enqueues it again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from rq import Retry

from conecta import jobs
from conecta.extensions import db
from conecta.mail import send as mail_send
from conecta.mail import zoom_release
from conecta.models.types import utcnow
from conecta.zoom import outcome, panel_push, reconcile, start_link

log = logging.getLogger("conecta.zoom.sync")


def _enqueue(func: Any, appointment_id: int, job_id: str, at: datetime | None = None, **options: Any) -> bool:
    """Enqueue now, or at `at`; False (logged) when Redis is unreachable."""
    later = at is not None and at > utcnow()
    try:
        jobs.enqueue(
            func,
            appointment_id,
            job_id=f"{job_id}-later" if later else job_id,
            at=at if later else None,
            job_timeout=int(current_app.config["ZOOM_JOB_TIMEOUT_SECONDS"]),
            **options,
        )
    except RedisError as exc:
        log.warning(
            "zoom_sync enqueue_failed job=%s error=%s (the sweep picks it up)", job_id, type(exc).__name__
        )
        return False
    return True


def request_reconcile(appointment_id: int, *, at: datetime | None = None, at_front: bool = False) -> bool:
    """Put a reconcile of the appointment on its way (now, or at `at`)."""
    intervals = list(current_app.config["ZOOM_CRASH_RETRY_SECONDS"])
    return _enqueue(
        reconcile_job,
        appointment_id,
        f"zoom-reconcile-{appointment_id}",
        at,
        at_front=at_front,
        # RQ's own retry is for the unexpected (a bug, the database gone away); Zoom's errors are
        # handled inside the reconcile, with the bookkeeping on the row.
        retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
        on_failure=on_reconcile_failure,
    )


def rerun(job: str, appointment_id: int, *args: Any) -> None:
    """A job that met the appointment's lease, handed back by the holder on release
    (`conecta.zoom.lock.wake`): at the front of the queue, since it was due when it came."""
    if job == "reconcile":
        request_reconcile(appointment_id, at_front=True)
    elif job == "change":
        from conecta.zoom.meeting_events import MeetingEvent
        from conecta.zoom.zoom_changes import request_change

        request_change(appointment_id, MeetingEvent(**args[0]), at_front=True)
    elif job == "check":
        from conecta.zoom.health import request_check

        request_check(appointment_id, datetime.fromisoformat(args[0]), at_front=True)
    else:
        log.error("zoom_sync unknown noted job %r for appointment %s", job, appointment_id)


def request_start_url_refresh(appointment_id: int) -> bool:
    return _enqueue(refresh_start_url_job, appointment_id, f"zoom-start-url-{appointment_id}")


def follow(appointment_id: int, result: outcome.Outcome) -> None:
    """Carry out what a reconcile's outcome asks for. First of all, panels waiting on the appointment
    look again (the outcome is committed): that is when Join appears on screen."""
    panel_push.publish(appointment_id)
    if result.settled:
        release_waiting_email(appointment_id)
    if result.again_at is not None:
        request_reconcile(appointment_id, at=result.again_at)


def release_waiting_email(appointment_id: int) -> None:
    """The meeting settled: the confirmation that waited for its link goes now (or the link follows).
    A failure here must not undo the sync: it is logged, and the email sweep catches up."""
    try:
        for outbox_id in zoom_release.release_after_zoom(appointment_id):
            mail_send.enqueue_send(outbox_id)
    except Exception:
        db.session.rollback()
        log.exception(
            "releasing the email of appointment %s failed; the email sweep catches up", appointment_id
        )


# ---- the jobs ---------------------------------------------------------------------------------------


@jobs.app_job
def reconcile_job(appointment_id: int) -> str:
    # Everything this job decides on is read afresh: each reconcile round loads the appointment
    # (`outcome.load`), the email release re-reads it under its row lock. So its commits need not expire
    # what the session holds -- which cost a reload of the appointment after every commit.
    db.session().expire_on_commit = False
    return _followed(appointment_id, reconcile.reconcile(appointment_id))


@jobs.app_job
def refresh_start_url_job(appointment_id: int) -> str:
    return _followed(appointment_id, start_link.refresh_start_url(appointment_id))


def _followed(appointment_id: int, result: outcome.Outcome) -> str:
    follow(appointment_id, result)
    return result.result


@jobs.app_job
def on_reconcile_failure(job: Any, connection: Any, exc_type: Any, exc_value: Any, tb: Any) -> None:
    """RQ calls this after every failed attempt of a reconcile job that raised (not a Zoom error: those
    are handled inside). Only once RQ's own retries are spent does the appointment show `failed`."""
    appointment_id = job.args[0] if job.args else None
    log.error(
        "zoom_sync job_crashed appointment_id=%s retries_left=%s error=%s",
        appointment_id,
        job.retries_left,
        getattr(exc_type, "__name__", exc_type),
    )
    if (
        appointment_id is not None
        and not job.retries_left
        and outcome.mark_failed_unexpectedly(int(appointment_id))
    ):
        panel_push.publish(int(appointment_id))
        release_waiting_email(int(appointment_id))
