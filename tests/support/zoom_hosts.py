"""Account-mode fixtures: acme with a second staff member, their Zoom users in the sandbox, and the
whole-account connection (matched by email while connecting)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from conecta.extensions import db
from conecta.models import User
from conecta.models.zoom_host import ZoomHost
from tests.support.factories import OrgBundle, password_hash


@dataclass
class Team:
    """acme connected for the whole Zoom account: `staff` (Sam) and `second` (Diego) each have a Zoom user
    (`hosts[member.id]` is its id); the admin (Ada) has none, so host@example.com hosts her meetings."""

    org: OrgBundle
    second: User
    hosts: dict[int, str]

    @property
    def staff(self) -> User:
        return self.org.staff


def add_member(org: OrgBundle, email: str, name: str, role: str = "staff") -> User:
    member = User(org=org.org, email=email, name=name, password_hash=password_hash(), role=role)
    db.session.add(member)
    db.session.commit()
    return member


def host_of(member: User) -> ZoomHost | None:
    db.session.expire_all()
    return db.session.get(ZoomHost, member.id)


@pytest.fixture
def team(sync_app: Flask, acme: OrgBundle, connect_zoom: Any, zoom_sandbox: Any) -> Team:
    second = add_member(acme, "diego@acme.test", "Diego Dos")
    hosts = {member.id: zoom_sandbox.add_user(member.email)["id"] for member in (acme.staff, second)}
    connection = connect_zoom(acme, mode="account")
    assert connection.is_account_mode
    return Team(acme, second, hosts)


__all__ = ["Team", "add_member", "host_of", "team"]
