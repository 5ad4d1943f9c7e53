"""RQ plumbing: one Redis connection per app, one `enqueue()` helper, one app context per job.

Job functions live next to their domain (e.g. `conecta.zoom.jobs`) and are enqueued by dotted path
with ids only, never objects: the job reads the current state when it runs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry
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
    func_path: str,
    *args: Any,
    job_id: str | None = None,
    queue_name: str = "default",
    retry: Retry | None = None,
    on_failure: str | None = None,
    at_front: bool = False,
    job_timeout: int = 60,
    at: datetime | None = None,
) -> Job:
    """Enqueue `func_path(*args)` with the house defaults (JSON, TTLs, optional retry/callback).

    `at` (an aware datetime) schedules the job instead; the worker's scheduler enqueues it when due.
    """
    from rq import Callback

    prefix = current_app.config["CONECTA_QUEUE"]
    kwargs: dict[str, Any] = {
        # Job ids carry the queue prefix too: two runs sharing one Redis never share a job.
        "job_id": safe_job_id(prefix, job_id) if job_id else None,
        "retry": retry,
        "result_ttl": 3600,
        "failure_ttl": 7 * 24 * 3600,
        "ttl": 24 * 3600,
        "job_timeout": job_timeout,
        "at_front": at_front,
    }
    if on_failure:
        kwargs["on_failure"] = Callback(on_failure)
    if at is not None:
        return queue(queue_name).enqueue_at(at, func_path, *args, **kwargs)
    return queue(queue_name).enqueue(func_path, *args, **kwargs)


def set_worker_app(app: Flask) -> None:
    """worker.py hands its app over so each job can open its own context on it."""
    global _worker_app
    _worker_app = app


def _app_for_job() -> Flask:
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        from conecta import create_app

        _worker_app = create_app()
    return _worker_app


def app_job(func: F) -> F:
    """Run the job inside a fresh app context (and so a fresh DB session) of the worker's app."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _app_for_job().app_context():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
