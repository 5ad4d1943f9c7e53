"""Test data builders: an organization with its people, services and appointments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from conecta.auth.passwords import hash_password
from conecta.extensions import db
from conecta.models import Appointment, Client, Organization, Service, User, ZoomMeeting, ZoomState
from conecta.scheduling import BookingDetails, create_appointment

PASSWORD = "correct-horse-battery"
# Hashing with Argon2 is deliberately slow; tests share one hash of the common password.
_PASSWORD_HASH: list[str] = []


def password_hash() -> str:
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(hash_password(PASSWORD))
    return _PASSWORD_HASH[0]


@dataclass
class OrgBundle:
    """An organization with an admin, a staff member, two portal clients and two services."""

    org: Organization
    admin: User
    staff: User
    client: Client
    other_client: Client
    service: Service
    zoom_service: Service

    def book(self, starts_at: datetime | None = None, **kwargs) -> Appointment:
        """An appointment saved by the booking rules alone (no Zoom or email pipeline)."""
        details = BookingDetails(
            client=kwargs.pop("client", self.client),
            service=kwargs.pop("service", self.service),
            staff=kwargs.pop("staff", self.staff),
            starts_at=starts_at or datetime(2030, 1, 7, 17, 0, tzinfo=UTC),
            **kwargs,
        )
        appt = create_appointment(db.session, self.org, details)
        db.session.commit()
        return appt


def with_zoom(appointment: Appointment, **fields) -> ZoomMeeting:
    """Give an appointment Zoom bookkeeping as the reconciler would leave it (`fields` as on ZoomMeeting);
    the caller commits."""
    if appointment.zoom is None:
        appointment.zoom = ZoomMeeting(state=ZoomState.NONE, attempts=0)
    for name, value in fields.items():
        setattr(appointment.zoom, name, value)
    return appointment.zoom


def build_org(name: str = "Acme Clinic", tz: str = "America/Tijuana", prefix: str = "acme") -> OrgBundle:
    org = Organization(name=name, timezone=tz)
    h = password_hash()
    admin = User(org=org, email=f"admin@{prefix}.test", name="Ada Admin", password_hash=h, role="admin")
    staff = User(org=org, email=f"staff@{prefix}.test", name="Sam Staff", password_hash=h, role="staff")
    client = Client(org=org, name="Carla Client", email=f"carla@{prefix}.test", password_hash=h)
    other = Client(org=org, name="Omar Other", email=f"omar@{prefix}.test", password_hash=h)
    # Services as they were before new ones started with a waiting room and a passcode (existing services
    # keep their settings): the tests of those settings switch them on themselves.
    plain = {"zoom_waiting_room": False, "zoom_require_passcode": False}
    service = Service(org=org, name="Consultation", duration_minutes=60, **plain)
    zoom_service = Service(org=org, name="Video call", duration_minutes=30, zoom_auto_create=True, **plain)
    db.session.add_all([org, admin, staff, client, other, service, zoom_service])
    db.session.commit()
    return OrgBundle(org, admin, staff, client, other, service, zoom_service)


@pytest.fixture
def acme(app) -> OrgBundle:
    """The organization most tests act in."""
    return build_org()


@pytest.fixture
def rival(app) -> OrgBundle:
    """Another organization, whose data must never be visible from `acme`."""
    return build_org("Rival Studio", "Europe/Madrid", "rival")


def days(n: int) -> timedelta:
    return timedelta(days=n)


__all__ = ["PASSWORD", "OrgBundle", "acme", "build_org", "days", "password_hash", "rival", "with_zoom"]
