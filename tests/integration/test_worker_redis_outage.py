"""A real `worker.py` rides out a Redis outage and resumes by itself (finding 11 of #10).

The worker's Redis is a private redis-server of this test's own (never the machine's shared one): it is
stopped while the worker runs, for as long as it takes the worker's job loops to back off to their
longest pause between reconnects (RECONNECT_MAX_SECONDS), and comes back empty, as a restarted Redis
without persistence does. The same worker process then syncs what was booked during the outage (its job was lost with Redis:
the sweep finds the mark) and what is booked afterwards (a job it dequeues).
"""

from __future__ import annotations

import os
import signal

from tests.support.worker import point_at_redis, wait_until
from tests.support.zoom_sync import book, fresh, meetings
from worker import RECONNECT_MAX_SECONDS


def test_a_worker_rides_out_a_redis_outage_and_resumes(
    sync_app, connected, zoom_sandbox, private_redis, worker_process
):
    point_at_redis(sync_app, private_redis.url)
    worker = worker_process(sync_app, PERIODIC_INTERVAL_SECONDS=1, ZOOM_SWEEP_MIN_AGE_SECONDS=0)
    before = book(connected)
    wait_until(lambda: fresh(before.id).zoom_state == "ready", timeout=60, what="the worker to start")
    pid = worker.process.pid

    private_redis.stop()
    during = book(connected, starts_at=before.starts_at.replace(hour=20))  # saved; its job is not
    # The outage lasts until the worker has tried again and again, up to its longest pause: in RQ's own
    # retry (a loop that lost Redis while waiting for a job) or in ours (a loop whose run Redis ended).
    logged_before = len(worker.log_text())
    longest = (
        f"retrying in {RECONNECT_MAX_SECONDS:.0f} seconds",
        f"trying every {RECONNECT_MAX_SECONDS:.0f} s",
    )
    wait_until(
        lambda: any(line in worker.log_text()[logged_before:] for line in longest),
        timeout=60,
        what="the worker to back off to its longest pause",
    )
    assert worker.running, f"the worker exited during the outage:\n{worker.log_text()[-3000:]}"
    private_redis.start()

    wait_until(
        lambda: fresh(during.id).zoom_state == "ready", timeout=60, what="the mark made during the outage"
    )
    after = book(connected, starts_at=before.starts_at.replace(hour=21))
    wait_until(
        lambda: fresh(after.id).zoom_state == "ready", timeout=60, what="a job enqueued after the outage"
    )

    assert worker.running and worker.process.pid == pid  # the same process, never restarted from outside
    assert len(meetings(zoom_sandbox)) == 3


def test_a_worker_started_while_redis_is_down_waits_for_it_and_still_stops_on_sigterm(
    sync_app, private_redis, worker_process
):
    point_at_redis(sync_app, private_redis.url)
    private_redis.stop()
    worker = worker_process(sync_app, CONECTA_WORKER_THREADS="3")
    # The first to wait is usually a job thread, which may start waiting (and say so) before the main
    # thread has built its first worker: the process takes SIGTERM from before the threads start.
    wait_until(
        lambda: "A job thread; a fresh one starts once Redis answers" in worker.log_text(),
        timeout=60,
        what="a job thread to wait for Redis",
    )
    assert worker.running

    os.kill(worker.process.pid, signal.SIGTERM)
    assert worker.process.wait(timeout=30) == 0
