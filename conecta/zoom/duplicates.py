"""Never two meetings for one appointment: creates carry a tracking key, found again by it.

Before a create, the reconciler commits a tracking key and sends it in the meeting's agenda. When a
create's answer is lost (a timeout, a 5xx, a killed worker), the next attempt first looks for that key
among the upcoming meetings of the host it was sent to (`ZoomMeeting.host_user_id`) and adopts what it
finds. Zoom may still finish a lost create after
that search missed it, so a create that followed a lost answer asks for one more look later
(`check_duplicates`), which deletes any twin.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from flask import current_app

from conecta import audit
from conecta.extensions import db
from conecta.models import Appointment
from conecta.models.types import utcnow
from conecta.zoom.client import ZoomClient
from conecta.zoom.errors import ZoomError, ZoomNotFound
from conecta.zoom.lock import appointment_lock, busy_until
from conecta.zoom.outcome import Outcome, Run, load

log = logging.getLogger("conecta.zoom.sync")


def find_by_tracking_key(
    client: ZoomClient, key: str, run: Run, host: str | None = None
) -> list[dict[str, Any]]:
    """Every upcoming meeting of the host (a Zoom user id; None: the connecting user) whose agenda
    carries our key, oldest first. The create went to that host, so its meetings are where to look."""
    found = [
        meeting
        for meeting in client.iter_upcoming_meetings(host=host, log_context=run.context("find"))
        if key in (meeting.get("agenda") or "")
    ]
    return sorted(found, key=lambda m: (m.get("created_at") or "", int(m["id"])))


def delete_duplicates(
    client: ZoomClient, appointment: Appointment, extras: list[dict[str, Any]], run: Run
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


def check_duplicates(appointment_id: int) -> Outcome:
    """After a create that followed a lost answer: delete meetings carrying our key other than ours."""
    with appointment_lock(appointment_id) as acquired:
        if not acquired:
            return Outcome("busy", again_at=busy_until(appointment_id))
        appointment = load(appointment_id)
        zoom = appointment.zoom if appointment is not None else None
        if zoom is None or not zoom.tracking_key or not zoom.meeting_id:
            return Outcome("nothing-to-do")
        run = Run(appointment, zoom.sync_requested_at or utcnow(), 1)
        try:
            client = ZoomClient.for_org(
                appointment.org_id, timeout=float(current_app.config["ZOOM_API_TIMEOUT_SECONDS"])
            )
            found = find_by_tracking_key(client, zoom.tracking_key, run, host=zoom.host_user_id)
            extras = [m for m in found if str(m["id"]) != zoom.meeting_id]
            delete_duplicates(client, appointment, extras, run)
        except ZoomError as exc:
            db.session.rollback()
            log.info("zoom_sync duplicate_check_failed appointment_id=%s error=%s", appointment_id, exc)
            return Outcome("failed")
        db.session.commit()
        return Outcome(f"deleted-{len(extras)}")
