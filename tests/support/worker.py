"""Real RQ workers and a private Redis for tests.

- `run_jobs(app, until=...)`: RQ's `SimpleWorker` in this process, in burst mode with the scheduler on,
  round after round until `until()` holds (or nothing is queued or scheduled). Deterministic: the jobs run
  in the test's own thread, through the same Redis queues, serializer and callbacks as production.
- `WorkerProcess`: `python worker.py` as a subprocess (its own process group, so SIGKILL takes the work
  horse and the scheduler down with it) — for browser tests and for killing a worker mid-job.
- `PrivateRedis`: a `redis-server` of our own on a spare port, to stop and start without touching the
  machine's shared Redis.
- `wait_until(predicate)`: a bounded poll for things that happen in another process.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer

from conecta import jobs
from tests.conftest import RUN_ID

ROOT = Path(__file__).resolve().parents[2]
# Worker processes run as the Procfile runs them, with its job threads in each; at normal priority
# (not its CONECTA_WORKER_NICE): here the test waits for the jobs, not a visitor for a page.
PROCFILE_THREADS = re.search(r"CONECTA_WORKER_THREADS:-(\d+)", (ROOT / "Procfile").read_text()).group(1)


def wait_until(
    predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()  # a bounded poll between checks, never a fixed delay standing in for one
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        pause.wait(interval)


def fresh_namespace(app: Flask) -> str:
    """Give `app` queue names, job ids and lock keys of its own (still cleaned up at the end of the run)."""
    app.config["CONECTA_QUEUE"] = f"test-{RUN_ID}-{uuid.uuid4().hex[:8]}"
    return app.config["CONECTA_QUEUE"]


def _queues(app: Flask) -> tuple[Redis, list[str]]:
    with app.app_context():
        return jobs.redis_conn(), jobs.queue_names(app, ("default", "mail"))


def pending_job_count(app: Flask, func_prefix: str = "") -> int:
    """Distinct jobs queued or scheduled (due or not) in the app's queues, optionally only those whose
    function's dotted path starts with `func_prefix` (e.g. "conecta.zoom."). A job enqueued twice under
    its deterministic id counts once."""
    connection, names = _queues(app)
    total = 0
    for name in names:
        queue = Queue(name, connection=connection, serializer=JSONSerializer)
        scheduled = ScheduledJobRegistry(name, connection=connection, serializer=JSONSerializer)
        for job_id in {*queue.get_job_ids(), *scheduled.get_job_ids()}:
            job = queue.fetch_job(job_id)
            if job is not None and job.func_name.startswith(func_prefix):
                total += 1
    return total


def enqueue_due_jobs(connection: Redis, names: list[str]) -> None:
    """What RQ's scheduler does each second: move scheduled jobs that are due onto their queue. Done here
    directly because a worker killed by a test may still hold the scheduler's lock for a minute."""
    for name in names:
        queue = Queue(name, connection=connection, serializer=JSONSerializer)
        registry = ScheduledJobRegistry(name, connection=connection, serializer=JSONSerializer)
        for job_id in registry.get_jobs_to_schedule(int(time.time())):
            job = queue.fetch_job(job_id)
            registry.remove(job_id)
            if job is not None:
                queue.enqueue_job(job)


def run_jobs(app: Flask, until: Callable[[], Any] | None = None, timeout: float = 20.0) -> Any:
    """Work the app's queues in this process until `until()` is truthy (returned), or until no Zoom job
    is queued or scheduled. Scheduled jobs (retries, backoffs) run once they are due."""
    connection, names = _queues(app)

    def done() -> Any:
        if until is not None:
            return until()
        return pending_job_count(app, "conecta.zoom.") == 0

    def one_round() -> Any:
        enqueue_due_jobs(connection, names)
        worker = SimpleWorker(names, connection=connection, serializer=JSONSerializer)
        worker.log_result_lifespan = False
        worker.work(burst=True, logging_level="WARNING")
        return done()

    return wait_until(one_round, timeout=timeout, what="the jobs to finish")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A throwaway redis-server (no persistence: a restart comes back empty, like a lost Redis)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url, socket_connect_timeout=0.5)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except Exception:
                return False

        wait_until(answers, timeout=10, what=f"redis-server on port {self.port}")
        client.close()
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path).start()
    yield redis
    redis.stop()


def point_at_redis(app: Flask, url: str) -> None:
    """Switch a running app (and so its enqueues, locks and flags) to another Redis."""
    app.config["REDIS_URL"] = url
    jobs.init_app(app)


class WorkerProcess:
    """`python worker.py` for the app's database, Redis namespace and Zoom base URLs."""

    def __init__(self, app: Flask, log_path: Path, **env: Any) -> None:
        config = app.config
        self.log_path = log_path
        self.env = {
            **os.environ,
            "CONECTA_ENV": "development",
            "SECRET_KEY": config["SECRET_KEY"],
            "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": config["REDIS_URL"],
            "CONECTA_QUEUE": config["CONECTA_QUEUE"],
            "CONECTA_ENCRYPTION_KEYS": config["CONECTA_ENCRYPTION_KEYS"],
            "ZOOM_OAUTH_BASE_URL": config["ZOOM_OAUTH_BASE_URL"],
            "ZOOM_API_BASE_URL": config["ZOOM_API_BASE_URL"],
            "MAIL_SERVER": str(config.get("MAIL_SERVER", "127.0.0.1")),
            "MAIL_PORT": str(config.get("MAIL_PORT", 8025)),
            "CONECTA_WORKER_PROCESSES": "1",
            "CONECTA_WORKER_THREADS": PROCFILE_THREADS,
            **{k: str(v) for k, v in env.items()},
        }
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self) -> WorkerProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (kept open for the process's lifetime)
        self.process = subprocess.Popen(
            [sys.executable, "worker.py"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the work horse and scheduler die with it
        )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker, its work horse and its scheduler at once: nothing gets to clean up.

        RQ's work horse starts a session of its own (setsid), so the process group is not enough: every
        descendant of the worker is killed by its pid, first, so none can carry on alone."""
        if self.process is not None:
            for pid in [*_descendants(self.process.pid), self.process.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._close_log()

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), then SIGKILL if it does not go."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
                return
            except ProcessLookupError:
                pass
        if self.process is not None:
            for pid in _descendants(self.process.pid):  # what it left behind (a horse, its scheduler)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self._close_log()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def _descendants(pid: int) -> list[int]:
    """Every living descendant of `pid` (children first discovered, then theirs), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, frontier = [], [pid]
    while frontier:
        children = parents.get(frontier.pop(), [])
        found += children
        frontier += children
    return found


@pytest.fixture
def worker_process(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """`worker_process(app, **env)` starts `worker.py` for the app; every one started is stopped after."""
    started: list[WorkerProcess] = []

    def start(app: Flask, **env: Any) -> WorkerProcess:
        worker = WorkerProcess(app, tmp_path / f"worker-{len(started)}.log", **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


__all__ = [
    "PrivateRedis",
    "WorkerProcess",
    "fresh_namespace",
    "pending_job_count",
    "point_at_redis",
    "private_redis",
    "run_jobs",
    "wait_until",
    "worker_process",
]
