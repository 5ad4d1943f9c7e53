"""Nothing is lost and nothing is doubled when the machinery fails: a worker killed between Zoom's create
and our commit, Redis down while booking, jobs lost with Redis; the sweep inside the worker; start URLs
kept fresh; a job that crashes; and the ops view (`flask zoom-status`)."""

from __future__ import annotations

from datetime import timedelta

from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer

from conecta import jobs
from conecta.extensions import db
from conecta.models.types import utcnow
from conecta.zoom import sync
from tests.support.worker import pending_job_count, point_at_redis, run_jobs, wait_until
from tests.support.zoom_sync import api_calls, audit_events, book, booking_form, fresh, meetings, settle

CREATE = "/v2/users/me/meetings"
HX = {"HX-Request": "true"}


def test_a_worker_killed_between_zoom_create_and_our_commit_leaves_one_meeting(
    sync_app, connected, zoom_sandbox, worker_process
):
    sync_app.config["ZOOM_SYNC_LOCK_SECONDS"] = 6  # the dead worker's lock expires in test time
    # Zoom holds the create for 3 s, makes the meeting, then the answer is lost.
    zoom_sandbox.set_faults(
        errors=[
            {
                "method": "POST",
                "path": CREATE,
                "status": 500,
                "commit_then_fail": True,
                "hang_seconds": 3,
                "count": 1,
            }
        ]
    )
    worker = worker_process(sync_app, ZOOM_SYNC_LOCK_SECONDS=6)
    appointment = book(connected)

    # The create has reached Zoom (the fault was taken) and the worker is waiting for the answer: kill it.
    wait_until(lambda: zoom_sandbox.state()["faults"]["errors"][0]["remaining"] == 0, what="the create call")
    assert fresh(appointment.id).zoom_tracking_key  # recorded before the call
    worker.kill()
    wait_until(lambda: meetings(zoom_sandbox), what="Zoom to finish the create")
    stranded = fresh(appointment.id)
    assert stranded.zoom_state == "pending" and stranded.zoom_meeting_id is None

    # A fresh reconcile (the sweep's) finds the meeting by its tracking key instead of creating another.
    sync.sweep()
    appointment = settle(sync_app, appointment.id)

    (meeting,) = meetings(zoom_sandbox)
    assert appointment.zoom_state == "ready" and appointment.zoom_meeting_id == str(meeting["id"])
    assert appointment.zoom_tracking_key in meeting["agenda"]
    assert api_calls(zoom_sandbox, "POST") == [("POST", CREATE)]
    assert audit_events(appointment.id)[-1] == "zoom_meeting_created"


def test_redis_down_while_booking_saves_the_booking_and_the_meeting_follows(
    sync_app, connected, zoom_sandbox, private_redis, as_user
):
    point_at_redis(sync_app, private_redis.url)
    private_redis.stop()

    answer = as_user(connected.staff).post(
        "/bookings/new",
        data=booking_form(connected),
        headers=HX,
    )
    assert answer.status_code == 200, answer.text
    assert "Creating Zoom meeting…" in answer.text
    (appointment_id,) = db.session.scalars(db.select(sync.Appointment.id)).all()
    assert fresh(appointment_id).zoom_sync_requested_at is not None  # the mark is in the database

    private_redis.start()  # back, and empty: the job never made it there
    assert pending_job_count(sync_app) == 0
    sync.schedule_sweep()
    appointment = settle(sync_app, appointment_id)

    assert appointment.zoom_state == "ready"
    assert len(meetings(zoom_sandbox)) == 1


def test_the_worker_runs_the_sweep_by_itself_and_recovers_lost_jobs(
    sync_app, connected, zoom_sandbox, worker_process
):
    appointment = book(connected)
    connection = jobs.redis_conn()
    for name in jobs.queue_names(sync_app, ("default", "mail")):
        connection.delete(f"rq:queue:{name}")  # the job is lost, as with a Redis restart

    worker_process(sync_app, ZOOM_SWEEP_INTERVAL_SECONDS=1, ZOOM_SWEEP_MIN_AGE_SECONDS=0)

    wait_until(lambda: fresh(appointment.id).zoom_state == "ready", timeout=30, what="the sweep")
    assert len(meetings(zoom_sandbox)) == 1


