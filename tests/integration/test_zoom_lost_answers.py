"""Calls to Zoom whose answer was lost, and what Zoom did with them anyway. A create is followed up by its
tracking key, whatever happened to the appointment since, until its meeting is accounted for
(`conecta.zoom.attempts`): Zoom hangs past our timeout, makes the meeting anyway, and it lands after the
appointment was cancelled, deleted, got a new key or lost its Zoom connection. A PATCH that lands late,
over a newer one, is put right when the meeting is read back. Over HTTP against the sandbox, with its
faults."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from conecta.bookings import service as bookings
from conecta.extensions import db
from conecta.models import ZoomCreateAttempt
from conecta.models.types import utcnow
from conecta.zoom import attempts as zoom_attempts
from conecta.zoom import sweep as zoom_sweep
from tests.support.worker import pending_job_count, run_jobs, wait_until
from tests.support.zoom_hosts import Team
from tests.support.zoom_side import let_zoom_talk, run_until_quiet
from tests.support.zoom_sync import START, api_calls, audit_events, book, edit, fresh, meetings, settle


@pytest.fixture
def lost_creates(sync_app):
    """Our calls time out after 1 s; the follow-up looks as soon as it is asked to."""
    sync_app.config.update(ZOOM_API_TIMEOUT_SECONDS=1, ZOOM_FOLLOWUP_GRACE_SECONDS=0)
    return sync_app


def hold_the_next(sandbox: Any, method: str, path: str = "re:/v2/users/[^/]+/meetings") -> None:
    """Zoom is still at work on the next such call -- we stop waiting after 1 s -- and finishes it when
    the test says so (`land`)."""
    sandbox.set_faults(errors=[{"method": method, "path": path, "held": True, "count": 1}])


def time_out_the_create(app, org, sandbox: Any, **booking: Any):
    """Book; the create times out (its retry is scheduled, not run). Returns the appointment."""
    hold_the_next(sandbox, "POST")
    appointment = book(org, **booking)
    run_jobs(app, until=lambda: fresh(appointment.id).zoom.attempts == 1)
    return appointment


def land(sandbox: Any, count: int = 1) -> None:
    """Zoom finishes the held create: `count` meetings in all."""
    sandbox.release_held()
    wait_until(lambda: len(meetings(sandbox)) == count, timeout=30, what="Zoom to finish the lost create")


def open_attempts() -> list[ZoomCreateAttempt]:
    db.session.expire_all()
    return list(db.session.scalars(select(ZoomCreateAttempt)))


def follow_up(app) -> None:
    """The worker's periodic turn: enqueue the follow-ups that are due, and run them."""
    assert zoom_attempts.sweep() >= 1
    run_jobs(app)


def test_a_create_that_lands_after_the_cancel_is_deleted(lost_creates, connected, zoom_sandbox):
    """Finding 12: the cancel's search finds nothing (Zoom is still at work), the appointment settles
    with no meeting -- and then Zoom finishes the create. The follow-up deletes it."""
    appointment = time_out_the_create(lost_creates, connected, zoom_sandbox)
    bookings.cancel(fresh(appointment.id))
    cancelled = settle(lost_creates, appointment.id)
    assert cancelled.zoom_state == "none" and cancelled.zoom.tracking_key is None
    assert meetings(zoom_sandbox) == []  # searched before Zoom was done
    land(zoom_sandbox)

    follow_up(lost_creates)

    assert meetings(zoom_sandbox) == []
    assert open_attempts() == []  # its only call is accounted for
    assert audit_events(appointment.id)[-1] == "zoom_stray_meeting_deleted"


def test_a_usual_create_leaves_no_attempt_open(lost_creates, connected, zoom_sandbox):
    appointment = settle(lost_creates, book(connected).id)
    assert appointment.zoom_state == "ready" and len(meetings(zoom_sandbox)) == 1
    assert open_attempts() == []
    assert zoom_attempts.sweep() == 0


def test_the_follow_up_spares_a_meeting_the_pending_sync_will_adopt(lost_creates, connected, zoom_sandbox):
    appointment = time_out_the_create(lost_creates, connected, zoom_sandbox)
    land(zoom_sandbox)

    assert zoom_attempts.follow_up(connected.org.id, connected.staff_host) == "closed-0-of-1"
    assert len(meetings(zoom_sandbox)) == 1  # its retry is about to find it by its key

    appointment = settle(lost_creates, appointment.id)
    (meeting,) = meetings(zoom_sandbox)
    assert appointment.zoom_state == "ready" and appointment.zoom.meeting_id == str(meeting["id"])
    assert api_calls(zoom_sandbox, "POST") == [("POST", connected.create_path)]
    assert open_attempts() == []  # adopted: the one call is accounted for


