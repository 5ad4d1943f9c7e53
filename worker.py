"""The RQ worker: listens on the app's queues with the scheduler on (RQ's retry intervals need it).

Each job opens its own app context on this app (`conecta.jobs.app_job`). On its maintenance tick the
worker also takes its turn at the periodic sweeps (`conecta.periodic`); a Redis key lets only one worker
run them per interval.

Concurrency is processes and threads. `CONECTA_WORKER_PROCESSES` keeps that many worker processes
running from this one command (`run_pool`); in each, `CONECTA_WORKER_THREADS` job loops take jobs side
by side (`JobThreads`). A Zoom job spends most of its time waiting for Zoom, so threads let one process
overlap those waits without another process's memory and CPU: docs/operating.md, "Capacity". The main
thread's loop is RQ's own (signals, the scheduler, RQ's maintenance, the periodic sweeps); the others
take no signals and time their jobs out with a timer instead of SIGALRM, which only a main thread gets.

Jobs run in the worker process itself (RQ's SimpleWorker; job timeouts still apply, by SIGALRM in the
main thread and by a timer in the others).
Forking a work horse per job (RQ's default, `CONECTA_WORKER_FORK=1`) costs ~150 ms of CPU per job
rebuilding database connections and statement caches in each fresh child -- more than ten times the job
itself (about 10 ms, bench/sync_throughput.py). A worker that dies mid-job loses nothing: the
appointment's sync mark stays in the database and the sweep re-enqueues it; run several workers under
your platform's process manager.

Redis coming back is noticed within a second (`RedisWatch`): the appointments whose jobs may have been
lost with it get them again at once (`conecta.zoom.recovery.after_redis_outage`), not at the sweep's
next turn.

Redis going away does not end the process (`supervise`): RQ's work loop quits on some Redis errors, and
cannot start while Redis is down, so whenever it ends without a shutdown being asked for, the
supervisor waits for Redis to answer (pausing 0.5 s, doubling up to RECONNECT_MAX_SECONDS) and starts a
fresh worker, scheduler included, on the same app. Jobs lost with Redis are found again by the sweeps
(their marks are in the database). SIGTERM or Ctrl-C still stops it, while it waits too.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

from flask import Flask
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.logutils import setup_loghandlers
from rq.queue import Queue
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty
from rq.worker.base import BaseWorker, StopRequested, WorkerStatus

from conecta import collector, create_app, jobs, periodic
from conecta.extensions import db
from conecta.zoom import recovery

MAX_MAINTENANCE_SECONDS = 60
RECONNECT_FIRST_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 5.0
STEADY_SECONDS = 60.0  # a worker that ran this long before failing starts the backoff afresh
WATCH_SECONDS = 1.0

log = logging.getLogger("rq.worker")


class PeriodicWork:
    """Adds the app's periodic sweeps to an RQ worker's maintenance tick, and remembers a shutdown."""

    conecta_app: Flask
    shutdown_requested = False
    # While waiting for jobs RQ retries a lost Redis itself, doubling its pause up to this (RQ's: 60 s).
    max_connection_wait_time = RECONNECT_MAX_SECONDS

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.shutdown_requested = True  # first: RQ's handler may raise to end the loop
        super().request_stop(signum, frame)

    def teardown(self) -> None:
        """RQ's teardown, finished without Redis: the pubsub listener is stopped even when the last
        bookkeeping fails (otherwise every restart would leave one behind, retrying forever)."""
        try:
            super().teardown()
        except RedisError as exc:
            self.log.warning("Worker %s: Redis gone during shutdown (%s)", self.name, exc)
            if self.pubsub_thread is not None:
                self.pubsub_thread.stop()

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        try:
            periodic.run_if_due(self.conecta_app)
        except RedisError:
            self.log.warning("could not take the periodic turn (Redis unreachable)")


class ConectaWorker(PeriodicWork, Worker):
    """Forks a work horse per job (RQ's default)."""


class ConectaSimpleWorker(PeriodicWork, SimpleWorker):
    """Runs jobs in the worker process itself: warm connections, statement and template caches."""


class ConectaThreadWorker(ConectaSimpleWorker):
    """A job loop in one of a worker process's extra threads (`JobThreads`)."""

    death_penalty_class = TimerDeathPenalty  # SIGALRM reaches only the main thread

    def _install_signal_handlers(self) -> None:
        """Signals reach the main thread only: its worker stops this one (`JobThreads.stop`)."""

    def run_maintenance_tasks(self) -> None:
        """The main thread's worker cleans RQ's registries and takes the periodic turn for the process."""

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        """RQ's wait for a job, given up every `timeout` seconds to see whether the loop is to stop: RQ
        itself only looks between jobs, and a signal cannot interrupt a thread's wait."""
        while not self._stop_requested:
            result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time=timeout)
            if result is not None:
                return result
        raise StopRequested


