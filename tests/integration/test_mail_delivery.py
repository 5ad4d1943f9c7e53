"""Delivery: SMTP down → retried with the outbox showing it, nothing lost once SMTP is back; Redis down
at commit → the sweep sends it; an admin's Retry; permanent refusals; no double sends.

Send jobs run in a real RQ worker (`rq.SimpleWorker`, JSON serializer, burst mode) on the app's "mail"
queue; RQ's own Retry re-enqueues failed attempts (intervals of 0 s in tests).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from conecta.extensions import db
from conecta.mail import outbox as mail_outbox
from conecta.mail.send import enqueue_send, send_outbox_email
from conecta.models import Client, Organization, Service, User
from tests.support import smtp as mail
from tests.support.smtp import book, outbox, run_mail_worker, spare_port, text_parts

smtp_server = mail.smtp_server  # the fixture, for this module's tests

MONDAY_9AM = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)


@pytest.fixture
def app(make_app, smtp_server):
    app = make_app(**smtp_server.config(), MAIL_RETRY_INTERVALS=[0, 0])
    with app.app_context():
        yield app


def test_smtp_down_is_retried_the_outbox_shows_it_and_nothing_is_lost(acme, smtp_server, as_user):
    smtp_server.stop()  # nothing listens on the port now
    appointment = book(acme, MONDAY_9AM)

    run_mail_worker(max_jobs=1)
    [row] = outbox(appointment)
    assert row.status == "retrying"
    assert row.attempts == 1
    assert "Connection refused" in row.last_error
    page = as_user(acme.admin).get("/settings/emails").get_data(as_text=True)
    assert "Retrying" in page and "Connection refused" in page

    smtp_server.start()
    run_mail_worker()
    [row] = outbox(appointment)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0].message["Message-ID"] == row.message_id


def test_after_the_last_retry_it_is_failed_and_an_admin_retry_sends_it(acme, smtp_server, as_user):
    smtp_server.stop()
    appointment = book(acme, MONDAY_9AM)
    run_mail_worker()  # three attempts: the first and two retries

    [row] = outbox(appointment)
    assert (row.status, row.attempts) == ("failed", 3)
    admin = as_user(acme.admin)
    page = admin.get("/settings/emails").get_data(as_text=True)
    assert "Failed" in page
    assert 'aria-label="Retry the email to carla@acme.test"' in page

    smtp_server.start()
    response = admin.post(f"/settings/emails/{row.id}/retry")
    assert response.status_code == 303
    run_mail_worker()

    [row] = outbox(appointment)
    assert (row.status, row.attempts) == ("sent", 4)
    assert len(smtp_server.messages) == 1
    # A second Retry of a sent message does nothing.
    response = admin.post(f"/settings/emails/{row.id}/retry", headers={"HX-Request": "true"})
    assert "nothing to retry" in response.get_data(as_text=True)
    run_mail_worker()
    assert len(smtp_server.messages) == 1


def test_a_recipient_refused_for_good_fails_at_once(acme, smtp_server):
    smtp_server.refused.add("carla@acme.test")
    appointment = book(acme, MONDAY_9AM)
    run_mail_worker()

    [row] = outbox(appointment)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in row.last_error


def test_redis_down_at_commit_then_the_sweep_sends_it(make_app, acme, smtp_server):
    ids = {name: getattr(acme, name).id for name in ("org", "client", "service", "staff")}
    models = {"org": Organization, "client": Client, "service": Service, "staff": User}
    db.session.commit()
    dead_redis = make_app(**smtp_server.config(), REDIS_URL=f"redis://127.0.0.1:{spare_port()}/0")
    with dead_redis.app_context():
        bundle = SimpleNamespace(**{name: db.session.get(models[name], ids[name]) for name in ids})
        appointment = book(bundle, MONDAY_9AM)  # enqueueing fails: logged, the booking stands
        appointment_id = appointment.id
        db.session.remove()

    rows = outbox()
    assert [(r.appointment_id, r.status) for r in rows] == [(appointment_id, "queued")]
    run_mail_worker()
    assert smtp_server.messages == []  # nothing was enqueued

    assert mail_outbox.sweep()["enqueued"] == 1
    run_mail_worker()
    assert len(smtp_server.messages) == 1
    assert [r.status for r in outbox()] == ["sent"]


def test_the_sweep_releases_a_message_that_waited_too_long_for_zoom(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM, zoom=True)
    assert mail_outbox.sweep()["released"] == 0  # still within the wait
    result = mail_outbox.sweep(now=datetime.now(UTC) + timedelta(minutes=10))
    assert result["released"] == 1
    run_mail_worker()

    [received] = smtp_server.messages
    assert "The Zoom Join link is not ready yet." in text_parts(received.message)["text/html"]
    assert [r.status for r in outbox(appointment)] == ["sent"]


def test_a_message_is_sent_once_however_often_its_job_runs(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM)
    [row] = outbox(appointment)
    enqueue_send(row.id)  # a duplicate job (e.g. the sweep and the commit both enqueued)
    run_mail_worker()
    db.session.commit()
    assert send_outbox_email(row.id) == "skipped"

    assert len(smtp_server.messages) == 1
    assert outbox(appointment)[0].attempts == 1
