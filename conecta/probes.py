"""Probes for load balancers and orchestrators: `/healthz` (the process answers) and `/readyz` (its
database and Redis answer too, each within PROBE_TIMEOUT_SECONDS; else 503, so traffic goes elsewhere).

Both are plain text, public, and touch no session. A balancer must send a Host this app serves
(`CONECTA_BASE_URL`'s, or one of `CONECTA_TRUSTED_HOSTS`), like any request.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, Flask, Response, current_app
from redis import Redis
from sqlalchemy import text

from conecta.extensions import db

bp = Blueprint("probes", __name__)
# A database that hangs must not hang the probe: the check runs on a thread of its own, and is given up on.
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


def _plain(body: str, status: int) -> Response:
    return Response(
        body + "\n", status, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    )


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: the process serves requests. Nothing else is checked (a restart would not fix Redis)."""
    return _plain("ok", 200)


@bp.get("/readyz")
def readyz() -> Response:
    """Ready: the database and Redis each answered within the bound."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    bound = float(app.config["PROBE_TIMEOUT_SECONDS"])
    failures = [
        name for name, check in (("database", _database), ("redis", _redis)) if not _within(check, app, bound)
    ]
    if failures:
        return _plain("not ready: " + ", ".join(failures) + " did not answer", 503)
    return _plain("ready", 200)


def _within(check: Callable[[Flask, float], bool], app: Flask, bound: float) -> bool:
    future = _checks.submit(check, app, bound)
    try:
        return future.result(timeout=bound)
    except Exception:  # timed out (FutureTimeout), or the check failed
        return False


def _database(app: Flask, bound: float) -> bool:
    with app.app_context():
        try:
            db.session.execute(text("SELECT 1"))
            return True
        finally:
            db.session.remove()


def _redis(app: Flask, bound: float) -> bool:
    """A client of its own with short timeouts (the app's waits longer for a busy Redis)."""
    url = app.config["REDIS_URL"]
    clients = app.extensions.setdefault("redis_probe", {})
    if url not in clients:
        clients[url] = Redis.from_url(url, socket_connect_timeout=bound, socket_timeout=bound)
    return bool(clients[url].ping())
