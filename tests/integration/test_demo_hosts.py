"""The demo's story: its Zoom sandbox account has the demo's admin and staff by email, so after connecting
for the whole Zoom account Sofía and Diego, booked for video at the same hour, get two hosts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select

from conecta.demo import DEMO_ORG, STAFF, zoom_sandbox_users
from conecta.extensions import db
from conecta.models import Client, Organization, Service, User
from conecta.models.types import utcnow
from tests.support.zoom_sync import book, meetings, settle

ROOT = Path(__file__).resolve().parents[2]


def test_scripts_run_gives_the_sandbox_the_demos_people():
    assert (
        f'ZOOM_SANDBOX_USERS="${{ZOOM_SANDBOX_USERS:-{zoom_sandbox_users()}}}"'
        in (ROOT / "scripts/run").read_text()
    )


def test_two_demo_staff_at_the_same_hour_get_two_hosts(sync_app, connect_zoom, zoom_sandbox):
    assert sync_app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    for spec in zoom_sandbox_users().split(","):  # what scripts/run starts the sandbox with
        email, _, role = spec.partition(":")
        zoom_sandbox.add_user(email, role)
    org = db.session.scalar(select(Organization).filter_by(name=DEMO_ORG))
    admin = db.session.scalar(select(User).filter_by(org_id=org.id, role="admin"))
    video = db.session.scalar(select(Service).filter_by(org_id=org.id, name="Video consultation"))
    connect_zoom(org, user=admin, mode="account")
    video.zoom_auto_create = True
    db.session.commit()

    clients = db.session.scalars(select(Client).filter_by(org_id=org.id).order_by(Client.id)).all()
    day = (utcnow() + timedelta(days=30)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )  # 10:00 or 11:00
    sofia, diego = (db.session.scalar(select(User).filter_by(email=email)) for _, email, _, _ in STAFF)
    for staff, client in ((sofia, clients[0]), (diego, clients[1])):
        demo = SimpleNamespace(org=org, client=client, zoom_service=video, staff=staff)
        settle(sync_app, book(demo, starts_at=day).id)
    assert sorted(m["host_email"] for m in meetings(zoom_sandbox)) == [
        "diego@demo.conecta.test",
        "sofia@demo.conecta.test",
    ]
