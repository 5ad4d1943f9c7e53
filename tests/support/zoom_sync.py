"""Fixtures and helpers for the Zoom sync tests: an app with its own job namespace and short clocks,
acme connected to the sandbox, and bookings made through the real booking service."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from conecta.bookings import service as bookings
from conecta.extensions import db
from conecta.models import Appointment
from conecta.models.audit import AuditEvent
from conecta.scheduling import BookingDetails
from tests.support.factories import OrgBundle
from tests.support.worker import fresh_namespace, run_jobs

# 10:00 in Tijuana on a Monday in March 2030, after the spring DST change (UTC-7).
START = datetime(2030, 3, 11, 17, 0, tzinfo=UTC)

FAST_SYNC = {
    # Short clocks so faults converge in a test's time; production keeps conecta.config's defaults.
    "ZOOM_RETRY_BASE_SECONDS": 0.05,
    "ZOOM_RETRY_CAP_SECONDS": 2.0,
    "ZOOM_API_TIMEOUT_SECONDS": 2.0,
    "ZOOM_SWEEP_MIN_AGE_SECONDS": 0,
    "PERIODIC_INTERVAL_SECONDS": 1,
}


@pytest.fixture
def sync_app(zoom_app: Flask) -> Flask:
    """`zoom_app` with a Redis namespace of its own (queues no other test touches) and short sync clocks."""
    fresh_namespace(zoom_app)
    zoom_app.config.update(FAST_SYNC)
    return zoom_app


@dataclass
class ConnectedOrg(OrgBundle):
    """acme, connected to Zoom in one of the two modes. In account mode its staff member has a Zoom user
    of their own in the sandbox (matched by email); its admin has none (their meetings fall back to the
    connecting user, host@example.com)."""

    mode: str = "user"
    staff_host: str | None = None  # the staff member's Zoom user id (account mode)

    @property
    def staff_host_email(self) -> str:
        """Who hosts the staff member's meetings."""
        return self.staff.email if self.staff_host else "host@example.com"

    @property
    def create_path(self) -> str:
        """Where the staff member's meetings are created (and listed, to find a lost create)."""
        return f"/v2/users/{self.staff_host or 'me'}/meetings"


@pytest.fixture(params=["user", "account"])
def zoom_mode(request: pytest.FixtureRequest) -> str:
    """Both connection modes: every test of the Zoom sync, panel and fault modules runs in each."""
    return request.param


@pytest.fixture
def connected(
    sync_app: Flask, acme: OrgBundle, connect_zoom: Any, zoom_sandbox: Any, zoom_mode: str
) -> ConnectedOrg:
    """acme with Zoom connected through the real OAuth flow (its `zoom_service` has the toggle on), in
    user mode (every meeting on the connecting user, "me") and in account mode (the staff member's
    meetings on their own Zoom user)."""
    staff_host = None
    if zoom_mode == "account":
        staff_host = zoom_sandbox.add_user(acme.staff.email)["id"]
    connection = connect_zoom(acme, mode=zoom_mode)
    assert connection.mode == zoom_mode
    return ConnectedOrg(**{f.name: getattr(acme, f.name) for f in fields(OrgBundle)}, mode=zoom_mode,
                        staff_host=staff_host)  # fmt: skip


def book(org: OrgBundle, starts_at: datetime = START, **kwargs: Any) -> Appointment:
    """Book through the booking pipeline (the path every view takes): plans, commit, jobs and all."""
    details = BookingDetails(
        client=kwargs.pop("client", org.client),
        service=kwargs.pop("service", org.zoom_service),
        staff=kwargs.pop("staff", org.staff),
        starts_at=starts_at,
        **kwargs,
    )
    return bookings.save_new(org.org, details)


def booking_form(org: OrgBundle, **overrides: Any) -> dict[str, Any]:
    """What the booking modal posts for `org`'s client, Zoom service and staff member at START (local)."""
    local = START.astimezone(org.org.tz)
    form = {
        "client_id": org.client.id,
        "service_id": org.zoom_service.id,
        "staff_id": org.staff.id,
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "duration_minutes": "",
        "notes": "",
    }
    form.update(overrides)
    return form


def edit(appointment: Appointment, **changes: Any) -> Appointment:
    values = {
        "client": appointment.client,
        "service": appointment.service,
        "staff": appointment.staff,
        "starts_at": appointment.starts_at,
        "duration_minutes": appointment.duration_minutes,
        "notes": appointment.notes,
    }
    values.update(changes)
    return bookings.save_edit(appointment, BookingDetails(**values))


def fresh(appointment_id: int) -> Appointment:
    db.session.expire_all()
    return db.session.get(Appointment, appointment_id)


def settle(app: Flask, appointment_id: int, timeout: float = 20.0) -> Appointment:
    """Run the worker until the appointment's Zoom state settles (nothing marked, not pending)."""

    def settled() -> bool:
        appointment = fresh(appointment_id)
        return appointment.zoom_state != "pending" and (
            appointment.zoom is None or appointment.zoom.sync_requested_at is None
        )

    run_jobs(app, until=settled, timeout=timeout)
    return fresh(appointment_id)


def meetings(sandbox: Any) -> list[dict]:
    return sandbox.state()["meetings"]


def api_calls(sandbox: Any, method: str | None = None) -> list[tuple[str, str]]:
    """The Meetings API calls the sandbox saw (OAuth, /users/me, the account's users read when connecting
    for the whole account, and control endpoints left out)."""
    return [
        (entry["method"], entry["path"])
        for entry in sandbox.state()["request_log"]
        if entry["path"].startswith("/v2/")
        and entry["path"] not in ("/v2/users/me", "/v2/users")
        and (method is None or entry["method"] == method)
    ]


def audit_events(appointment_id: int) -> list[str]:
    return list(
        db.session.scalars(
            db.select(AuditEvent.event)
            .where(AuditEvent.appointment_id == appointment_id)
            .order_by(AuditEvent.id)
        )
    )


__all__ = [
    "FAST_SYNC",
    "START",
    "ConnectedOrg",
    "api_calls",
    "audit_events",
    "book",
    "booking_form",
    "connected",
    "edit",
    "fresh",
    "meetings",
    "settle",
    "sync_app",
    "zoom_mode",
]
