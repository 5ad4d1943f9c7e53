"""The Zoom RQ jobs: thin wrappers that open one app context per job and call `conecta.zoom.sync`.

Enqueued by dotted path with ids only (`sync.request_reconcile`, `sync.schedule_sweep`); each job reads
the appointment as it is when it runs.
"""

from __future__ import annotations

import logging
from typing import Any

from rq import get_current_job

from conecta.jobs import app_job
from conecta.zoom import sync

log = logging.getLogger("conecta.zoom.sync")


@app_job
def reconcile_job(appointment_id: int) -> str:
    job = get_current_job()
    return sync.reconcile(appointment_id, job_id=job.id if job else None)


@app_job
def refresh_start_url_job(appointment_id: int) -> str:
    return sync.refresh_start_url(appointment_id)


@app_job
def sweep_job() -> dict[str, int]:
    result = sync.run_sweep_and_reschedule()
    return {"requeued": result.requeued, "refreshing": result.refreshing}


@app_job
def on_reconcile_failure(job: Any, connection: Any, exc_type: Any, exc_value: Any, tb: Any) -> None:
    """RQ calls this after every failed attempt of a reconcile job that raised (not a Zoom error: those
    are handled inside). Only once RQ's own retries are spent does the appointment show `failed`."""
    appointment_id = job.args[0] if job.args else None
    log.error(
        "zoom_sync job_crashed appointment_id=%s retries_left=%s error=%s",
        appointment_id,
        job.retries_left,
        getattr(exc_type, "__name__", exc_type),
    )
    if appointment_id is not None and not job.retries_left:
        sync.mark_failed_unexpectedly(int(appointment_id))


@app_job
def check_duplicates_job(appointment_id: int) -> int:
    return sync.check_duplicates(appointment_id)
