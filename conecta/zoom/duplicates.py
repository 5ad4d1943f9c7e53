"""Never two meetings for one appointment: creates carry a tracking key, found again by it.

Before a create, the reconciler commits a tracking key and sends it in the meeting's agenda. When a
create's answer is lost (a timeout, a 5xx, a killed worker), the next attempt first looks for that key
among the upcoming meetings of the host it was sent to (`ZoomMeeting.host_user_id`) and adopts what it
finds. Zoom may still finish a lost create after that search missed it: `conecta.zoom.attempts` follows
every such create up, on its host, and deletes any twin.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from conecta import audit
from conecta.models import Appointment
from conecta.zoom.client import ZoomClient
from conecta.zoom.errors import ZoomNotFound
from conecta.zoom.outcome import Run


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
