"""Our own changes echoing back are recognised at the door (no job), a real change is one job; and a job
that meets the appointment's lease never waits: the holder hands it back on release."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer

from conecta import jobs
from conecta.models.zoom_meeting import parse_zoom_time
from conecta.zoom import reconcile
from conecta.zoom.decide import zoom_time
from conecta.zoom.lock import appointment_lock
from tests.integration.test_zoom_webhook import _signed
from tests.support.worker import pending_job_count, run_jobs
from tests.support.zoom_sync import START, book, edit, fresh, settle

# One connection mode is enough here: the door and the lease do not depend on it.
pytestmark = pytest.mark.parametrize("zoom_mode", ["user"])
CHANGE_JOBS = "conecta.zoom.zoom_changes."
_clock = iter(range(10**6))


def _event(meeting_id: str, kind: str = "meeting.updated", **fields) -> dict:
    ts = int(time.time() * 1000) + next(_clock)
    payload = {"account_id": "sandbox-account-1", "object": {"id": int(meeting_id), **fields}}
    if kind == "meeting.updated":
        payload["time_stamp"] = ts
    return {"event": kind, "event_ts": ts, "payload": payload}


def _deliver(client, event: dict) -> str:
    body = json.dumps(event).encode()
    answer = client.post("/webhooks/zoom", data=body, headers=_signed(body, timestamp=int(time.time())))
    assert answer.status_code == 200, answer.data
    return answer.get_json()["status"]


def test_an_echo_enqueues_nothing_and_a_real_change_enqueues_one_job(
    sync_app, connected, client, zoom_sandbox, mailbox
):
    appointment = settle(sync_app, book(connected).id)
    meeting_id, zoom = appointment.zoom.meeting_id, appointment.zoom

    # What we last told Zoom, coming back: settled at the door.
    echo = _event(meeting_id, start_time=zoom_time(zoom.synced_start_at), duration=zoom.synced_duration)
    assert _deliver(client, echo) == "echo"
    assert _deliver(client, _event(meeting_id, topic="Renamed in Zoom")) == "nothing"
    assert pending_job_count(sync_app, CHANGE_JOBS) == 0

    # Changed in Zoom: one job.
    zoom_sandbox.update_meeting(int(meeting_id), start_time=zoom_time(START + timedelta(hours=3)))
    moved = _event(meeting_id, start_time=zoom_time(START + timedelta(hours=3)))
    assert _deliver(client, moved) == "queued"
    assert pending_job_count(sync_app, CHANGE_JOBS) == 1
    run_jobs(sync_app, until=lambda: fresh(appointment.id).zoom_state == "drifted")


def test_the_echo_of_a_sync_still_settling_enqueues_nothing(sync_app, connected, client, mailbox):
    """Zoom's event for our PATCH usually arrives before the reconcile that made it has recorded its
    answer: the appointment is still marked, and the event says what that sync makes Zoom hold."""
    appointment = settle(sync_app, book(connected).id)
    meeting_id = appointment.zoom.meeting_id
    later = START + timedelta(hours=2)
    edit(appointment, starts_at=later, duration_minutes=50)  # marked; its reconcile has not run
    assert fresh(appointment.id).zoom.sync_requested_at is not None

    our_patch = _event(meeting_id, start_time=zoom_time(later), duration=50)
    assert _deliver(client, our_patch) == "echo"
    other_time = _event(meeting_id, start_time=zoom_time(later + timedelta(hours=1)))
    assert _deliver(client, other_time) == "queued"  # uncertain while a sync is on its way: a job looks
    assert pending_job_count(sync_app, CHANGE_JOBS) == 1
    settle(sync_app, appointment.id)

    from conecta.bookings import service as bookings

    # A deletion of a meeting the row still holds is never settled at the door (the appointment may yet
    # change its mind); once our DELETE is recorded, its event finds nothing of ours.
    bookings.cancel(fresh(appointment.id))
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "deleted"
    assert _deliver(client, _event(meeting_id, "meeting.deleted")) == "not-ours"


def test_a_lease_collision_never_waits_the_holder_hands_the_job_back(
    sync_app, connected, client, zoom_sandbox, mailbox
):
    # A lease far longer than the test may take: any wait for it to run out would time the test out.
    sync_app.config["ZOOM_LOCK_LEASE_SECONDS"] = 600
    appointment = settle(sync_app, book(connected).id)
    meeting_id = appointment.zoom.meeting_id
    queue = jobs.queue()
    scheduled = ScheduledJobRegistry(queue.name, connection=jobs.redis_conn(), serializer=JSONSerializer)

    with appointment_lock(appointment.id) as held:
        assert held
        edit(appointment, starts_at=START + timedelta(hours=1))  # its reconcile job is queued
        zoom_sandbox.update_meeting(int(meeting_id), start_time=zoom_time(START + timedelta(hours=4)))
        moved_in_zoom = _event(meeting_id, start_time=zoom_time(START + timedelta(hours=4)))
        assert _deliver(client, moved_in_zoom) == "queued"
        run_jobs(sync_app, until=lambda: queue.count == 0)  # both meet the lease and end at once
        assert reconcile.reconcile(appointment.id).again_at is None  # nothing rescheduled for later
        assert scheduled.count == 0 and queue.count == 0
        assert fresh(appointment.id).zoom.sync_requested_at is not None  # still to do

    # Released: the noted jobs are back at the front of the queue, and run.
    assert queue.count >= 2
    appointment = settle(sync_app, appointment.id)
    run_jobs(sync_app, until=lambda: queue.count == 0)
    # Both ran, in the order they came: the reconcile moved the meeting to the appointment's time, then
    # the change job took Zoom's event in (read back: Zoom holds our time, nothing to flag).
    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "ready"
    assert appointment.zoom.synced_start_at == START + timedelta(hours=1)
    (meeting,) = [m for m in zoom_sandbox.state()["meetings"] if str(m["id"]) == meeting_id]
    assert parse_zoom_time(meeting["start_time"]) == START + timedelta(hours=1)
    assert appointment.zoom.zoom_event_ts == moved_in_zoom["payload"]["time_stamp"]
