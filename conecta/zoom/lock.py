"""One worker at a time per appointment: a Redis lease, renewed while its holder works.

The lease is short (ZOOM_LOCK_LEASE_SECONDS) and a background thread renews it while the job runs, so a
worker killed mid-job frees the appointment within seconds, not minutes. Acquiring never waits: a job
that finds the lease taken reschedules itself for when it may be free (`busy_until`), and never blocks
a worker in the meantime.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import LockError, RedisError

from conecta import jobs
from conecta.models.types import utcnow

log = logging.getLogger("conecta.zoom.sync")


def _key(appointment_id: int) -> str:
    return jobs.redis_key("lock", "zoom-appointment", appointment_id)


@contextmanager
def appointment_lock(appointment_id: int) -> Iterator[bool]:
    """Hold the appointment's lease for the block (True), or yield False at once if another holds it."""
    lease = float(current_app.config["ZOOM_LOCK_LEASE_SECONDS"])
    # thread_local=False: the renewing thread must use the token the job's thread acquired with.
    lock = jobs.redis_conn().lock(_key(appointment_id), timeout=lease, thread_local=False)
    if not lock.acquire(blocking=False):
        yield False
        return
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease / 3):
            try:
                lock.reacquire()
            except (LockError, RedisError) as exc:
                log.warning("zoom_sync lease for appointment %s not renewed: %s", appointment_id, exc)
                return

    renewer = threading.Thread(target=renew, name=f"zoom-lease-{appointment_id}", daemon=True)
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join()
        try:
            lock.release()
        except (LockError, RedisError):
            log.warning("zoom_sync lease for appointment %s expired before release", appointment_id)


def busy_until(appointment_id: int) -> datetime:
    """When to look again at an appointment whose lease another holds: as it expires, or in a second."""
    try:
        remaining_ms = jobs.redis_conn().pttl(_key(appointment_id))
    except RedisError:
        remaining_ms = -1
    seconds = max(1.0, remaining_ms / 1000) if remaining_ms > 0 else 1.0
    return utcnow() + timedelta(seconds=seconds)
