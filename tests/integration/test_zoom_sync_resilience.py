"""Nothing is lost and nothing is doubled when the machinery fails: a worker killed between Zoom's create
and our commit, Redis down while booking, jobs lost with Redis; the sweep inside the worker; start URLs
kept fresh; a job that crashes; and the ops view (`flask zoom-status`)."""

from __future__ import annotations

import time
from datetime import timedelta

from conecta import jobs, periodic
from conecta.extensions import db
from conecta.models import Appointment, ZoomCreateAttempt
from conecta.models.types import utcnow
from conecta.zoom import lock, reconcile
from conecta.zoom import sweep as zoom_sweep
from conecta.zoom.lock import appointment_lock
from conecta.zoom.outcome import UNEXPECTED_FAILURE
from tests.support.worker import pending_job_count, point_at_redis, run_jobs, wait_until
from tests.support.zoom_sync import api_calls, audit_events, book, booking_form, fresh, meetings, settle

HX = {"HX-Request": "true"}


def test_a_worker_killed_between_zoom_create_and_our_commit_leaves_one_meeting(
    sync_app, connected, zoom_sandbox, worker_process
):
    sync_app.config["ZOOM_LOCK_LEASE_SECONDS"] = 6  # the dead worker's lease runs out in test time
    # Zoom holds the create until the test lets it go, makes the meeting, then the answer is lost.
    zoom_sandbox.set_faults(
        errors=[
            {
                "method": "POST",
                "path": connected.create_path,
                "status": 500,
                "commit_then_fail": True,
                "held": True,
                "count": 1,
            }
        ]
    )
    worker = worker_process(sync_app, ZOOM_LOCK_LEASE_SECONDS=6)
    appointment = book(connected)

    # The create has reached Zoom (the fault was taken) and the worker is waiting for the answer: kill it.
    wait_until(lambda: zoom_sandbox.state()["faults"]["errors"][0]["remaining"] == 0, what="the create call")
    key = fresh(appointment.id).zoom.tracking_key  # recorded before the call, with its attempt
    assert key and db.session.get(ZoomCreateAttempt, key).calls == 1
    worker.kill()
    zoom_sandbox.release_held()
    wait_until(lambda: meetings(zoom_sandbox), timeout=60, what="Zoom to finish the create")
    stranded = fresh(appointment.id)
    assert stranded.zoom_state == "pending" and stranded.zoom.meeting_id is None
    lease_key = jobs.redis_key("lock", "zoom-appointment", appointment.id)
    wait_until(lambda: not jobs.redis_conn().exists(lease_key), timeout=20, what="the dead worker's lease")

    # A fresh reconcile (the sweep's) finds the meeting by its tracking key instead of creating another.
    zoom_sweep.sweep()
    appointment = settle(sync_app, appointment.id)

    (meeting,) = meetings(zoom_sandbox)
    assert appointment.zoom_state == "ready" and appointment.zoom.meeting_id == str(meeting["id"])
    assert appointment.zoom.tracking_key in meeting["agenda"]
    assert api_calls(zoom_sandbox, "POST") == [("POST", connected.create_path)]
    assert audit_events(appointment.id)[-1] == "zoom_meeting_created"
    db.session.expire_all()
    assert db.session.get(ZoomCreateAttempt, key) is None  # its one call is accounted for


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
    (appointment_id,) = db.session.scalars(db.select(Appointment.id)).all()
    assert fresh(appointment_id).zoom.sync_requested_at is not None  # the mark is in the database

    private_redis.start()  # back, and empty: the job never made it there
    assert pending_job_count(sync_app) == 0
    zoom_sweep.sweep()  # the worker's next periodic turn
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

    worker_process(sync_app, PERIODIC_INTERVAL_SECONDS=1, ZOOM_SWEEP_MIN_AGE_SECONDS=0)

    wait_until(lambda: fresh(appointment.id).zoom_state == "ready", timeout=30, what="the sweep")
    assert len(meetings(zoom_sandbox)) == 1


def test_one_worker_takes_each_periodic_turn(sync_app, monkeypatch):
    ran = []
    monkeypatch.setattr(periodic, "SWEEPS", (("probe", lambda: ran.append(1)),))
    assert periodic.run_if_due(sync_app) is True
    assert periodic.run_if_due(sync_app) is False  # a second worker's tick within the same interval
    assert ran == [1]
    turn = jobs.redis_conn().pttl(jobs.redis_key("periodic", "turn"))
    assert 0 < turn <= 1000  # the next interval's turn opens by itself (PERIODIC_INTERVAL_SECONDS = 1)


def test_a_failing_sweep_does_not_stop_the_other(sync_app, monkeypatch):
    ran = []

    def broken():
        raise RuntimeError("database away")

    monkeypatch.setattr(periodic, "SWEEPS", (("zoom", broken), ("email", lambda: ran.append("email"))))
    periodic.run_sweeps()
    assert ran == ["email"]


