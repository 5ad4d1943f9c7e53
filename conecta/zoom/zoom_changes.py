"""Changes made in Zoom behind Conecta's back: what a meeting webhook or the pre-meeting check found.

Conecta stays the source of truth for the appointment; Zoom's side is brought back to it, but a change
made in Zoom is never silently ignored nor silently undone:

- **Deleted in Zoom** while the appointment still wants a meeting: the meeting is forgotten at once (its
  Join link is never shown or emailed again) and the state is `vanished`: staff get **Recreate and
  resend**, the client sees "Meeting link coming soon".
- **Time or duration changed in Zoom**: `synced_*` (what Zoom holds, as far as we know) takes Zoom's
  values and the state is `drifted`: staff choose **Put Zoom back** (a PATCH, since the appointment now
  differs from what Zoom holds) or **Move the appointment to Zoom's time** (a booking edit).
- **Our own changes echoing back** do nothing, and most never reach a job: the webhook recognises them
  at the door (`conecta.zoom.meeting_events`).
- While a change from Conecta is on its way (the appointment is marked for a sync) nothing is flagged:
  the reconcile that follows makes Zoom match the appointment again. Nor while a PATCH of ours is
  unconfirmed (its answer was lost: `verify_at`): Zoom may have applied it late, over a newer one, so the
  meeting is read back and put right instead.

The webhook finds the appointment, settles echoes, stale events and changes of other fields at the door,
and enqueues `change_job` for the rest (`receive`); the job works under the appointment's lease, so it
never races a reconcile that is deleting or replacing the same meeting. Every
event's Zoom timestamp is kept (`zoom_event_ts`): an older or repeated delivery does nothing. An update
that is not an echo is checked against Zoom itself (GET), so events arriving out of order cannot leave
a wrong picture.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager

from conecta import jobs
from conecta.extensions import db
from conecta.models import Appointment, ZoomMeeting, ZoomState
from conecta.models.types import utcnow
from conecta.models.zoom import zoom_connection_for
from conecta.models.zoom_meeting import parse_zoom_time
from conecta.templating import fmt_datetime
from conecta.zoom.client import ZoomClient
from conecta.zoom.decide import wants_meeting
from conecta.zoom.errors import ZoomError, ZoomNotFound
from conecta.zoom.lock import appointment_lock, leave_note
from conecta.zoom.meeting_events import MeetingEvent, at_the_door, parse
from conecta.zoom.outcome import load, set_state

log = logging.getLogger("conecta.zoom.changes")

BUSY = "busy"


def receive(event: dict[str, Any]) -> str:
    """The webhook's part (no Zoom call, no waiting): settle what can be settled at the door
    (`meeting_events.at_the_door`: echoes, stale and other-field events enqueue nothing), and enqueue the
    rest for the appointment whose meeting it is. Raises RedisError when the job cannot be enqueued (the
    webhook answers 503: Zoom retries)."""
    change = parse(event)
    if change is None:
        return "ignored"
    appointment = db.session.scalar(_by_meeting_query(), {"meeting_id": change.meeting_id})
    if appointment is None:
        return "not-ours"  # a meeting Conecta does not hold (any more): ours deleted or replaced echo here
    payload = event.get("payload") or {}
    connection = zoom_connection_for(appointment.org_id, live_only=False)
    account = payload.get("account_id")
    if (
        connection is not None
        and connection.zoom_account_id
        and account not in (None, connection.zoom_account_id)
    ):
        return "ignored"  # meeting ids are Zoom-wide; another account's event says nothing about ours
    settled, appointment_id = at_the_door(change, appointment), appointment.id
    db.session.rollback()  # a read-only look, over before Redis is asked for anything
    if settled is not None:
        return settled
    request_change(appointment_id, change)
    return "queued"


@cache
def _by_meeting_query() -> Select:
    """Built once: every webhook runs it, and a statement built afresh pays for building its cache key
    again each time."""
    return (
        select(Appointment)
        .join(ZoomMeeting)
        .options(contains_eager(Appointment.zoom))
        .where(ZoomMeeting.meeting_id == bindparam("meeting_id"))
    )


def request_change(appointment_id: int, change: MeetingEvent, *, at_front: bool = False) -> None:
    """Enqueue `change_job` (a repeated delivery gets the same job id: harmless either way)."""
    jobs.enqueue(
        change_job,
        appointment_id,
        asdict(change),
        job_id=f"zoom-change-{appointment_id}-{change.event}-{change.ts}",
        at_front=at_front,
        job_timeout=int(current_app.config["ZOOM_JOB_TIMEOUT_SECONDS"]),
    )


@jobs.app_job
def change_job(appointment_id: int, change: dict[str, Any]) -> str:
    event = MeetingEvent(**change)
    result = apply_change(appointment_id, event)
    if result == BUSY:  # a reconcile holds the appointment: it hands this change back on release
        leave_note(appointment_id, "change", change)
    elif result == "link-changed":
        from conecta.zoom.dispatch import release_waiting_email

        release_waiting_email(appointment_id)  # the client gets the new Join link and passcode
    elif result == "verifying":
        from conecta.zoom.dispatch import request_reconcile

        request_reconcile(appointment_id)  # if Redis is away, the mark stays for the sweep
    return result


def apply_change(appointment_id: int, change: MeetingEvent) -> str:
    """Take one meeting event into account, under the appointment's lease; returns what it did."""
    with appointment_lock(appointment_id) as acquired:
        if not acquired:
            return BUSY
        appointment = load(appointment_id)
        zoom = appointment.zoom if appointment is not None else None
        if zoom is None or zoom.meeting_id != change.meeting_id:
            return "not-ours"  # deleted or replaced by Conecta meanwhile: its own echo
        if zoom.zoom_event_ts is not None and change.ts <= zoom.zoom_event_ts:
            return "stale"  # repeated, or older than what we already read from Zoom
        if change.about_other_things:
            return "nothing"  # topic, agenda or settings: not ours to judge
        if change.echoes(zoom):
            return "echo"  # (it carries only the fields we changed: it says nothing of the others)
        result = (
            meeting_deleted(appointment, "Zoom said so")
            if change.deleted
            else _read_back(appointment, change)
        )
        appointment.zoom.zoom_event_ts = change.ts  # what Zoom holds as of then is taken in
        db.session.commit()
        log.info("zoom_change appointment_id=%s event=%s result=%s", appointment_id, change.event, result)
        return result


