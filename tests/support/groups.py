"""Group sessions in tests: acme with a group service (Zoom on) and a few more clients."""

from __future__ import annotations

from dataclasses import dataclass

from conecta.extensions import db
from conecta.models import Client, Service
from tests.support.factories import OrgBundle, password_hash


@dataclass
class GroupClinic:
    org: OrgBundle
    group: Service
    clients: list[Client]  # carla, omar, and three more; none knows the others


def add_group_clinic(acme: OrgBundle, capacity: int = 3, zoom: bool = True) -> GroupClinic:
    group = Service(
        org=acme.org,
        name="Group therapy",
        duration_minutes=60,
        capacity=capacity,
        zoom_auto_create=zoom,
        zoom_waiting_room=False,
        zoom_require_passcode=False,
    )
    more = [
        Client(
            org=acme.org,
            name=name,
            email=f"{name.split()[0].lower()}@acme.test",
            password_hash=password_hash(),
        )
        for name in ("Pia Private", "Quinn Quiet", "Rosa Reserved")
    ]
    db.session.add_all([group, *more])
    db.session.commit()
    return GroupClinic(acme, group, [acme.client, acme.other_client, *more])