class JobThreads:
    """CONECTA_WORKER_THREADS - 1 job loops beside the main thread's, each restarted like the main one
    (`supervise`) when Redis ends it. `stop` lets each finish its job (a warm shutdown)."""

    WAIT_SECONDS = 1  # how long an idle loop waits for a job before looking whether it is to stop

    def __init__(self, app: Flask, count: int, logging_level: str) -> None:
        self.app = app
        self.logging_level = logging_level
        self.stopping = threading.Event()
        self.workers: dict[int, ConectaThreadWorker] = {}
        self.threads = [
            threading.Thread(target=self._run, args=(i,), name=f"jobs-{i}", daemon=True)
            for i in range(1, count)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _run(self, index: int) -> None:
        pause = RECONNECT_FIRST_SECONDS
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                worker = build_worker(
                    self.app, worker_class=ConectaThreadWorker, wait_seconds=self.WAIT_SECONDS
                )
                self.workers[index] = worker
                if self.stopping.is_set():
                    return
                worker.work(logging_level=self.logging_level)
            except StopRequested:
                return
            except RedisError as exc:
                log.warning("Redis failed a job thread: %s", exc)
            except Exception:  # anything else: the loop starts afresh rather than leave the process short
                log.exception("a job thread's loop failed; starting it again")
            if self.stopping.is_set():
                return
            next_pause = restart_when_redis_answers(self.app, self.stopping, pause, started, "A job thread")
            if next_pause is None:
                return
            pause = next_pause

    def stop(self, grace_seconds: float = 90.0) -> None:
        """Ask every loop to stop after its job, and wait for the loops at a job (at most `grace_seconds`)
        and for the idle ones to notice. A loop still waiting for Redis has nothing to finish."""
        self.stopping.set()
        for worker in list(self.workers.values()):
            worker._stop_requested = True
        asked = time.monotonic()
        for index, thread in enumerate(self.threads, start=1):
            while thread.is_alive():
                worker = self.workers.get(index)
                waited = time.monotonic() - asked
                busy = worker is not None and worker.get_state() == WorkerStatus.BUSY
                if waited > grace_seconds or (not busy and waited > self.WAIT_SECONDS + 2):
                    break
                thread.join(0.1)


def build_worker(
    app: Flask, *, worker_class: type[BaseWorker] = ConectaSimpleWorker, wait_seconds: int | None = None
) -> BaseWorker:
    """A worker on the app's queues. `wait_seconds`: how long it waits for a job at a time (else until
    its maintenance tick is due)."""
    with app.app_context():
        connection = jobs.redis_conn()
        names = jobs.queue_names(app, ("default", "mail"))
    tick = max(1, min(MAX_MAINTENANCE_SECONDS, int(float(app.config["PERIODIC_INTERVAL_SECONDS"]))))
    worker = worker_class(
        names,
        connection=connection,
        serializer=JSONSerializer,
        maintenance_interval=tick,
        # The idle wait (worker_ttl - 15 s) bounds how long the maintenance tick can be late.
        worker_ttl=(wait_seconds or tick) + 15,
    )
    worker.conecta_app = app
    return worker


def stop_on_signals(stopping: threading.Event) -> None:
    """SIGTERM and Ctrl-C set `stopping` (between RQ's runs: during one, RQ installs its own handlers,
    a warm then a cold shutdown)."""

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def supervise(
    app: Flask,
    *,
    worker_class: type[BaseWorker],
    burst: bool = False,
    logging_level: str = "WARNING",
    stopping: threading.Event,
) -> None:
    """Run a worker; whenever it ends without a shutdown being asked for, wait for Redis and run a new one.
    `stopping` is set by the process's signal handlers (`stop_on_signals`, installed before the first run)."""
    pause = RECONNECT_FIRST_SECONDS
    while True:
        if stopping.is_set():
            return
        started = time.monotonic()
        worker = None
        try:
            worker = build_worker(app, worker_class=worker_class)
            worker.work(with_scheduler=True, burst=burst, logging_level=logging_level)
        except StopRequested:
            return
        except RedisError as exc:
            log.warning("Redis failed the worker: %s", exc)
        if burst or (worker is not None and worker.shutdown_requested):
            return
        stop_on_signals(stopping)  # RQ's run replaced them with its own
        next_pause = restart_when_redis_answers(app, stopping, pause, started, "No worker running")
        if next_pause is None:
            return
        pause = next_pause


def restart_when_redis_answers(
    app: Flask, stopping: threading.Event, pause: float, started: float, what: str
) -> float | None:
    """A worker's run (begun at `started`, monotonic) ended unasked: wait for Redis (`wait_for_redis`),
    from RECONNECT_FIRST_SECONDS again after a steady run. The pause before the next restart, or None if
    a shutdown was asked for meanwhile."""
    if time.monotonic() - started >= STEADY_SECONDS:
        pause = RECONNECT_FIRST_SECONDS
    log.warning("%s; a fresh one starts once Redis answers (next try in %.1f s)", what, pause)
    if not wait_for_redis(app, stopping, pause):
        return None
    log.warning("Redis answers: starting a fresh worker")
    return min(pause * 2, RECONNECT_MAX_SECONDS)


def wait_for_redis(app: Flask, stopping: threading.Event, pause: float) -> bool:
    """Ping Redis after `pause`, then at doubling intervals (at most RECONNECT_MAX_SECONDS) until it answers
    (True) or a shutdown is asked for (False)."""
    delay, told = pause, False
    while not stopping.wait(delay):
        try:
            with app.app_context():
                jobs.redis_conn().ping()
            return True
        except RedisError:
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)
            if delay == RECONNECT_MAX_SECONDS and not told:  # once: the longest pause is reached
                log.warning("Redis still does not answer: trying every %.0f s", RECONNECT_MAX_SECONDS)
                told = True
    return False


