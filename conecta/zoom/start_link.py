"""The host's Start link. Zoom's start URL carries the host's token and dies two hours after it is issued,
so a stored one is used only while it is young; otherwise the Start button fetches a fresh one (the one
Zoom call a web request may make, bounded by ZOOM_START_TIMEOUT_SECONDS), and the sweep renews the links
of meetings about to start so Start rarely waits. The start URL is never shown to a client.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update

from conecta.extensions import db
from conecta.models import Appointment, ZoomMeeting, ZoomState
from conecta.models.types import utcnow
from conecta.zoom.client import ZoomClient
from conecta.zoom.errors import ZoomError, ZoomNotFound, ZoomTransientError
from conecta.zoom.lock import appointment_lock
from conecta.zoom.outcome import Outcome, load, set_state

log = logging.getLogger("conecta.zoom.sync")


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=float(current_app.config[name]))


def start_url_is_fresh(zoom: ZoomMeeting, now: datetime | None = None) -> bool:
    issued = zoom.start_url_issued_at
    if not zoom.start_url or issued is None:
        return False
    return (now or utcnow()) - issued < _minutes("ZOOM_START_URL_FRESH_MINUTES")


def fresh_start_url(appointment: Appointment, *, timeout: float | None = None) -> str:
    """The host's start URL, fetched anew from Zoom when the stored one is too old. Raises ZoomError."""
    zoom = appointment.zoom
    if zoom is None or zoom.meeting_id is None:
        raise ZoomNotFound("This appointment has no Zoom meeting.")
    if start_url_is_fresh(zoom):
        return zoom.start_url  # type: ignore[return-value]
    client = ZoomClient.for_org(
        appointment.org_id, timeout=timeout or float(current_app.config["ZOOM_START_TIMEOUT_SECONDS"])
    )
    meeting_id = zoom.meeting_id
    meeting = client.get_meeting(
        meeting_id, log_context={"appointment_id": appointment.id, "step": "start_url"}
    )
    start_url = meeting.get("start_url")
    if not start_url:
        raise ZoomTransientError("Zoom did not send a start link.")
    # Stored only if the meeting is still this one: a reconcile may have replaced it meanwhile (this
    # path, from the Start button, runs without the appointment's lock).
    stored = db.session.execute(
        update(ZoomMeeting)
        .where(ZoomMeeting.appointment_id == appointment.id, ZoomMeeting.meeting_id == meeting_id)
        .values(start_url=start_url, start_url_issued_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not stored:
        raise ZoomTransientError("The Zoom meeting was just replaced; try again in a moment.")
    return start_url


def refresh_start_url(appointment_id: int) -> Outcome:
    """Renew a stored start URL ahead of the meeting (from the sweep), so Start rarely waits on Zoom.
    A meeting that vanished in Zoom is marked for a new one (the outcome asks for a reconcile)."""
    with appointment_lock(appointment_id) as acquired:
        if not acquired:
            return Outcome("busy")  # a reconcile is at work; the next sweep looks again
        appointment = load(appointment_id)
        zoom = appointment.zoom if appointment is not None else None
        if zoom is None or zoom.state != ZoomState.READY or zoom.meeting_id is None:
            return Outcome("skipped")
        if zoom.start_url_issued_at is not None and (
            utcnow() - zoom.start_url_issued_at < _minutes("ZOOM_START_URL_REFRESH_MINUTES")
        ):
            return Outcome("fresh")
        zoom.start_url_issued_at = None  # forces the fetch below
        try:
            fresh_start_url(appointment, timeout=float(current_app.config["ZOOM_API_TIMEOUT_SECONDS"]))
        except ZoomNotFound:
            db.session.rollback()
            return _meeting_vanished(appointment_id)
        except ZoomError as exc:
            db.session.rollback()
            log.info("zoom_sync start_url_refresh_failed appointment_id=%s error=%s", appointment_id, exc)
            return Outcome("failed")
        return Outcome("refreshed")


def _meeting_vanished(appointment_id: int) -> Outcome:
    appointment = load(appointment_id)
    if appointment is None or appointment.zoom is None:
        return Outcome("gone")
    # The appointment still wants a meeting, so the reconciler makes a new one.
    appointment.zoom.forget_meeting()
    set_state(appointment, ZoomState.PENDING, "zoom_meeting_missing", "The meeting no longer exists in Zoom.")
    appointment.zoom.mark()
    db.session.commit()
    return Outcome("recreating", again_at=utcnow())
