"""Recovery in seconds: when Zoom (or Redis) is back, what waited for it goes now -- spread out, not at once.

**Zoom back.** Every call to Zoom reports how it went (`ZoomClient.request` → `call_failed` /
`call_succeeded`). A transient failure (a timeout, a 5xx, a per-second 429) leaves a mark for the
organization in Redis; the first successful call after it clears the mark and enqueues `release_job`,
which brings forward the appointments of that organization held in backoff: instead of each waiting out
its own delay (up to ZOOM_RETRY_CAP_SECONDS), they are rescheduled from now on, ZOOM_RECOVERY_RATE per
second with up to ZOOM_RECOVERY_JITTER_SECONDS of jitter each, so a recovered Zoom is not hit by all of
them in the same second. A wait for Zoom's daily limit is not a backoff and is left alone (it is hours
long; only the next day ends it).

**Redis back.** Jobs queued or scheduled in Redis may be gone with it; the marks are in the database.
`worker.py` watches Redis (`RedisWatch`): when it answers again after failing, or has come back empty,
`after_redis_outage` enqueues every marked appointment within seconds -- the same spread, after one
lease-renewal period -- or, for one in backoff, at its own next try. Without this the sweep would find them only after ZOOM_SWEEP_MIN_AGE_SECONDS
and its own interval (a minute or two).
"""

from __future__ import annotations

import logging
import random
from contextlib import suppress
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select, update

from conecta import jobs
from conecta.extensions import db
from conecta.models import Appointment, ZoomMeeting
from conecta.models.types import utcnow
from conecta.zoom.errors import ZoomError, ZoomRateLimited, ZoomTransientError

log = logging.getLogger("conecta.zoom.sync")

FAILING_TTL_SECONDS = 3600
BATCH = 1000


def _failing_key(org_id: int) -> str:
    return jobs.redis_key("zoom", "failing", org_id)


def call_failed(org_id: int, exc: ZoomError) -> None:
    """Remember that Zoom failed this organization in a way a backoff waits out."""
    transient = isinstance(exc, ZoomTransientError) or (isinstance(exc, ZoomRateLimited) and not exc.daily)
    if not transient:
        return
    with suppress(RedisError):  # Redis away too: the backoffs stand, and the sweep catches up
        jobs.redis_conn().set(_failing_key(org_id), "1", ex=FAILING_TTL_SECONDS)


def call_succeeded(org_id: int) -> None:
    """Zoom answered this organization: if it had been failing, release its backoffs (once)."""
    with suppress(RedisError):
        if jobs.redis_conn().delete(_failing_key(org_id)):
            jobs.enqueue(release_job, org_id, job_id=f"zoom-recover-{org_id}", job_timeout=120)


def _spread(count: int, now: datetime) -> list[datetime]:
    """When each of `count` released appointments goes: at most ZOOM_RECOVERY_RATE a second, jittered."""
    config = current_app.config
    rate = max(0.1, float(config["ZOOM_RECOVERY_RATE"]))
    jitter = float(config["ZOOM_RECOVERY_JITTER_SECONDS"])
    return [now + timedelta(seconds=i / rate + random.uniform(0, jitter)) for i in range(count)]


@jobs.app_job
def release_job(org_id: int) -> int:
    return release_backoffs(org_id)


def release_backoffs(org_id: int, now: datetime | None = None) -> int:
    """Bring the organization's appointments held in backoff forward to now (spread); how many."""
    from conecta.zoom.dispatch import request_reconcile

    now = now or utcnow()
    horizon = now + timedelta(seconds=float(current_app.config["ZOOM_RETRY_CAP_SECONDS"]) * 1.5)
    rows = db.session.execute(
        select(ZoomMeeting.appointment_id, ZoomMeeting.retry_at)
        .join(Appointment)
        .where(
            Appointment.org_id == org_id,
            ZoomMeeting.sync_requested_at.is_not(None),
            ZoomMeeting.retry_at > now,
            ZoomMeeting.retry_at <= horizon,  # a backoff; a wait for the daily limit is hours long
        )
        .order_by(ZoomMeeting.retry_at)
        .limit(BATCH)
    ).all()
    # Never later than the backoff itself: a short one due sooner than its place in the spread keeps it.
    times = [min(at, row.retry_at) for row, at in zip(rows, _spread(len(rows), now), strict=True)]
    ids = [row.appointment_id for row in rows]
    for appointment_id, at in zip(ids, times, strict=True):
        db.session.execute(
            update(ZoomMeeting)
            .where(ZoomMeeting.appointment_id == appointment_id, ZoomMeeting.retry_at > at)
            .values(retry_at=at)
        )
    db.session.commit()
    for appointment_id, at in zip(ids, times, strict=True):
        request_reconcile(appointment_id, at=at)
    if ids:
        log.info("zoom_sync recovered org_id=%s released=%s", org_id, len(ids))
    return len(ids)


def after_redis_outage(now: datetime | None = None) -> int:
    """Redis is back: every marked appointment gets its job again -- soon (spread), or at its next try.

    "Soon" starts one lease-renewal period from now: a job still at work through the outage lost its
    lease with an empty Redis, and takes it back at its next renewal (`conecta.zoom.lock`); a job put
    back before that could work on the same appointment beside it."""
    from conecta.zoom.dispatch import request_reconcile

    renewal = float(current_app.config["ZOOM_LOCK_LEASE_SECONDS"]) / 3 + 1
    now = (now or utcnow()) + timedelta(seconds=renewal)
    rows = db.session.execute(
        select(ZoomMeeting.appointment_id, ZoomMeeting.retry_at)
        .where(ZoomMeeting.sync_requested_at.is_not(None))
        .order_by(ZoomMeeting.sync_requested_at)
        .limit(BATCH)
    ).all()
    db.session.rollback()
    due = [row.appointment_id for row in rows if row.retry_at is None or row.retry_at <= now]
    for appointment_id, at in zip(due, _spread(len(due), now), strict=True):
        request_reconcile(appointment_id, at=at)
    for row in rows:
        if row.retry_at is not None and row.retry_at > now:
            request_reconcile(row.appointment_id, at=row.retry_at)
    if rows:
        log.info("zoom_sync redis_back requeued=%s waiting=%s", len(due), len(rows) - len(due))
    return len(rows)