class RedisWatch(threading.Thread):
    """Pings Redis every WATCH_SECONDS. When it answers after failing, or answers without the key this
    watch saw before (it restarted empty), the jobs lost with it are put back (`after_redis_outage`) --
    by one worker of all that noticed (a short Redis key takes the turn)."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="redis-watch", daemon=True)
        self.app = app
        self.stopping = threading.Event()

    def run(self) -> None:
        failing = seen = False
        while not self.stopping.wait(WATCH_SECONDS):
            with self.app.app_context():
                try:
                    failing, seen = self._look(failing, seen)
                except RedisError:
                    failing = True
                except Exception:
                    db.session.rollback()
                    log.exception("putting back the jobs lost with Redis failed; the sweep catches up")

    def _look(self, failing: bool, seen: bool) -> tuple[bool, bool]:
        connection = jobs.redis_conn()
        alive = jobs.redis_key("redis-watch", "alive")
        present = connection.set(alive, "1", nx=True) is None  # None: it was there already
        if (failing or (seen and not present)) and connection.set(
            jobs.redis_key("redis-watch", "turn"), "1", nx=True, ex=10
        ):
            log.warning("Redis is back: putting back the jobs it may have lost")
            recovery.after_redis_outage()
        return False, True


def run_pool(count: int, argv: list[str]) -> None:
    """CONECTA_WORKER_PROCESSES > 1: keep that many worker processes (this script, one worker each)
    running; SIGTERM or Ctrl-C stops them all (each finishes its job first: RQ's warm shutdown)."""
    stopping = threading.Event()
    env = {**os.environ, "CONECTA_WORKER_PROCESSES": "1"}
    command = [sys.executable, os.path.abspath(__file__), *argv]

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    children = [subprocess.Popen(command, env=env) for _ in range(count)]
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping.wait(1.0):
        for i, child in enumerate(children):
            if child.poll() is not None:  # died (killed, crashed): another takes its place
                log.warning("worker process %s ended (%s); starting another", child.pid, child.returncode)
                children[i] = subprocess.Popen(command, env=env)
    for child in children:
        child.wait()


def lower_priority(niceness: int) -> None:
    """Give the web the CPU first where both want it: a page is waited for, a job's few milliseconds are
    not. Absolute, so a pool's processes that inherit it set the same value again."""
    if niceness > 0:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
        except OSError as exc:  # already lower, or not allowed to change: run as it is
            log.warning("could not set the worker's niceness to %s (%s)", niceness, exc)


def main(argv: list[str]) -> None:
    lower_priority(int(os.environ.get("CONECTA_WORKER_NICE") or 0))
    processes = int(os.environ.get("CONECTA_WORKER_PROCESSES") or 1)
    if processes > 1 and "--burst" not in argv:
        run_pool(processes, argv)
        return
    # From the start, before the app is built and any job thread runs: a SIGTERM meanwhile (a job thread
    # waiting for Redis may already have logged) stops the process cleanly instead of killing it.
    stopping = threading.Event()
    stop_on_signals(stopping)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # prometheus-client's multiprocess mode (conecta.metrics)
        from prometheus_client import multiprocess

        atexit.register(multiprocess.mark_process_dead, os.getpid())
    app = create_app()
    jobs.set_worker_app(app)
    collector.settle_after_load()  # its objects out of the collector's sight, collections less often
    burst = "--burst" in argv
    forking = os.environ.get("CONECTA_WORKER_FORK", "").lower() in ("1", "true", "yes")
    worker_class = ConectaWorker if forking else ConectaSimpleWorker
    # RQ's own lines ("Job OK", "result is kept for …", four a job) only at CONECTA_WORKER_LOG_LEVEL
    # (WARNING: failures); Conecta's lines -- one per Zoom call, retries, sweeps -- stay at INFO.
    level = os.environ.get("CONECTA_WORKER_LOG_LEVEL", "WARNING")
    threads = None
    if not burst:
        RedisWatch(app).start()
        for name in ("rq.worker", "rq.job"):  # once, before threads could race to add them twice
            setup_loghandlers(level, name=name)
        threads = JobThreads(app, int(os.environ.get("CONECTA_WORKER_THREADS") or 1), level)
        threads.start()
    supervise(app, worker_class=worker_class, burst=burst, logging_level=level, stopping=stopping)
    if threads is not None:  # a warm shutdown (a cold one, SystemExit, takes the threads down with it)
        threads.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
