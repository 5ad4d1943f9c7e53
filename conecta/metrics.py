"""`/metrics`: what on-call watches, in Prometheus' text format, through prometheus-client.

Counted as it happens (in every process that does it):
- `conecta_http_request_duration_seconds{endpoint,method}`: a histogram of request latency per endpoint;
- `conecta_http_requests_total{endpoint,method,status}`;
- `conecta_zoom_calls_total{operation,status}`: every call to Zoom, by operation (`create_meeting`,
  `update_meeting`, ...) and HTTP status (`failed` when no answer came);
- `conecta_zoom_webhook_events_total{event,outcome}`: Zoom's meeting events, and whether they were
  settled at the door (`echo`, `stale`, ...) or `queued` for a job;
- `conecta_zoom_lease_collisions_total{job}`: jobs that met an appointment's lease and were handed back.

Read from the database and Redis at each scrape:
- `conecta_zoom_sync_lag_seconds`: the age of the oldest appointment marked for a Zoom sync (0: none);
  `conecta_zoom_sync_marked`: how many are marked;
- `conecta_queue_jobs{queue,state}`: jobs `queued` and `scheduled` per RQ queue;
- `conecta_emails{status}`: outbox emails per status.

gunicorn's processes and the RQ workers are separate processes: with `PROMETHEUS_MULTIPROC_DIR` set (the
same directory for all of them, emptied when they all start) each writes its counters there and
`/metrics`, served by any web process, adds them up -- prometheus-client's multiprocess mode. Without it
(development, tests) each process counts for itself.

`/metrics` is protected by a bearer token, `CONECTA_METRICS_TOKEN`: without the token configured the
route does not exist (404); a request without the right `Authorization: Bearer …` gets 401.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from conecta import jobs
from conecta.extensions import db
from conecta.models import ZoomMeeting
from conecta.models.email import OutboxEmail
from conecta.models.types import utcnow

bp = Blueprint("metrics", __name__)
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# The panel's long-poll waits up to ZOOM_PANEL_WAIT_SECONDS (20 s): buckets reach past it.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0)

REQUEST_SECONDS = Histogram(
    "conecta_http_request_duration_seconds", "Request latency", ["endpoint", "method"], buckets=BUCKETS
)
REQUESTS = Counter("conecta_http_requests", "Requests answered", ["endpoint", "method", "status"])
ZOOM_CALLS = Counter("conecta_zoom_calls", "Calls to Zoom's API and OAuth", ["operation", "status"])
ZOOM_WEBHOOKS = Counter("conecta_zoom_webhook_events", "Zoom's meeting events", ["event", "outcome"])
LEASE_COLLISIONS = Counter(
    "conecta_zoom_lease_collisions", "Jobs that met an appointment's lease (handed back)", ["job"]
)


def init_app(app: Flask) -> None:
    app.before_request(_start_clock)
    app.after_request(_observe)
    app.register_blueprint(bp)


def _start_clock() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        endpoint, method = request.endpoint or "none", request.method
        REQUEST_SECONDS.labels(endpoint, method).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    return response


def zoom_call(operation: str, status: Any) -> None:
    ZOOM_CALLS.labels(operation, str(status)).inc()


def zoom_webhook(event: str, outcome: str) -> None:
    ZOOM_WEBHOOKS.labels(event, outcome).inc()


def lease_collision(job: str) -> None:
    LEASE_COLLISIONS.labels(job).inc()


class StateCollector:
    """What is read at scrape time: the Zoom sync lag, queue depths, emails per status."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._database()
        yield from self._queues()

    def _database(self) -> Iterator[GaugeMetricFamily]:
        try:
            oldest, marked = db.session.execute(
                select(func.min(ZoomMeeting.sync_requested_at), func.count()).where(
                    ZoomMeeting.sync_requested_at.is_not(None)
                )
            ).one()
            emails = db.session.execute(
                select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
            ).all()
        except SQLAlchemyError:
            db.session.rollback()
            return
        finally:
            db.session.rollback()
        lag = GaugeMetricFamily(
            "conecta_zoom_sync_lag_seconds", "Age of the oldest appointment marked for a Zoom sync"
        )
        lag.add_metric([], (utcnow() - oldest).total_seconds() if oldest is not None else 0.0)
        yield lag
        yield GaugeMetricFamily(
            "conecta_zoom_sync_marked", "Appointments marked for a Zoom sync", value=marked
        )
        by_status = GaugeMetricFamily("conecta_emails", "Outbox emails per status", labels=["status"])
        for status, count in emails:
            by_status.add_metric([str(status)], count)
        yield by_status

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("conecta_queue_jobs", "Jobs per queue and state", labels=["queue", "state"])
        try:
            connection = jobs.redis_conn()
            for name in jobs.queue_names(self.app, ("default", "mail")):
                queue = Queue(name, connection=connection)
                scheduled = ScheduledJobRegistry(name, connection=connection)
                depth.add_metric([name, "queued"], queue.count)
                depth.add_metric([name, "scheduled"], scheduled.count)
        except RedisError:
            return
        yield depth


def exposition(app: Flask) -> bytes:
    """Every process's counters (multiprocess mode) or this one's, then the state read now."""
    if MULTIPROCESS:
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector(app))
    return generate_latest(counted) + generate_latest(state)


@bp.get("/metrics")
def metrics() -> Response:
    token = current_app.config.get("CONECTA_METRICS_TOKEN") or ""
    if not token:
        abort(404)
    sent = request.headers.get("Authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return Response(
            "A bearer token is needed.\n", 401, {"WWW-Authenticate": "Bearer", "Content-Type": "text/plain"}
        )
    return Response(exposition(current_app._get_current_object()), 200, {"Content-Type": CONTENT_TYPE_LATEST})  # type: ignore[attr-defined]