def test_many_workers_keep_a_single_sweep_on_the_schedule(sync_app):
    assert sync.schedule_sweep() is True
    assert sync.schedule_sweep() is False  # a second worker's attempt, at start or on its minute tick
    (name, _mail) = jobs.queue_names(sync_app, ("default", "mail"))
    registry = ScheduledJobRegistry(name, connection=jobs.redis_conn(), serializer=JSONSerializer)
    (first,) = registry.get_job_ids()

    run_jobs(sync_app, until=lambda: Job.fetch(first, connection=jobs.redis_conn()).is_finished)

    (successor,) = registry.get_job_ids()  # the sweep put exactly one successor on the schedule
    assert successor != first
    assert sync.schedule_sweep() is False


def test_the_sweep_only_requeues_marks_older_than_a_minute(sync_app, connected):
    sync_app.config["ZOOM_SWEEP_MIN_AGE_SECONDS"] = 60
    appointment = book(connected)
    connection = jobs.redis_conn()
    for name in jobs.queue_names(sync_app, ("default", "mail")):
        connection.delete(f"rq:queue:{name}")
    connection.delete(sync._queued_flag(appointment.id))

    assert sync.sweep().requeued == 0  # still young: its own job may be on the way
    assert sync.sweep(now=utcnow() + timedelta(seconds=61)).requeued == 1
    assert sync.sweep(now=utcnow() + timedelta(seconds=61)).requeued == 0  # that job is queued now


def test_the_sweep_renews_start_urls_of_meetings_within_two_hours(sync_app, connected, zoom_sandbox):
    soon = settle(sync_app, book(connected, starts_at=utcnow() + timedelta(hours=1)).id)
    later = settle(sync_app, book(connected, starts_at=utcnow() + timedelta(hours=5)).id)
    for appointment in (soon, later):
        appointment.zoom_start_url_issued_at = utcnow() - timedelta(minutes=70)
    db.session.commit()
    old_soon_url, old_later_url = soon.zoom_start_url, later.zoom_start_url

    assert sync.sweep().refreshing == 1
    run_jobs(sync_app)

    soon, later = fresh(soon.id), fresh(later.id)
    assert soon.zoom_start_url != old_soon_url
    assert utcnow() - soon.zoom_start_url_issued_at < timedelta(minutes=1)
    assert later.zoom_start_url == old_later_url  # starts in 5 hours: nothing to do yet
    assert ("GET", f"/v2/meetings/{soon.zoom_meeting_id}") in api_calls(zoom_sandbox, "GET")


def test_a_job_that_crashes_is_retried_by_rq_then_shown_as_failed(sync_app, connected, monkeypatch):
    sync_app.config["ZOOM_CRASH_RETRY_SECONDS"] = "0"
    attempts = []

    def crash(appointment_id):
        attempts.append(appointment_id)
        raise RuntimeError("boom")

    monkeypatch.setattr(sync, "_reconcile_once", crash)
    appointment = book(connected)
    appointment = settle(sync_app, appointment.id)
    assert attempts == [appointment.id, appointment.id]  # the first try and RQ's one retry
    assert appointment.zoom_state == "failed"
    assert appointment.zoom_error == sync.UNEXPECTED_FAILURE


def test_zoom_status_prints_counts_and_the_oldest_pending(sync_app, connected, zoom_sandbox):
    settle(sync_app, book(connected).id)
    waiting = book(connected, starts_at=fresh_start())
    result = sync_app.test_cli_runner().invoke(args=["zoom-status"])
    assert result.exit_code == 0, result.output
    assert "ready         1" in result.output
    assert "pending       1" in result.output
    assert f"Oldest pending: appointment {waiting.id}" in result.output


def fresh_start():
    return utcnow() + timedelta(days=30)
