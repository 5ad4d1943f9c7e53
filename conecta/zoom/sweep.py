"""The Zoom safety net, run periodically by the worker (`conecta.periodic`), and the ops summary.

`sweep()` re-enqueues every appointment still marked "sync needed" after a minute (its job was lost with
Redis or a worker: the mark is in the database, so nothing is forgotten), marks for a sync the meetings
whose PATCH lost its answer once their `verify_at` has come (the reconcile reads them back), and renews
the hosts' start URLs of meetings starting within two hours. `status()` is what `flask zoom-status` prints.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from conecta.extensions import db
from conecta.models import Appointment, ZoomMeeting, ZoomState
from conecta.models.types import utcnow
from conecta.models.zoom import ZoomConnection
from conecta.zoom.dispatch import request_reconcile, request_start_url_refresh

log = logging.getLogger("conecta.zoom.sync")

START_URL_WINDOW = timedelta(hours=2)
BATCH = 1000


@dataclass
class SweepResult:
    requeued: int
    refreshing: int


def sweep(now: datetime | None = None) -> SweepResult:
    """Re-enqueue lost syncs and renew start URLs of meetings about to start."""
    now = now or utcnow()
    config = current_app.config
    cutoff = now - timedelta(seconds=float(config["ZOOM_SWEEP_MIN_AGE_SECONDS"]))
    due = db.session.scalars(
        select(ZoomMeeting.appointment_id)
        .where(
            ZoomMeeting.sync_requested_at.is_not(None),
            ZoomMeeting.sync_requested_at <= cutoff,
            or_(ZoomMeeting.retry_at.is_(None), ZoomMeeting.retry_at <= cutoff),
        )
        .order_by(ZoomMeeting.sync_requested_at)
        .limit(BATCH)
    ).all()
    requeued = sum(
        1 for appointment_id in [*due, *_mark_unverified(now)] if request_reconcile(appointment_id)
    )
    stale_before = now - timedelta(minutes=float(config["ZOOM_START_URL_REFRESH_MINUTES"]))
    starting_soon = db.session.scalars(
        select(ZoomMeeting.appointment_id)
        .join(Appointment)
        .where(
            ZoomMeeting.state == ZoomState.READY,
            ZoomMeeting.meeting_id.is_not(None),
            Appointment.status == "booked",
            Appointment.starts_at <= now + START_URL_WINDOW,
            Appointment.starts_at >= now - timedelta(hours=1),
            or_(ZoomMeeting.start_url_issued_at.is_(None), ZoomMeeting.start_url_issued_at <= stale_before),
        )
        .limit(BATCH)
    ).all()
    refreshing = sum(1 for appointment_id in starting_soon if request_start_url_refresh(appointment_id))
    if requeued or refreshing:
        log.info("zoom_sync sweep requeued=%s refreshing_start_urls=%s", requeued, refreshing)
    return SweepResult(requeued, refreshing)


def _mark_unverified(now: datetime) -> list[int]:
    """Meetings whose PATCH lost its answer, due to be read back: marked for a sync (while connected)."""
    ids = db.session.scalars(
        select(ZoomMeeting.appointment_id)
        .join(Appointment)
        .join(ZoomConnection, ZoomConnection.org_id == Appointment.org_id)
        .where(
            ZoomMeeting.verify_at <= now,
            ZoomMeeting.sync_requested_at.is_(None),
            ZoomConnection.status == "active",
        )
        .limit(BATCH)
    ).all()
    if ids:
        db.session.execute(
            update(ZoomMeeting)
            .where(ZoomMeeting.appointment_id.in_(ids), ZoomMeeting.sync_requested_at.is_(None))
            .values(sync_requested_at=utcnow())
        )
        db.session.commit()
    return list(ids)


@dataclass
class Status:
    counts: dict[str, int]
    marked: int
    oldest_pending: ZoomMeeting | None


def status() -> Status:
    """Appointments per Zoom state (those that never involved Zoom count as "none"), how many are
    marked for a sync job, and the oldest one still pending."""
    rows = db.session.execute(select(ZoomMeeting.state, func.count()).group_by(ZoomMeeting.state)).all()
    counts = {str(state): 0 for state in ZoomState}
    counts.update({str(state): n for state, n in rows})
    with_row = sum(n for _, n in rows)
    counts[ZoomState.NONE] += (db.session.scalar(select(func.count(Appointment.id))) or 0) - with_row
    marked = db.session.scalar(select(func.count()).where(ZoomMeeting.sync_requested_at.is_not(None))) or 0
    oldest = db.session.scalar(
        select(ZoomMeeting)
        .where(ZoomMeeting.state == ZoomState.PENDING)
        .order_by(
            ZoomMeeting.sync_requested_at.is_(None), ZoomMeeting.sync_requested_at, ZoomMeeting.appointment_id
        )
        .limit(1)
    )
    return Status(counts, marked, oldest)
