"""What one of Zoom's meeting webhooks says, and what can be told of it at the door, without a job.

Zoom sends `meeting.updated` / `meeting.deleted` for every change to a meeting -- ours included: each
PATCH and DELETE the reconciler makes comes back as an event, most of them while the reconcile that made
it is still settling. The webhook compares the event with the meeting's row (what Zoom holds as far as
we know, and whether a sync of ours is on its way) and only hands a real or uncertain change to a job
(`conecta.zoom.zoom_changes.change_job`):

- *stale*: Zoom's clock says it is older than, or the same as, an event already taken in;
- *nothing*: an update of neither time, duration nor passcode (topic, agenda, settings: not ours to judge);
- *echo*: an update carrying what we last told Zoom (`synced_*`); or, while a sync of ours is on its
  way, the appointment's own time and duration -- what that sync is making Zoom hold. Either way Zoom
  holds what the appointment wants, and the reconcile records it.

Anything else is a job, which looks under the appointment's lease: other values, a new passcode, and
every deletion of a meeting the row still holds. Even our own DELETE's event is not settled here: the
appointment may change its mind before that DELETE lands (moved back to its former host, or back to a
service with Zoom), and then only the job, which forgets the meeting, keeps a dead link from being kept.
Once the reconcile has recorded its DELETE, the event finds nothing of ours ("not-ours").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conecta.models import Appointment, ZoomMeeting
from conecta.models.zoom_meeting import parse_zoom_time

DELETED_EVENTS = ("meeting.deleted", "meeting.permanently_deleted")
MEETING_EVENTS = (*DELETED_EVENTS, "meeting.updated")


@dataclass(frozen=True)
class MeetingEvent:
    """What we take from one meeting webhook: which meeting, when (Zoom's clock, ms), what it became."""

    event: str
    meeting_id: str
    ts: int
    start_time: str | None = None  # meeting.updated: the new values of the fields that changed
    duration: int | None = None
    link_changed: bool = False  # the passcode changed: the Join link with it

    @property
    def deleted(self) -> bool:
        return self.event in DELETED_EVENTS

    @property
    def about_other_things(self) -> bool:
        """An update of neither time, duration nor passcode."""
        return (
            not self.deleted and self.start_time is None and self.duration is None and not self.link_changed
        )

    def echoes(self, zoom: ZoomMeeting) -> bool:
        """It says nothing new: the fields it carries are what Zoom holds as far as we know."""
        if self.deleted or self.link_changed:
            return False
        if self.start_time is not None and parse_zoom_time(self.start_time) != zoom.synced_start_at:
            return False
        return self.duration is None or self.duration == zoom.synced_duration

    def made_by_the_sync(self, appointment: Appointment) -> bool:
        """A sync of ours is on its way and this update is what it makes Zoom hold: the appointment's
        time and duration."""
        zoom = appointment.zoom
        if zoom.sync_requested_at is None or self.deleted or self.link_changed:
            return False
        if self.start_time is not None and parse_zoom_time(self.start_time) != appointment.starts_at:
            return False
        return self.duration is None or self.duration == appointment.duration_minutes


def at_the_door(change: MeetingEvent, appointment: Appointment) -> str | None:
    """What the webhook can settle by itself ("stale", "nothing", "echo"), or None: a job must look."""
    zoom = appointment.zoom
    if zoom.zoom_event_ts is not None and change.ts <= zoom.zoom_event_ts:
        return "stale"
    if change.about_other_things:
        return "nothing"
    if change.echoes(zoom) or change.made_by_the_sync(appointment):
        return "echo"
    return None


def _digits(value: Any) -> str | None:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return text if text.isascii() and text.isdigit() and len(text) <= 20 else None


def parse(event: dict[str, Any]) -> MeetingEvent | None:
    """The meeting event in a webhook body, or None when it is not one we act on (or is malformed)."""
    kind = event.get("event")
    payload = event.get("payload")
    if kind not in MEETING_EVENTS or not isinstance(payload, dict):
        return None
    meeting = payload.get("object")
    meeting = meeting if isinstance(meeting, dict) else {}
    meeting_id = _digits(meeting.get("id"))
    # An update carries the moment of the change; every event carries when it was sent.
    stamp = payload.get("time_stamp") if kind == "meeting.updated" else None
    ts = stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else event.get("event_ts")
    if meeting_id is None or not isinstance(ts, int) or isinstance(ts, bool) or not 0 < ts < 2**62:
        return None
    if kind != "meeting.updated":
        return MeetingEvent(kind, meeting_id, ts)
    start = meeting.get("start_time")
    duration = meeting.get("duration")
    return MeetingEvent(
        kind,
        meeting_id,
        ts,
        start_time=start if isinstance(start, str) and parse_zoom_time(start) else None,
        duration=duration if isinstance(duration, int) and not isinstance(duration, bool) else None,
        link_changed="password" in meeting,
    )
