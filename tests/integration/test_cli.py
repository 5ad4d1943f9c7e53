"""The public CLI through Click's runner: create-org and seed-demo."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conecta.auth.passwords import verify_password
from conecta.demo import ADMIN, DEMO_ORG, DEMO_TZ
from conecta.extensions import db
from conecta.models import Appointment, Client, Organization, Service, User


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _create_org(app, *extra: str, timezone: str = "America/Tijuana", email: str = "owner@new.test"):
    return app.test_cli_runner().invoke(
        args=[
            "create-org",
            "--name",
            "New Clinic",
            "--timezone",
            timezone,
            "--admin-email",
            email,
            "--admin-password",
            "owner-pass-123",
            *extra,
        ]
    )


def test_create_org_creates_the_organization_and_its_admin(app) -> None:
    result = _create_org(app, "--admin-name", "Olga Owner", email="Owner@New.test")
    assert result.exit_code == 0, result.output
    assert "Created organization 'New Clinic'" in result.output
    org = db.session.scalar(select(Organization).filter_by(name="New Clinic"))
    assert org.timezone == "America/Tijuana"
    admin = db.session.scalar(select(User).filter_by(org_id=org.id))
    assert (admin.email, admin.name, admin.role, admin.active) == (
        "owner@new.test",
        "Olga Owner",
        "admin",
        True,
    )
    assert verify_password(admin.password_hash, "owner-pass-123")


def test_the_new_admin_can_sign_in(app, client) -> None:
    assert _create_org(app).exit_code == 0
    response = client.post("/login", data={"email": "owner@new.test", "password": "owner-pass-123"})
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("timezone", "email", "message"),
    [
        ("Mars/Olympus_Mons", "owner@new.test", "Unknown time zone 'Mars/Olympus_Mons'"),
        ("PST8PDTX", "owner@new.test", "Unknown time zone"),
        ("America/Tijuana", "no-at-sign", "is not an email address"),
    ],
)
def test_create_org_refuses_bad_input_and_creates_nothing(app, timezone, email, message) -> None:
    result = _create_org(app, timezone=timezone, email=email)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert _count(Organization) == 0 and _count(User) == 0


def test_create_org_refuses_an_email_already_in_use(app, acme) -> None:
    result = _create_org(app, email=acme.admin.email)
    assert result.exit_code != 0
    assert f"A user with email {acme.admin.email} already exists." in result.output
    assert db.session.scalar(select(Organization).filter_by(name="New Clinic")) is None


def test_create_org_requires_every_option(app) -> None:
    result = app.test_cli_runner().invoke(args=["create-org", "--name", "Half"])
    assert result.exit_code == 2
    assert "Missing option" in result.output


def test_seed_demo_creates_the_demo_and_prints_every_login(app) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    org = db.session.scalar(select(Organization).filter_by(name=DEMO_ORG))
    assert org.timezone == DEMO_TZ
    people = db.session.scalars(select(User).filter_by(org_id=org.id)).all()
    assert sorted(p.role for p in people) == ["admin", "staff", "staff"]
    clients = db.session.scalars(select(Client).filter_by(org_id=org.id)).all()
    assert len(clients) == 8 and all(c.has_portal_access for c in clients)
    assert _count(Service) == 3
    appointments = db.session.scalars(select(Appointment).filter_by(org_id=org.id)).all()
    assert len(appointments) > 20
    span = max(a.starts_at for a in appointments) - min(a.starts_at for a in appointments)
    assert 7 <= span.days <= 15  # two weeks around today
    for person in [*people, *clients]:
        assert person.email in result.output
    _role, email, password, _name = ADMIN
    assert password in result.output
    assert verify_password(next(p for p in people if p.email == email).password_hash, password)


def test_seed_demo_twice_does_not_duplicate_and_its_admin_signs_in(app, client) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    counts = [_count(m) for m in (Organization, User, Client, Service, Appointment)]
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert [_count(m) for m in (Organization, User, Client, Service, Appointment)] == counts
    assert second.output == first.output  # the logins are printed again
    _role, email, password, _name = ADMIN
    assert client.post("/login", data={"email": email, "password": password}).status_code == 303
