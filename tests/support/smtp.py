"""Mail test support: a real SMTP server (aiosmtpd on a spare port) collecting what it receives, a real
RQ worker for the "mail" queue, saving appointments the way the booking pipeline does (with Zoom's part
played by hand), and readers for what arrived.

`smtp_server` starts one per test; `stop()` and `start()` simulate the mail server going away and
coming back (on the same port), so tests can show that nothing is lost in between.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage

import pytest
from flask import Flask
from icalendar import Calendar

from conecta.extensions import db
from conecta.mail import plan as mail_plan
from conecta.mail import send as mail_send
from conecta.models import Appointment, ZoomState
from conecta.models.email import OutboxEmail
from conecta.models.types import utcnow
from conecta.scheduling import BookingDetails, cancel_appointment, create_appointment, update_appointment
from conecta.zoom.dispatch import release_waiting_email
from tests.support.factories import with_zoom


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


class _Collector:
    def __init__(self, sink: list[Received], lock: threading.Lock, refused: set[str]) -> None:
        self.sink = sink
        self.lock = lock
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        with self.lock:
            self.sink.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(raw)))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """An aiosmtpd server on 127.0.0.1:`port`; `messages` is everything it accepted, in order."""

    port: int = field(default_factory=spare_port)
    host: str = "127.0.0.1"
    messages: list[Received] = field(default_factory=list)
    # Addresses answered with a permanent "550 no such user".
    refused: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: object | None = None

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            _Collector(self.messages, self._lock, self.refused), hostname=self.host, port=self.port
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def config(self) -> dict:
        """App config overrides that send mail here."""
        return {
            "MAIL_SERVER": self.host,
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_USERNAME": None,
        }


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app, smtp_server: SmtpServer, tmp_path) -> Iterator[Flask]:
    """The app sending real email to `smtp_server` (retries at once, the Dev mailbox in `tmp_path`), with
    an app context pushed. A test module that emails takes it as its `app`:
    a fixture `app(mail_app)` returning it."""
    app = make_app(
        **smtp_server.config(),
        MAIL_DEFAULT_SENDER="Conecta <bookings@conecta.test>",
        MAIL_RETRY_INTERVALS=[0, 0],
        MAIL_CATCHER_DIR=str(tmp_path / "mailbox"),
    )
    with app.app_context():
        yield app


def run_mail_worker(max_jobs: int | None = None) -> None:
    """Run the app's "mail" queue with a real RQ worker in burst mode (JSON serializer, as in
    production), in this process, until it is empty or `max_jobs` jobs ran. Needs an app context."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from conecta import jobs
    from conecta.extensions import db

    db.session.commit()  # end the test's transaction: SQLite would keep the worker from writing
    worker = SimpleWorker([jobs.queue("mail")], connection=jobs.redis_conn(), serializer=JSONSerializer)
    worker.work(burst=True, max_jobs=max_jobs, logging_level="WARNING")
    db.session.expire_all()


JOIN_URL = "https://zoom.example/j/85746352901?pwd=JoinPwd123"
MEETING_ID = "85746352901"
MEETING_ID_SHOWN = "857 4635 2901"
# Recognisable: it must never reach a client, in any part of any message.
START_URL = "https://zoom.example/s/85746352901?zak=HOST-ONLY-START-TOKEN"
START_TOKEN = "HOST-ONLY-START-TOKEN"


def save(appointment: Appointment, change: str, *, zoom_sync: bool = False) -> Appointment:
    """Save the way `conecta.bookings.service` does -- flush, Zoom's plan, the email plan, commit, enqueue
    -- with Zoom's plan played by hand: with `zoom_sync` the appointment looks like one whose meeting is
    being created or updated (what Zoom's plan does in a connected organization)."""
    db.session.add(appointment)
    db.session.flush()
    if zoom_sync:
        with_zoom(appointment, wanted=True, state=ZoomState.PENDING, sync_requested_at=utcnow())
    mail_plan.plan(appointment)
    db.session.commit()
    mail_send.enqueue_queued(appointment.id)
    return appointment


def book(bundle, starts_at: datetime, *, zoom: bool = False, **kwargs) -> Appointment:
    details = BookingDetails(
        client=kwargs.pop("client", bundle.client),
        service=kwargs.pop("service", bundle.zoom_service if zoom else bundle.service),
        staff=kwargs.pop("staff", bundle.staff),
        starts_at=starts_at,
        **kwargs,
    )
    return save(create_appointment(db.session, bundle.org, details), "created", zoom_sync=zoom)


def edit(appointment: Appointment, *, zoom_sync: bool = False, **changes) -> Appointment:
    fields = {
        "client": appointment.client,
        "service": appointment.service,
        "staff": appointment.staff,
        "starts_at": appointment.starts_at,
        "duration_minutes": None,
        "notes": appointment.notes,
    }
    fields.update(changes)
    update_appointment(db.session, appointment, BookingDetails(**fields))
    return save(appointment, "updated", zoom_sync=zoom_sync)


def cancel(appointment: Appointment, *, zoom_sync: bool = False) -> Appointment:
    cancel_appointment(appointment)
    return save(appointment, "cancelled", zoom_sync=zoom_sync)


def settle(
    appointment: Appointment,
    state: str,
    *,
    join_url: str | None = JOIN_URL,
    passcode: str | None = "482913",
) -> None:
    """The reconciler committed a settled state, then its job released the email that waited (as
    `conecta.zoom.dispatch.reconcile_job` does)."""
    zoom = with_zoom(appointment, state=state, sync_requested_at=None)
    if state == "ready":
        zoom.meeting_id, zoom.join_url, zoom.start_url, zoom.passcode = (
            MEETING_ID,
            join_url,
            START_URL,
            passcode,
        )
    elif state in ("deleted", "none"):
        zoom.meeting_id = zoom.join_url = zoom.start_url = zoom.passcode = None
    db.session.commit()
    release_waiting_email(appointment.id)


def outbox(appointment: Appointment | None = None) -> list[OutboxEmail]:
    db.session.expire_all()
    query = db.select(OutboxEmail).order_by(OutboxEmail.id)
    if appointment is not None:
        query = query.where(OutboxEmail.appointment_id == appointment.id)
    return list(db.session.scalars(query))


def text_parts(message: EmailMessage) -> dict[str, str]:
    """Every leaf part, decoded, keyed by content type (the .ics appears as text/calendar and
    application/ics)."""
    parts: dict[str, str] = {}
    for part in message.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        if isinstance(content, bytes):
            content = content.decode()
        parts[part.get_content_type()] = content
    return parts


def ics_of(message: EmailMessage) -> Calendar:
    attachments = [p for p in message.iter_attachments() if p.get_content_type() == "application/ics"]
    assert len(attachments) == 1, "one .ics attachment"
    return Calendar.from_ical(attachments[0].get_content())


def event_of(message: EmailMessage):
    calendar = ics_of(message)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def assert_no_start_url(received: list[Received]) -> None:
    """The host's start URL (or its token) is nowhere: not raw, not in any decoded part, not in the .ics."""
    for item in received:
        assert START_TOKEN.encode() not in item.raw
        assert b"zoom.example/s/" not in item.raw
        for content in text_parts(item.message).values():
            assert START_TOKEN not in content
            assert "zoom.example/s/" not in content
        if _has_ics(item.message):
            _calendar, event = event_of(item.message)
            for value in event.values():
                assert START_TOKEN not in str(value)


def _has_ics(message: EmailMessage) -> bool:
    return any(p.get_content_type() == "application/ics" for p in message.iter_attachments())
