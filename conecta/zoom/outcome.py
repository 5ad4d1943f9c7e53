"""How a reconcile ends: the state it commits, written to the audit log, and what should happen next.

Every ending first clears the "sync needed" mark -- but only if no newer save re-marked the appointment
while the job worked (compare-and-clear). If one did, the outcome is "again": the reconciler goes round
once more, reading the appointment as it is now.

`Outcome` tells the job what follows (`conecta.zoom.dispatch`): `settled` -- a final state was committed,
so an email that waited for the meeting can go; `again_at` -- run the reconcile again then (a backoff,
Retry-After, the daily limit, a busy lock).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from conecta import audit
from conecta.extensions import db
from conecta.models import Appointment, ZoomMeeting, ZoomState
from conecta.models.types import utcnow
from conecta.zoom.decide import disconnected_outcome
from conecta.zoom.errors import ZoomError, ZoomRateLimited, ZoomRequestError

log = logging.getLogger("conecta.zoom.sync")

UNEXPECTED_FAILURE = "Something went wrong on our side while talking to Zoom. Retry, or ask for help."


@dataclass(frozen=True)
class Outcome:
    result: str  # what happened, for logs and tests: ready, deleted, failed, retrying, busy, ...
    settled: bool = False
    again_at: datetime | None = None


AGAIN = Outcome("again")


def set_state(
    appointment: Appointment, state: ZoomState, event: str, detail: str = "", actor: Any = None
) -> None:
    """Change the Zoom state and write it to the audit log (only when it really changes, or `event` says
    something happened in Zoom)."""
    zoom = appointment.zoom
    if zoom.state == state and not event.startswith("zoom_meeting_"):
        return
    zoom.state = state
    audit.record(appointment.org_id, event, detail, actor=actor, appointment_id=appointment.id)


def load(appointment_id: int) -> Appointment | None:
    """The appointment and its meeting as committed now (a loop round must see other transactions)."""
    db.session.expire_all()
    return db.session.scalar(_load_query(), {"id": appointment_id})


@cache
def _load_query() -> Select:
    """Built once: every Zoom job runs it, and a statement built afresh pays for building its cache key
    again each time."""
    return (
        select(Appointment)
        .options(
            joinedload(Appointment.org),
            joinedload(Appointment.service),
            joinedload(Appointment.client),
            joinedload(Appointment.zoom),
        )
        .where(Appointment.id == bindparam("id"))
        .execution_options(populate_existing=True)
    )


@dataclass
class Run:
    """One pass over one appointment: what it started from, for the log lines and the compare-and-clear."""

    appointment: Appointment
    mark: datetime
    attempt: int

    def context(self, step: str) -> dict[str, Any]:
        return {"appointment_id": self.appointment.id, "step": step, "attempt": self.attempt}


def _compare_and_clear(run: Run) -> bool:
    """Clear the mark only if no save changed the appointment while we worked: it still carries the mark
    this run started from.

    A save may also have cleared the mark meanwhile (the appointment cancelled before anything reached
    Zoom, or Zoom disconnected: `conecta.zoom.plan`). What this run did may then be against what the
    appointment wants now -- a meeting just created for a cancelled appointment -- so the mark is set
    again and the reconciler goes round once more, from the appointment as it is.

    A plain UPDATE of the table: what the job changed on the meeting is flushed with its new state at
    the commit, in one statement, and the session's copy is told what this one wrote."""
    table = ZoomMeeting.__table__
    cleared = {"sync_requested_at": None, "attempts": 0, "retry_at": None}
    mine = table.c.appointment_id == run.appointment.id
    result = db.session.execute(
        update(table).where(mine, table.c.sync_requested_at == run.mark).values(**cleared)
    )
    if result.rowcount != 1:
        db.session.execute(
            update(table).where(mine, table.c.sync_requested_at.is_(None)).values(sync_requested_at=utcnow())
        )
        return False
    for name, value in cleared.items():
        set_committed_value(run.appointment.zoom, name, value)
    return True


def settle(run: Run, state: ZoomState, event: str | None, detail: str = "") -> Outcome:
    """Commit the outcome. If the appointment changed meanwhile, keep it pending and go round again."""
    appointment = run.appointment
    cleared = _compare_and_clear(run)
    appointment.zoom.error = None
    if not cleared:
        if event:
            audit.record(appointment.org_id, event, detail, appointment_id=appointment.id)
        appointment.zoom.state = ZoomState.PENDING
        db.session.commit()
        return AGAIN
    set_state(appointment, state, event or f"zoom_state_{state}", detail if event else "In line with Zoom.")
    db.session.commit()
    return Outcome(str(state), settled=True)


