"""What the reconcile job reads to decide is read afresh, although its commits no longer expire the
session (`conecta.zoom.dispatch.reconcile_job`), and the token it was handed is only a first guess."""

from __future__ import annotations

from sqlalchemy import update

from conecta.extensions import db
from conecta.mail.plan import lock_appointment
from conecta.mail.zoom_release import release_after_zoom
from conecta.models import ZoomMeeting, ZoomState
from conecta.models.email import EmailStatus, OutboxEmail
from conecta.models.zoom import zoom_connection_for
from conecta.zoom.client import ZoomClient
from conecta.zoom.tokens import Grant
from tests.support.zoom_sync import book, fresh, settle


def _mark_pending_elsewhere(appointment_id: int) -> None:
    """Another save re-marks the appointment, in a transaction of its own."""
    with db.engine.begin() as connection:
        connection.execute(
            update(ZoomMeeting.__table__)
            .where(ZoomMeeting.__table__.c.appointment_id == appointment_id)
            .values(state=ZoomState.PENDING)
        )


def test_the_email_release_reads_the_meeting_afresh_under_its_lock(sync_app, connected):
    appointment = settle(sync_app, book(connected).id)
    db.session().expire_on_commit = False  # as in the reconcile job
    held = fresh(appointment.id)
    assert held.zoom_state == "ready"
    db.session.commit()  # the copy above survives this commit unexpired

    _mark_pending_elsewhere(appointment.id)
    assert lock_appointment(db.session, appointment.id).zoom_state == "pending"
    db.session.rollback()


def test_an_email_waiting_for_a_newer_change_is_not_released(sync_app, connected):
    appointment = settle(sync_app, book(connected).id)
    row = db.session.scalars(db.select(OutboxEmail).filter_by(appointment_id=appointment.id)).one()
    row.status = EmailStatus.WAITING  # as if a newer save were waiting for its meeting update
    db.session.commit()
    db.session().expire_on_commit = False
    fresh(appointment.id).zoom  # noqa: B018  (the session now holds the meeting as ready)
    _mark_pending_elsewhere(appointment.id)

    assert release_after_zoom(appointment.id) == []
    db.session.expire_all()
    assert db.session.get(OutboxEmail, row.id).status == EmailStatus.WAITING


def test_a_token_refreshed_by_another_worker_after_it_was_read_still_gets_through(
    sync_app, connected, zoom_sandbox
):
    client = ZoomClient.for_org(connected.org.id)  # reads the connection, and hands its token over
    read = zoom_connection_for(connected.org.id).access_token
    # Another worker got a 401 for that token and refreshed it (Zoom rotates both tokens).
    assert Grant(connected.org.id, client.grant.transport).refresh(stale_token=read) != read
    assert zoom_sandbox.state()["refresh_count"] == 1

    assert client.me()["email"] == "host@example.com"
    assert zoom_sandbox.state()["refresh_count"] == 1  # the other worker's refresh served us too
