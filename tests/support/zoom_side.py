"""Fixtures for changes made in Zoom behind Conecta's back: Conecta served over HTTP as the sandbox's
webhook URL (same database, same job namespace as `sync_app`), a mail server for the emails that follow,
and helpers to let the sandbox's webhooks and the jobs they start run to the end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from rq import Queue
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer

from conecta import jobs
from conecta.extensions import db
from conecta.models.email import OutboxEmail
from tests.support.live_server import LiveServer
from tests.support.smtp import SmtpServer
from tests.support.worker import run_jobs
from tests.support.zoom import zoom_config
from tests.support.zoom_sync import fresh, settle


@pytest.fixture
def webhooks_served(sync_app: Flask, make_app: Any, zoom_sandbox: Any) -> Iterator[LiveServer]:
    """Conecta over HTTP, where the sandbox delivers its signed meeting webhooks (our own changes echo
    back there too, as with Zoom)."""
    served = make_app(**zoom_config(zoom_sandbox), CONECTA_QUEUE=sync_app.config["CONECTA_QUEUE"])
    with LiveServer(served) as server:
        zoom_sandbox.configure_webhooks(url=f"{server.url}/webhooks/zoom")
        yield server


@pytest.fixture
def mailbox(sync_app: Flask, smtp_server: SmtpServer) -> SmtpServer:
    """`sync_app` sends its email to a real SMTP server of the test's own."""
    sync_app.config.update(smtp_server.config(), MAIL_RETRY_INTERVALS=[0, 0])
    return smtp_server


def let_zoom_talk(app: Flask, sandbox: Any, appointment_id: int | None = None) -> None:
    """Every webhook the sandbox queued is delivered, then every job it started (and what those start:
    reconciles, emails) has run. The test's session then forgets what it had loaded: the jobs changed it
    in sessions of their own (and test requests share the test's session)."""
    sandbox.wait_for_webhooks()
    run_until_quiet(app)
    if appointment_id is not None:
        settle(app, appointment_id)
        run_until_quiet(app)


SOON_SECONDS = 10  # retries and busy leases come back within seconds


def _nothing_queued(app: Flask) -> bool:
    """No job queued, and none scheduled for the next few seconds (a retry, a busy lease)."""
    with app.app_context():
        connection, names = jobs.redis_conn(), jobs.queue_names(app, ("default", "mail"))
        soon = int(time.time()) + SOON_SECONDS
        for name in names:
            queue = Queue(name, connection=connection, serializer=JSONSerializer)
            registry = ScheduledJobRegistry(name, connection=connection, serializer=JSONSerializer)
            if queue.count or registry.get_jobs_to_schedule(soon):
                return False
    return True


def run_until_quiet(app: Flask) -> None:
    """Run the jobs until nothing is left to do soon; the test's session then reads afresh."""
    run_jobs(app, until=lambda: _nothing_queued(app))
    db.session.expire_all()


def ready_meeting(app: Flask, book: Any, org: Any, **kwargs: Any):
    """A booked appointment whose meeting exists in Zoom (and whose confirmation went out)."""
    appointment = settle(app, book(org, **kwargs).id)
    run_until_quiet(app)
    return fresh(appointment.id)


def emails(appointment_id: int) -> list[OutboxEmail]:
    db.session.expire_all()
    query = db.select(OutboxEmail).where(OutboxEmail.appointment_id == appointment_id)
    return list(db.session.scalars(query.order_by(OutboxEmail.id)))


__all__ = ["emails", "let_zoom_talk", "mailbox", "ready_meeting", "run_until_quiet", "webhooks_served"]
