"""One worker at a time per appointment: a Redis lease, renewed while its holder works -- and nobody waits.

The lease is short (ZOOM_LOCK_LEASE_SECONDS) and a background thread renews it while the job runs, so a
worker killed mid-job frees the appointment within seconds, not minutes.

Acquiring never waits. A job that finds the lease taken leaves a note -- which job it is, with its
arguments -- with the appointment (`leave_note`) and ends at once: neither sleeping nor rescheduling
itself for when the lease runs out. The holder, as it releases the lease, puts every noted job back at the
front of the queue (`wake`): whatever arrived while it worked (a newer mark, a change made in Zoom, a
check) runs next, reading the appointment as it is then. A note left just after the holder looked finds
the lease free and wakes itself. So one of them always does the work. A holder that dies (a worker
killed mid-job) cannot wake anybody: the periodic turn hands its notes out once its lease has run out
(`wake_orphans`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from redis.exceptions import LockError, RedisError

from conecta import jobs, metrics

log = logging.getLogger("conecta.zoom.sync")

NOTES_TTL_SECONDS = 24 * 3600


def _key(appointment_id: int) -> str:
    return jobs.redis_key("lock", "zoom-appointment", appointment_id)


def _notes_key(appointment_id: int) -> str:
    return jobs.redis_key("lock", "zoom-appointment", appointment_id, "notes")


def _noted_key() -> str:
    """Every appointment with notes, scored by when the first was left (for `wake_orphans`)."""
    return jobs.redis_key("lock", "zoom-noted")


@contextmanager
def appointment_lock(appointment_id: int) -> Iterator[bool]:
    """Hold the appointment's lease for the block (True), or yield False at once if another holds it.
    On release, the jobs noted meanwhile go back on the queue."""
    lease = float(current_app.config["ZOOM_LOCK_LEASE_SECONDS"])
    # thread_local=False: the renewing thread must use the token the job's thread acquired with.
    lock = jobs.redis_conn().lock(_key(appointment_id), timeout=lease, thread_local=False)
    if not lock.acquire(blocking=False):
        yield False
        return
    stop = threading.Event()

    def renew() -> None:
        """Every third of a lease. Through a Redis outage it keeps trying; a Redis that came back empty
        lost the lease with everything else, so the holder takes it back (same token) before a job put
        back after the outage can (`conecta.zoom.recovery.after_redis_outage` waits one period)."""
        while not stop.wait(lease / 3):
            try:
                lock.reacquire()
            except RedisError as exc:
                log.warning("zoom_sync lease for appointment %s not renewed: %s", appointment_id, exc)
            except LockError:
                if not _take_back(lock, lease):
                    log.warning("zoom_sync lease for appointment %s lost to another holder", appointment_id)
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
        try:
            wake(appointment_id)
        except RedisError:
            log.warning("zoom_sync notes of appointment %s left for the periodic turn", appointment_id)


def _take_back(lock: Any, lease: float) -> bool:
    """The lease key is gone (Redis restarted empty): set it again with our token, unless another took it."""
    try:
        return bool(lock.redis.set(lock.name, lock.local.token, nx=True, px=int(lease * 1000)))
    except RedisError:
        return True  # Redis away again: keep trying


def leave_note(appointment_id: int, job: str, *args: Any) -> None:
    """The lease is taken: leave `job` (a name `conecta.zoom.dispatch.rerun` knows) and its arguments for
    the holder. If the lease was released meanwhile -- the holder may have looked before the note was
    there -- the notes are woken now."""
    connection = jobs.redis_conn()
    pipe = connection.pipeline()
    pipe.rpush(_notes_key(appointment_id), json.dumps([job, list(args)]))
    pipe.expire(_notes_key(appointment_id), NOTES_TTL_SECONDS)
    pipe.zadd(_noted_key(), {str(appointment_id): time.time()}, nx=True)
    pipe.exists(_key(appointment_id))
    *_, held = pipe.execute()
    log.info("zoom_sync lease_collision appointment_id=%s job=%s", appointment_id, job)
    metrics.lease_collision(job)
    if not held:
        wake(appointment_id)


def wake(appointment_id: int) -> int:
    """Put the jobs noted for the appointment back at the front of the queue (each once); how many."""
    pipe = jobs.redis_conn().pipeline()  # MULTI: a note is taken by exactly one waker
    pipe.lrange(_notes_key(appointment_id), 0, -1)
    pipe.delete(_notes_key(appointment_id))
    pipe.zrem(_noted_key(), str(appointment_id))
    raw, *_ = pipe.execute()
    notes = list(dict.fromkeys(item.decode() if isinstance(item, bytes) else item for item in raw))
    if not notes:
        return 0
    from conecta.zoom.dispatch import rerun  # the jobs live above this module

    for note in reversed(notes):  # each goes to the front: the first noted ends up first
        job, args = json.loads(note)
        rerun(job, appointment_id, *args)
    return len(notes)


def wake_orphans() -> int:
    """Notes whose holder died with the lease (a killed worker): handed out once that lease is gone.
    (Notes with no lease standing may be woken by anyone: each is taken once.)"""
    connection = jobs.redis_conn()
    woken = 0
    for raw in connection.zrange(_noted_key(), 0, -1):
        appointment_id = int(raw)
        if not connection.exists(_key(appointment_id)):
            woken += wake(appointment_id)
    return woken