def test_a_twin_that_lands_after_the_key_was_replaced_is_deleted(lost_creates, connected, zoom_sandbox):
    """The retry creates a second meeting with the same key; then the client changes, so that meeting
    is replaced by one with a new key; then the first create lands. It is nobody's: deleted."""
    hold_the_next(zoom_sandbox, "POST")
    appointment = settle(lost_creates, book(connected).id)
    first_key = appointment.zoom.tracking_key
    assert [a.calls for a in open_attempts()] == [2]  # a call lost its answer: twins are possible

    edit(appointment, client=connected.other_client)
    appointment = settle(lost_creates, appointment.id)
    assert appointment.zoom.tracking_key != first_key
    zoom_sandbox.release_held()  # Zoom finishes the held call now, late
    wait_until(
        lambda: any(first_key in m["agenda"] for m in meetings(zoom_sandbox)),
        timeout=30,
        what="the first create to land",
    )

    follow_up(lost_creates)

    (meeting,) = meetings(zoom_sandbox)
    assert str(meeting["id"]) == fresh(appointment.id).zoom.meeting_id
    assert appointment.zoom.tracking_key in meeting["agenda"]


def test_a_create_that_lands_after_the_appointment_was_deleted_is_deleted(
    lost_creates, connected, zoom_sandbox
):
    appointment = time_out_the_create(lost_creates, connected, zoom_sandbox)
    land(zoom_sandbox)
    for statement in (
        "DELETE FROM email_outbox WHERE appointment_id = :id",
        "UPDATE audit_events SET appointment_id = NULL WHERE appointment_id = :id",
        "DELETE FROM zoom_meetings WHERE appointment_id = :id",
        "DELETE FROM appointments WHERE id = :id",
    ):
        db.session.execute(text(statement), {"id": appointment.id})
    db.session.commit()

    follow_up(lost_creates)

    assert meetings(zoom_sandbox) == []
    assert open_attempts() == []


def test_while_disconnected_the_attempt_waits_and_is_followed_up_after_reconnecting(
    lost_creates, connected, zoom_sandbox, as_user, connect_zoom
):
    appointment = time_out_the_create(lost_creates, connected, zoom_sandbox)
    land(zoom_sandbox)
    answer = as_user(connected.admin).post("/settings/integrations/zoom/disconnect")
    assert answer.status_code == 303
    assert settle(lost_creates, appointment.id).zoom_state == "failed"  # "Zoom is not connected"

    assert zoom_attempts.follow_up(connected.org.id, connected.staff_host) == "postponed"
    assert len(meetings(zoom_sandbox)) == 1 and len(open_attempts()) == 1

    connect_zoom(connected, mode=connected.mode)  # the same Zoom user, again
    follow_up(lost_creates)
    assert meetings(zoom_sandbox) == []
    assert open_attempts() == []


def test_an_attempt_whose_call_made_nothing_closes_after_the_horizon(lost_creates, connected, zoom_sandbox):
    """A 500 (nothing made) then a good create: with two calls a twin could still come, so the attempt
    stays open -- and closes once a look made the horizon after the last call finds nothing to do."""
    zoom_sandbox.set_faults(
        errors=[{"method": "POST", "path": connected.create_path, "status": 500, "count": 1}]
    )
    appointment = settle(lost_creates, book(connected).id)
    assert [a.calls for a in open_attempts()] == [2]

    assert zoom_attempts.follow_up(connected.org.id, connected.staff_host) == "closed-0-of-1"
    lost_creates.config["ZOOM_FOLLOWUP_HORIZON_SECONDS"] = 0
    assert zoom_attempts.follow_up(connected.org.id, connected.staff_host) == "closed-1-of-1"

    (meeting,) = meetings(zoom_sandbox)  # the appointment's own meeting stays
    assert fresh(appointment.id).zoom.meeting_id == str(meeting["id"])
    assert open_attempts() == []


