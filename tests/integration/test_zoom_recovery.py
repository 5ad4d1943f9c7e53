"""Recovery in seconds: once Zoom answers again, the appointments held in backoff go at once (spread,
rate-bounded) instead of each waiting out its own delay; when Redis is back, jobs lost with it are put
back without waiting for the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conecta import jobs
from conecta.models.types import utcnow
from conecta.zoom import recovery
from tests.support.worker import pending_job_count, run_jobs
from tests.support.zoom_sync import START, book, fresh, meetings, settle

pytestmark = pytest.mark.parametrize("zoom_mode", ["user"])
CREATES = "re:/v2/users/[^/]+/meetings"


def test_after_zoom_recovers_backed_off_appointments_run_within_seconds(
    sync_app, connected, zoom_sandbox, mailbox
):
    # A backoff of ten minutes: only the release can bring them back within the test's 20 s.
    sync_app.config.update(
        ZOOM_RETRY_BASE_SECONDS=600, ZOOM_RETRY_CAP_SECONDS=600, ZOOM_RECOVERY_JITTER_SECONDS=0.2
    )
    zoom_sandbox.set_faults(errors=[{"method": "POST", "path": CREATES, "status": 503}])
    waiting = [book(connected, starts_at=START + timedelta(hours=i)).id for i in range(3)]
    run_jobs(sync_app, until=lambda: all(fresh(a).zoom.attempts == 1 for a in waiting))
    assert all(fresh(a).zoom.retry_at > utcnow() + timedelta(minutes=5) for a in waiting)

    zoom_sandbox.clear_faults()
    first = settle(sync_app, book(connected, starts_at=START + timedelta(hours=5)).id)  # Zoom answers
    assert first.zoom_state == "ready"
    run_jobs(sync_app, until=lambda: all(fresh(a).zoom_state == "ready" for a in waiting), timeout=20)
    assert len(meetings(zoom_sandbox)) == 4  # one each, nothing doubled
    assert not jobs.redis_conn().exists(recovery._failing_key(connected.org.id))


def test_when_redis_is_back_marked_appointments_get_their_jobs_within_seconds(sync_app, connected, mailbox):
    """Redis came back empty: the marks are in the database, and every one is enqueued again within seconds -- not
    after the sweep's minimum age."""
    sync_app.config["ZOOM_SWEEP_MIN_AGE_SECONDS"] = 3600
    appointment = book(connected)
    for key in jobs.redis_conn().scan_iter(f"*{sync_app.config['CONECTA_QUEUE']}*"):
        jobs.redis_conn().delete(key)  # what an empty Redis looks like to this namespace
    assert pending_job_count(sync_app) == 0

    assert recovery.after_redis_outage() == 1
    assert settle(sync_app, appointment.id).zoom_state == "ready"
