"""RQ plumbing: one Redis connection per app, one `enqueue()` helper, one app context per job.

Job functions live next to their domain (`conecta.zoom.dispatch`, `conecta.mail.send`) and are enqueued
by function reference, with ids only, never objects: the job reads the current state when it runs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

F = TypeVar("F", bound=Callable[..., Any])

_worker_app: Flask | None = None
_JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def init_app(app: Flask) -> None:
    app.extensions["redis"] = Redis.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
    )


def redis_conn() -> Redis:
    return current_app.extensions["redis"]


def queue(name: str = "default") -> Queue:
    """The app's queue `name`, prefixed with CONECTA_QUEUE so separate runs never share jobs."""
    prefix = current_app.config["CONECTA_QUEUE"]
    return Queue(f"{prefix}-{name}", connection=redis_conn(), serializer=JSONSerializer)


def queue_names(app: Flask, names: tuple[str, ...] = ("default",)) -> list[str]:
    return [f"{app.config['CONECTA_QUEUE']}-{n}" for n in names]


def redis_key(*parts: object) -> str:
    """A Redis key in this app's namespace (locks, markers), e.g. `conecta:lock:zoom-token:3`."""
    return ":".join([current_app.config["CONECTA_QUEUE"], *(str(p) for p in parts)])


def safe_job_id(*parts: object) -> str:
    """RQ job ids may hold only letters, digits, `_` and `-`."""
    return _JOB_ID_UNSAFE.sub("-", "-".join(str(p) for p in parts))


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    job_id: str,
    queue_name: str = "default",
    retry: Retry | None = None,
    on_failure: Callable[..., Any] | None = None,
    job_timeout: int = 60,
    at: datetime | None = None,
    at_front: bool = False,
) -> Job:
    """Enqueue `func(*args)` with the house defaults (JSON, TTLs, optional retry and failure callback).

    `job_id` is deterministic (e.g. "zoom-reconcile-7"): enqueuing the same work twice is harmless by
    design, so there is no de-duplication here. `at` (an aware datetime) schedules the job instead; the
    worker's scheduler enqueues it when due. `at_front` puts it ahead of the queued jobs (work that was
    already due, handed back by a lease's holder).
    """
    prefix = current_app.config["CONECTA_QUEUE"]
    kwargs: dict[str, Any] = {
        # Job ids carry the queue prefix too: two runs sharing one Redis never share a job.
        "job_id": safe_job_id(prefix, job_id),
        "retry": retry,
        "result_ttl": 3600,
        "failure_ttl": 7 * 24 * 3600,
        "ttl": 24 * 3600,
        "job_timeout": job_timeout,
    }
    if on_failure is not None:
        kwargs["on_failure"] = Callback(on_failure)
    if at is not None:
        return queue(queue_name).enqueue_at(at, func, *args, **kwargs)
    return queue(queue_name).enqueue(func, *args, at_front=at_front, **kwargs)


def set_worker_app(app: Flask) -> None:
    """worker.py hands its app over so each job can open its own context on it."""
    global _worker_app
    _worker_app = app


def _app_for_job() -> Flask:
    if has_app_context():  # a test working the queue in its own context
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        raise RuntimeError("No app for this job: worker.py hands its app over with set_worker_app().")
    return _worker_app


def app_job(func: F) -> F:
    """Run the job inside a fresh app context (and so a fresh DB session) of the worker's app."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _app_for_job().app_context():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