def test_the_sweep_enqueues_one_follow_up_per_organization_and_host_past_the_grace(sync_app, acme, rival):
    sync_app.config["ZOOM_FOLLOWUP_GRACE_SECONDS"] = 30
    now = utcnow()
    rows = [
        ("k-acme-old", acme.org.id, None, now - timedelta(seconds=40)),
        ("k-acme-old-2", acme.org.id, None, now - timedelta(seconds=90)),
        ("k-acme-host", acme.org.id, "zoom-user-9", now - timedelta(seconds=40)),
        ("k-rival-young", rival.org.id, None, now - timedelta(seconds=5)),
    ]
    for key, org_id, host, at in rows:
        db.session.add(
            ZoomCreateAttempt(
                tracking_key=key, org_id=org_id, appointment_id=1, host_user_id=host, attempted_at=at
            )
        )
    db.session.commit()

    assert zoom_attempts.sweep(now) == 2  # acme as "me", acme as zoom-user-9; rival is still in grace
    assert pending_job_count(sync_app, "conecta.zoom.attempts") == 2
    assert zoom_attempts.sweep(now + timedelta(seconds=30)) == 3
    assert pending_job_count(sync_app, "conecta.zoom.attempts") == 3  # same ids: enqueued again, once


def test_an_update_that_lands_late_over_a_newer_one_is_put_right(lost_creates, connected, zoom_sandbox):
    """A PATCH hangs past our timeout; meanwhile the appointment moves again and that PATCH goes through;
    then Zoom applies the first one, over it. A PATCH whose answer was lost gets Zoom's copy read back
    once the grace period is over, and put right."""
    lost_creates.config["ZOOM_FOLLOWUP_GRACE_SECONDS"] = 60  # longer than Zoom takes to land it
    appointment = settle(lost_creates, book(connected).id)
    meeting_id = appointment.zoom.meeting_id
    hold_the_next(zoom_sandbox, "PATCH", f"/v2/meetings/{meeting_id}")
    edit(appointment, starts_at=START + timedelta(hours=1))
    run_jobs(lost_creates, until=lambda: fresh(appointment.id).zoom.attempts == 1)  # timed out
    edit(fresh(appointment.id), starts_at=START + timedelta(hours=2))
    assert settle(lost_creates, appointment.id).zoom_state == "ready"
    zoom_sandbox.release_held()  # Zoom finishes the held call now, late
    wait_until(
        lambda: meetings(zoom_sandbox)[0]["start_time"] == "2030-03-11T18:00:00Z",
        timeout=30,
        what="the first PATCH to land, late",
    )

    assert fresh(appointment.id).zoom.verify_at is not None  # the lost PATCH is not forgotten

    fresh(appointment.id).zoom.verify_at = utcnow() - timedelta(seconds=1)  # the grace period is over
    db.session.commit()
    assert zoom_sweep.sweep().requeued == 1
    appointment = settle(lost_creates, appointment.id)

    (meeting,) = meetings(zoom_sandbox)
    assert meeting["start_time"] == "2030-03-11T19:00:00Z"  # the appointment's time again
    assert appointment.zoom_state == "ready" and appointment.zoom.verify_at is None


def test_a_late_update_echoing_back_is_not_taken_for_a_change_made_in_zoom(
    lost_creates, connected, zoom_sandbox, webhooks_served, mailbox
):
    """The same late PATCH, and Zoom tells us of it (meeting.updated): it shows a time we did not last
    tell Zoom, but one of our PATCHes is unconfirmed, so it may be ours. Not flagged as drift: the
    meeting is read back and put right at once."""
    lost_creates.config["ZOOM_FOLLOWUP_GRACE_SECONDS"] = 60  # the read-back is not due by itself
    appointment = settle(lost_creates, book(connected).id)
    run_until_quiet(lost_creates)
    meeting_id = appointment.zoom.meeting_id
    hold_the_next(zoom_sandbox, "PATCH", f"/v2/meetings/{meeting_id}")
    edit(fresh(appointment.id), starts_at=START + timedelta(hours=1))
    run_jobs(lost_creates, until=lambda: fresh(appointment.id).zoom.attempts == 1)  # timed out
    edit(fresh(appointment.id), starts_at=START + timedelta(hours=2))
    assert settle(lost_creates, appointment.id).zoom_state == "ready"
    zoom_sandbox.release_held()  # Zoom finishes the held call now, late
    wait_until(
        lambda: meetings(zoom_sandbox)[0]["start_time"] == "2030-03-11T18:00:00Z",
        timeout=30,
        what="the first PATCH to land, late",
    )

    let_zoom_talk(lost_creates, zoom_sandbox, appointment.id)  # its meeting.updated, then what follows

    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.verify_at is None
    (meeting,) = meetings(zoom_sandbox)
    assert meeting["start_time"] == "2030-03-11T19:00:00Z"  # the appointment's time again
    assert "zoom_meeting_drifted" not in audit_events(appointment.id)