def fail(run: Run, reason: str) -> Outcome:
    """A permanent failure: `failed` with a reason staff can act on (Retry starts over)."""
    if not _compare_and_clear(run):
        db.session.commit()
        return AGAIN  # the appointment changed: the change deserves its own attempt
    run.appointment.zoom.error = reason
    set_state(run.appointment, ZoomState.FAILED, "zoom_meeting_failed", reason)
    db.session.commit()
    return Outcome("failed", settled=True)


def request_failure_reason(exc: ZoomError) -> str:
    if isinstance(exc, ZoomRequestError) and exc.code in (3000, 3002):
        return f"Zoom would not change the meeting because it has already started. ({exc.message})"
    return f"Zoom refused the request: {exc.message}"


def disconnected(run: Run, exc: ZoomError) -> Outcome:
    """The connection is gone or no longer accepted: existing meetings are left exactly as they are."""
    appointment = run.appointment
    if not _compare_and_clear(run):
        db.session.commit()
        return AGAIN
    state, reason = disconnected_outcome(appointment)
    zoom = appointment.zoom
    if state is ZoomState.READY:
        zoom.error = reason
        set_state(appointment, state, "zoom_meeting_not_updated", exc.message)
    elif state is ZoomState.NONE:
        zoom.error = None
        zoom.tracking_key = None
        set_state(appointment, state, "zoom_sync_dropped", exc.message)
    else:
        zoom.error = reason if state is ZoomState.LEFT else f"{reason} ({exc.message})"
        event = "zoom_meeting_left" if state is ZoomState.LEFT else "zoom_meeting_failed"
        set_state(appointment, state, event, f"{reason} ({exc.message})")
    db.session.commit()
    return Outcome(str(state), settled=True)


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with a little jitter, never sooner than Zoom's Retry-After."""
    config = current_app.config
    base = float(config["ZOOM_RETRY_BASE_SECONDS"])
    delay = min(float(config["ZOOM_RETRY_CAP_SECONDS"]), base * 2 ** max(0, attempt - 1))
    delay *= 1 + random.random() * 0.2
    return max(delay, retry_after or 0.0)


def retry_later(run: Run, exc: ZoomError, retry_after: float | None) -> Outcome:
    """A transient failure: try again after a backoff; after too many, give up with a reason."""
    appointment = load(run.appointment.id)
    if appointment is None or appointment.zoom is None:
        return Outcome("gone")
    run.appointment = appointment
    zoom = appointment.zoom
    attempts = zoom.attempts + 1
    if attempts >= int(current_app.config["ZOOM_RETRY_MAX_ATTEMPTS"]):
        return fail(run, f"Zoom did not respond properly after {attempts} attempts. {exc.message}")
    delay = backoff_seconds(attempts, retry_after)
    zoom.attempts = attempts
    zoom.retry_at = utcnow() + timedelta(seconds=delay)
    zoom.error = f"{exc.message} Next attempt in {delay:.0f} s."
    db.session.commit()
    log.info(
        "zoom_sync retry_scheduled appointment_id=%s attempt=%s delay_s=%.1f error=%s",
        appointment.id,
        attempts,
        delay,
        type(exc).__name__,
    )
    return Outcome("retrying", again_at=zoom.retry_at)


def wait_for_daily_limit(run: Run, exc: ZoomRateLimited) -> Outcome:
    """Zoom's 100 creates/updates per host per day are spent: wait for 00:00 GMT, and say so."""
    appointment = load(run.appointment.id)
    if appointment is None or appointment.zoom is None:
        return Outcome("gone")
    zoom = appointment.zoom
    resume_at = exc.resume_at or (
        datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    )
    zoom.retry_at = resume_at + timedelta(seconds=random.uniform(5, 120))
    # The budget is per host: only this meeting's host waits; other hosts' meetings carry on.
    host = f" ({zoom.host_email})" if zoom.host_email else ""
    zoom.error = (
        f"Zoom's daily limit of meeting creations and updates for this host{host} is reached. "
        f"Conecta will try again after 00:00 GMT ({resume_at:%d %b %H:%M} GMT)."
    )
    audit.record(appointment.org_id, "zoom_sync_deferred", zoom.error, appointment_id=appointment.id)
    db.session.commit()
    return Outcome("waiting-daily-limit", again_at=zoom.retry_at)


def mark_failed_unexpectedly(appointment_id: int) -> bool:
    """RQ gave up on a job that crashed (not a Zoom error): show it to staff with a Retry button.
    True if the appointment was still waiting for that job (and so settled now)."""
    zoom = db.session.get(ZoomMeeting, appointment_id)
    if zoom is None or zoom.sync_requested_at is None:
        return False
    zoom.clear_mark()
    zoom.error = UNEXPECTED_FAILURE
    set_state(zoom.appointment, ZoomState.FAILED, "zoom_meeting_failed", UNEXPECTED_FAILURE)
    db.session.commit()
    return True