def test_the_sweep_requeues_marks_older_than_a_minute_and_a_doubled_job_is_harmless(
    sync_app, connected, zoom_sandbox
):
    sync_app.config["ZOOM_SWEEP_MIN_AGE_SECONDS"] = 60
    appointment = book(connected)
    connection = jobs.redis_conn()
    for name in jobs.queue_names(sync_app, ("default", "mail")):
        connection.delete(f"rq:queue:{name}")

    assert zoom_sweep.sweep().requeued == 0  # still young: its own job may be on the way
    assert zoom_sweep.sweep(now=utcnow() + timedelta(seconds=61)).requeued == 1
    # A second sweep before the job ran queues the same job again: the lease and the level-triggered
    # reconcile make that harmless -- one meeting, one create.
    assert zoom_sweep.sweep(now=utcnow() + timedelta(seconds=61)).requeued == 1
    assert settle(sync_app, appointment.id).zoom_state == "ready"
    run_jobs(sync_app)
    assert len(meetings(zoom_sandbox)) == 1
    assert api_calls(zoom_sandbox, "POST") == [("POST", connected.create_path)]


def test_the_sweep_renews_start_urls_of_meetings_within_two_hours(sync_app, connected, zoom_sandbox):
    soon = settle(sync_app, book(connected, starts_at=utcnow() + timedelta(hours=1)).id)
    later = settle(sync_app, book(connected, starts_at=utcnow() + timedelta(hours=5)).id)
    for appointment in (soon, later):
        appointment.zoom.start_url_issued_at = utcnow() - timedelta(minutes=70)
    db.session.commit()
    old_soon_url, old_later_url = soon.zoom.start_url, later.zoom.start_url

    assert zoom_sweep.sweep().refreshing == 1
    run_jobs(sync_app)

    soon, later = fresh(soon.id), fresh(later.id)
    assert soon.zoom.start_url != old_soon_url
    assert utcnow() - soon.zoom.start_url_issued_at < timedelta(minutes=1)
    assert later.zoom.start_url == old_later_url  # starts in 5 hours: nothing to do yet
    assert ("GET", f"/v2/meetings/{soon.zoom.meeting_id}") in api_calls(zoom_sandbox, "GET")


def test_a_job_that_crashes_is_retried_by_rq_then_shown_as_failed(sync_app, connected, monkeypatch):
    sync_app.config["ZOOM_CRASH_RETRY_SECONDS"] = (0,)
    attempts = []

    def crash(appointment_id):
        attempts.append(appointment_id)
        raise RuntimeError("boom")

    monkeypatch.setattr(reconcile, "_reconcile_once", crash)
    appointment = book(connected)
    appointment = settle(sync_app, appointment.id)
    assert attempts == [appointment.id, appointment.id]  # the first try and RQ's one retry
    assert appointment.zoom_state == "failed"
    assert appointment.zoom.error == UNEXPECTED_FAILURE


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


def test_a_lease_left_by_a_dead_worker_is_handed_out_by_the_periodic_turn(sync_app, connected, zoom_sandbox):
    """A worker killed mid-job leaves its lease behind: the next job neither waits on it nor reschedules
    itself for its expiry -- it leaves a note -- and the periodic turn hands the note out once the dead
    lease is gone."""
    appointment = book(connected)
    lease_key = jobs.redis_key("lock", "zoom-appointment", appointment.id)
    jobs.redis_conn().set(lease_key, "a-dead-workers-token", px=3000)

    outcome = reconcile.reconcile(appointment.id)

    assert outcome.result == "busy" and not outcome.settled and outcome.again_at is None
    assert fresh(appointment.id).zoom_state == "pending" and api_calls(zoom_sandbox) == []
    assert lock.wake_orphans() == 0  # the lease still stands: its holder may yet hand the note back
    wait_until(lambda: not jobs.redis_conn().exists(lease_key), timeout=20, what="the dead lease to run out")
    assert lock.wake_orphans() == 1
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "ready" and len(meetings(zoom_sandbox)) == 1


def test_a_held_lease_is_renewed_while_its_job_works(sync_app, connected):
    sync_app.config["ZOOM_LOCK_LEASE_SECONDS"] = 0.6
    appointment = book(connected)
    lease_key = jobs.redis_key("lock", "zoom-appointment", appointment.id)
    with appointment_lock(appointment.id) as acquired:
        assert acquired
        held_since = time.monotonic()
        # Alive well past one lease period: only renewal keeps it (a lost lease never comes back).
        wait_until(
            lambda: jobs.redis_conn().pttl(lease_key) > 0 and time.monotonic() - held_since > 2,
            timeout=20,
            what="the lease to outlive two lease periods",
        )
        assert jobs.redis_conn().pttl(lease_key) > 0
        with appointment_lock(appointment.id) as second:
            assert second is False  # still held
    assert jobs.redis_conn().exists(lease_key) == 0  # released at the end