def test_a_usual_update_reads_nothing_back(lost_creates, connected, zoom_sandbox):
    appointment = settle(lost_creates, book(connected).id)
    edit(appointment, starts_at=START + timedelta(hours=1))
    appointment = settle(lost_creates, appointment.id)
    assert appointment.zoom.verify_at is None
    assert zoom_sweep.sweep().requeued == 0
    assert api_calls(zoom_sandbox, "GET") == []  # nothing read back (a first create searches nothing)


def test_while_disconnected_a_meeting_is_not_read_back(lost_creates, connected, zoom_sandbox, as_user):
    appointment = settle(lost_creates, book(connected).id)
    appointment.zoom.verify_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert as_user(connected.admin).post("/settings/integrations/zoom/disconnect").status_code == 303

    assert zoom_sweep.sweep().requeued == 0  # nothing to reach Zoom with: no sync every minute
    assert fresh(appointment.id).zoom.sync_requested_at is None


# ---- hosts (a whole-account connection: each staff member's meetings on their own Zoom user) -------------


def test_a_create_lost_on_one_host_is_followed_up_there_after_the_meeting_moved(
    lost_creates, team: Team, zoom_sandbox
):
    """Sam's create times out on Sam's Zoom user; before Zoom finishes it the appointment goes to Diego.
    The new create, on Diego's user, carries a new key; the first lands late on Sam's user and the
    follow-up, listing Sam's meetings, deletes it."""
    sam, diego = team.hosts[team.staff.id], team.hosts[team.second.id]
    appointment = time_out_the_create(lost_creates, team.org, zoom_sandbox)
    first_key = fresh(appointment.id).zoom.tracking_key
    assert [(a.tracking_key, a.host_user_id) for a in open_attempts()] == [(first_key, sam)]

    edit(fresh(appointment.id), staff=team.second)
    appointment = settle(lost_creates, appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.host_user_id == diego
    assert appointment.zoom.tracking_key != first_key
    assert [a.host_user_id for a in open_attempts()] == [sam]  # Diego's create was answered
    land(zoom_sandbox, 2)

    follow_up(lost_creates)

    (meeting,) = meetings(zoom_sandbox)
    assert str(meeting["id"]) == appointment.zoom.meeting_id and meeting["host_id"] == diego
    assert ("GET", f"/v2/users/{sam}/meetings") in api_calls(zoom_sandbox, "GET")
    assert open_attempts() == []
    assert "zoom_stray_meeting_deleted" in audit_events(appointment.id)


def test_a_host_removed_from_the_account_took_its_lost_creates_along(lost_creates, team: Team, zoom_sandbox):
    diego = team.hosts[team.second.id]
    time_out_the_create(lost_creates, team.org, zoom_sandbox, staff=team.second)
    land(zoom_sandbox)
    zoom_sandbox.remove_user(team.second.email)  # their meetings go with them
    assert meetings(zoom_sandbox) == []

    assert zoom_attempts.follow_up(team.org.org.id, diego) == "host-gone-closed-1"
    assert open_attempts() == []


def test_another_users_attempts_wait_while_connected_for_one_user(
    lost_creates, connect_zoom, acme, zoom_sandbox
):
    """Connected for one Zoom user, another user's meetings are hidden (a 404 there would not mean gone):
    the attempt is left for a whole-account connection, and Zoom is not asked."""
    connect_zoom(acme)
    db.session.add(
        ZoomCreateAttempt(
            tracking_key="conecta-1-abc", org_id=acme.org.id, appointment_id=1, host_user_id="zoom-user-9",
            attempted_at=utcnow() - timedelta(seconds=1),
        )
    )  # fmt: skip
    db.session.commit()

    assert zoom_attempts.follow_up(acme.org.id, "zoom-user-9") == "out-of-reach"
    assert len(open_attempts()) == 1
    assert api_calls(zoom_sandbox) == []