def _read_back(appointment: Appointment, change: MeetingEvent) -> str:
    """Ask Zoom what it holds now (events may come late or out of order); if Zoom cannot be asked, what
    the event says stands."""
    meeting: dict[str, Any] = {"start_time": change.start_time, "duration": change.duration}
    try:
        client = ZoomClient.for_org(appointment.org_id)
        meeting = client.get_meeting(
            change.meeting_id, log_context={"appointment_id": appointment.id, "step": "read-back"}
        )
    except ZoomNotFound as exc:
        if exc.code in (3001, None):
            return meeting_deleted(appointment, "Zoom no longer has it")
    except ZoomError as exc:
        log.info("zoom_change read_back_failed appointment_id=%s error=%s", appointment.id, exc)
    return observe(appointment, meeting)


# ---- what a change in Zoom does to the appointment (shared with the pre-meeting check) ---------------


def meeting_deleted(appointment: Appointment, how: str) -> str:
    """The meeting is gone from Zoom: forget it (no dead link anywhere), and say what follows. The caller
    commits."""
    zoom = appointment.zoom
    old_id = zoom.meeting_id
    zoom.forget_meeting()
    if zoom.sync_requested_at is not None:
        # A change from Conecta is on its way: its reconcile creates a new meeting if one is wanted.
        set_state(
            appointment,
            zoom.state,
            "zoom_meeting_deleted_in_zoom",
            f"Meeting {old_id} was deleted in Zoom ({how}); the change on its way takes it from here.",
        )
        return "deleted-while-syncing"
    if not wants_meeting(appointment):
        set_state(
            appointment, ZoomState.DELETED, "zoom_meeting_deleted", f"Meeting {old_id} was deleted in Zoom."
        )
        return "deleted"
    zoom.error = None
    set_state(
        appointment,
        ZoomState.VANISHED,
        "zoom_meeting_vanished",
        f"Meeting {old_id} was deleted in Zoom ({how}). Its link no longer works.",
    )
    return "vanished"


