"""One worker process, several job loops (CONECTA_WORKER_THREADS): its Zoom calls wait side by side, a
warm shutdown lets every job at work finish first, and a thread's job still times out; and the processes
run at the niceness asked for (CONECTA_WORKER_NICE)."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta

from conecta import jobs
from tests.support.worker import fresh_namespace, wait_until
from tests.support.zoom_sync import START, book, fresh, meetings
from worker import JobThreads


def test_one_worker_process_waits_on_three_zoom_creates_at_once_and_finishes_them_when_stopped(
    sync_app, connected, zoom_sandbox, worker_process
):
    # Zoom holds every create until the test lets them go: a loop at one cannot take another job.
    zoom_sandbox.set_faults(
        errors=[{"method": "POST", "path": connected.create_path, "held": True, "count": 3}]
    )
    worker = worker_process(sync_app, CONECTA_WORKER_THREADS=3)
    booked = [book(connected, START + timedelta(hours=i)) for i in range(3)]

    # All three creates are at Zoom at the same time, from the one process.
    wait_until(
        lambda: zoom_sandbox.state()["faults"]["errors"][0]["remaining"] == 0,
        timeout=30,
        what="three creates held at Zoom at once",
    )

    # A warm shutdown while the three wait: each loop finishes its job, then the process ends.
    os.kill(worker.process.pid, signal.SIGTERM)
    zoom_sandbox.release_held()
    assert worker.process.wait(timeout=60) == 0
    assert [fresh(a.id).zoom_state for a in booked] == ["ready"] * 3
    assert len(meetings(zoom_sandbox)) == 3


def busy_for(seconds: float) -> str:
    """A job that works (in Python, step by step) for `seconds`."""
    pause = threading.Event()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pause.wait(0.01)
    return "done"


def test_a_job_thread_times_its_job_out_and_goes_on_with_the_next(app):
    fresh_namespace(app)
    loops = JobThreads(app, 2, "WARNING")  # the main thread's loop is not started here: only the thread
    queue = jobs.queue("default")
    too_long = queue.enqueue(busy_for, 60, job_timeout=1)
    loops.start()
    try:
        wait_until(lambda: too_long.get_status(refresh=True) == "failed", timeout=30, what="the timeout")
        assert "JobTimeoutException" in too_long.latest_result().exc_string
        next_one = queue.enqueue(busy_for, 0)
        wait_until(lambda: next_one.get_status(refresh=True) == "finished", timeout=30, what="the next job")
        assert next_one.return_value() == "done"
    finally:
        loops.stop()
    assert not any(thread.is_alive() for thread in loops.threads)


def test_worker_processes_run_at_the_niceness_asked_for(sync_app, worker_process):
    worker = worker_process(sync_app, CONECTA_WORKER_NICE=10, CONECTA_WORKER_PROCESSES=2)
    pool = worker.process.pid
    wait_until(lambda: len(_children(pool)) == 2, timeout=30, what="the pool's two processes")
    assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in [pool, *_children(pool)]] == [10, 10, 10]


def _children(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as children:
        return [int(child) for child in children.read().split()]
