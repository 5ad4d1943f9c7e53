"""The RQ worker: listens on the app's queues with the scheduler on (RQ's retry intervals need it).

Each job opens its own app context on this app (`conecta.jobs.app_job`). On its maintenance tick the
worker also takes its turn at the periodic sweeps (`conecta.periodic`); a Redis key lets only one worker
run them per interval.

Jobs run in the worker process itself (RQ's SimpleWorker; job timeouts still apply, by SIGALRM).
Forking a work horse per job (RQ's default, `CONECTA_WORKER_FORK=1`) costs ~150 ms of CPU per job
rebuilding database connections and statement caches in each fresh child -- more than ten times the job
itself (about 10 ms, bench/sync_throughput.py). A worker that dies mid-job loses nothing: the appointment's sync
mark stays in the database and the sweep re-enqueues it; run several workers under a supervisor.
"""

from __future__ import annotations

import os
import sys

from flask import Flask
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer
from rq.worker.base import BaseWorker

from conecta import create_app, jobs, periodic

MAX_MAINTENANCE_SECONDS = 60


class PeriodicWork:
    """Adds the app's periodic sweeps to an RQ worker's maintenance tick."""

    conecta_app: Flask

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


def build_worker(app: Flask, *, worker_class: type[BaseWorker] = ConectaSimpleWorker) -> BaseWorker:
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
        worker_ttl=tick + 15,
    )
    worker.conecta_app = app
    return worker


def main(argv: list[str]) -> None:
    app = create_app()
    jobs.set_worker_app(app)
    burst = "--burst" in argv
    forking = os.environ.get("CONECTA_WORKER_FORK", "").lower() in ("1", "true", "yes")
    worker_class = ConectaWorker if forking else ConectaSimpleWorker
    # RQ's own lines ("Job OK", "result is kept for …", four a job) only at CONECTA_WORKER_LOG_LEVEL
    # (WARNING: failures); Conecta's lines -- one per Zoom call, retries, sweeps -- stay at INFO.
    level = os.environ.get("CONECTA_WORKER_LOG_LEVEL", "WARNING")
    build_worker(app, worker_class=worker_class).work(with_scheduler=True, burst=burst, logging_level=level)


if __name__ == "__main__":
    main(sys.argv[1:])