def observe(appointment: Appointment, meeting: dict[str, Any]) -> str:
    """Zoom holds `meeting` (its time and duration; fields it lacks stay as we knew them). Remember that,
    flag a drift from the appointment (or clear one), and keep a changed Join link. The caller commits;
    "link-changed" means the client is owed the new link (`release_waiting_email`); "verifying" means a
    reconcile is owed (`request_reconcile`): the difference may be a late PATCH of ours."""
    zoom = appointment.zoom
    duration = meeting.get("duration")
    zoom_start = parse_zoom_time(meeting.get("start_time")) or zoom.synced_start_at
    zoom_duration = (
        duration if isinstance(duration, int) and not isinstance(duration, bool) else zoom.synced_duration
    )
    zoom.synced_start_at, zoom.synced_duration = zoom_start, zoom_duration
    link_changed = _keep_new_link(zoom, meeting)
    differs = zoom_start != appointment.starts_at or zoom_duration != appointment.duration_minutes
    if zoom.sync_requested_at is not None:
        if differs:
            audit_detail = f"Changed in Zoom to {describe(appointment, zoom_start, zoom_duration)}; "
            set_state(
                appointment,
                zoom.state,
                "zoom_meeting_changed_in_zoom",
                audit_detail + "the change on its way from Conecta puts it back.",
            )
        return "syncing"
    if differs and zoom.verify_at is not None and zoom.state == ZoomState.READY:
        # A PATCH of ours lost its answer and is not confirmed yet: what Zoom shows may be that PATCH,
        # landed late over a newer one -- not a change made in Zoom. Read it back and put it right now
        # (the caller enqueues the reconcile).
        zoom.verify_at = utcnow()
        zoom.mark()
        return "verifying"
    if differs and zoom.state in (ZoomState.READY, ZoomState.DRIFTED):
        set_state(appointment, ZoomState.DRIFTED, "zoom_meeting_drifted", drift_note(appointment))
        return "drifted"
    if not differs and zoom.state == ZoomState.DRIFTED:
        set_state(appointment, ZoomState.READY, "zoom_meeting_in_line", "Zoom matches the appointment again.")
        return "in-line"
    return "link-changed" if link_changed else "unchanged"


def _keep_new_link(zoom: ZoomMeeting, meeting: dict[str, Any]) -> bool:
    """A passcode changed in Zoom changes the Join link: keep Zoom's (the old one no longer lets anyone in)."""
    join_url = meeting.get("join_url")
    if not isinstance(join_url, str) or not join_url or join_url == zoom.join_url:
        return False
    zoom.join_url = join_url
    zoom.passcode = meeting.get("password") or None
    return True


def describe(appointment: Appointment, starts_at: datetime | None, duration: int | None) -> str:
    """ "Mon 11 Mar 2030, 11:00 for 45 min" in the organization's zone."""
    when = fmt_datetime(starts_at, appointment.org.timezone) if starts_at else gettext("an unknown time")
    return gettext("%(when)s for %(num)d min", when=when, num=duration) if duration else when


def drift_note(appointment: Appointment) -> str:
    zoom = appointment.zoom
    ends = (
        zoom.synced_start_at + timedelta(minutes=zoom.synced_duration or 0) if zoom.synced_start_at else None
    )
    in_zoom = describe(appointment, zoom.synced_start_at, zoom.synced_duration)
    booked = describe(appointment, appointment.starts_at, appointment.duration_minutes)
    if ends is not None and ends <= utcnow():
        return gettext(
            "In Zoom the meeting is on %(zoom)s (already over); the appointment is on %(booked)s.",
            zoom=in_zoom,
            booked=booked,
        )
    return gettext(
        "In Zoom the meeting is on %(zoom)s; the appointment is on %(booked)s.", zoom=in_zoom, booked=booked
    )


# ---- staff's answers (called by conecta.bookings.service, inside the booking's transaction) ----------


def recreate_requested(appointment: Appointment, actor: Any = None) -> Appointment:
    set_state(
        appointment,
        ZoomState.PENDING,
        "zoom_recreate_requested",
        "Recreate and resend: a new Zoom meeting, and its link to the client.",
        actor=actor,
    )
    return appointment


def put_back_requested(appointment: Appointment, actor: Any = None) -> Appointment:
    target = describe(appointment, appointment.starts_at, appointment.duration_minutes)
    set_state(
        appointment, ZoomState.PENDING, "zoom_put_back_requested", f"Put Zoom back to {target}.", actor=actor
    )
    return appointment


def moved_to_zoom_time(appointment: Appointment, actor: Any = None) -> Appointment:
    target = describe(appointment, appointment.starts_at, appointment.duration_minutes)
    set_state(
        appointment,
        ZoomState.PENDING,
        "zoom_moved_to_zoom_time",
        f"The appointment was moved to Zoom's time: {target}.",
        actor=actor,
    )
    return appointment
