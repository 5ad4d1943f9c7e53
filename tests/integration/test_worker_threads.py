"""One worker process, several job loops (CONECTA_WORKER_THREADS): its Zoom calls wait side by side, and a
warm shutdown lets every job at work finish first."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

from tests.support.worker import wait_until
from tests.support.zoom_sync import START, book, fresh, meetings


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
