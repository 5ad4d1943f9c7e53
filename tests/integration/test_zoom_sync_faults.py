"""The reconciler under Zoom's bad days: 5xx, 429 with Retry-After, hangs, expired and revoked tokens,
the daily create/update limit, validation errors — and a disconnected organization. Every case either
converges to exactly one correct meeting or ends in a state that says what happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conecta.bookings import service as bookings
from conecta.bookings import zoom_actions
from conecta.extensions import db
from conecta.models.types import utcnow
from conecta.models.zoom import ZoomConnection
from conecta.zoom import attempts as zoom_attempts
from conecta.zoom import sweep as zoom_sweep
from conecta.zoom.client import ZoomClient
from tests.support.worker import pending_job_count, run_jobs, wait_until
from tests.support.zoom_sync import START, api_calls, audit_events, book, edit, fresh, meetings, settle

HX = {"HX-Request": "true"}


def test_server_errors_are_retried_until_one_meeting_exists(sync_app, connected, zoom_sandbox):
    zoom_sandbox.set_faults(
        errors=[{"method": "POST", "path": connected.create_path, "status": 503, "count": 2}]
    )
    appointment = settle(sync_app, book(connected).id)

    assert appointment.zoom_state == "ready" and appointment.zoom.attempts == 0
    assert len(meetings(zoom_sandbox)) == 1
    assert api_calls(zoom_sandbox, "POST") == [("POST", connected.create_path)] * 3
    # Each retry looked for a meeting carrying its tracking key before creating again.
    assert api_calls(zoom_sandbox, "GET").count(("GET", connected.create_path)) >= 2


def test_a_client_change_interrupted_after_the_delete_ends_with_one_new_meeting(
    sync_app, connected, zoom_sandbox
):
    """The DELETE's answer is lost (Zoom did delete), then the create fails: the retries repeat the DELETE
    (404 counts as done), never adopt the old meeting by its tracking key, and end with one meeting."""
    appointment = settle(sync_app, book(connected).id)
    old_id, old_key = appointment.zoom.meeting_id, appointment.zoom.tracking_key
    zoom_sandbox.set_faults(
        errors=[
            {
                "method": "DELETE",
                "path": f"/v2/meetings/{old_id}",
                "status": 502,
                "commit_then_fail": True,
                "count": 1,
            },
            {"method": "POST", "path": connected.create_path, "status": 503, "count": 1},
        ]
    )
    edit(appointment, client=connected.other_client)
    appointment = settle(sync_app, appointment.id)

    (meeting,) = meetings(zoom_sandbox)
    assert appointment.zoom_state == "ready" and appointment.zoom.meeting_id == str(meeting["id"]) != old_id
    assert appointment.zoom.tracking_key != old_key and appointment.zoom.tracking_key in meeting["agenda"]
    assert appointment.zoom.client_id == connected.other_client.id
    assert api_calls(zoom_sandbox, "DELETE") == [("DELETE", f"/v2/meetings/{old_id}")] * 2


def test_a_rate_limit_waits_for_retry_after(sync_app, connected, zoom_sandbox):
    zoom_sandbox.set_faults(
        errors=[
            {"method": "POST", "path": connected.create_path, "status": 429, "retry_after": 1, "count": 1}
        ]
    )
    appointment = book(connected)
    booked_at = utcnow()
    run_jobs(sync_app, until=lambda: fresh(appointment.id).zoom.attempts == 1)
    waiting = fresh(appointment.id)
    assert waiting.zoom_state == "pending"
    assert waiting.zoom.retry_at - booked_at >= timedelta(seconds=1)  # Retry-After honoured
    assert "rate limit" in waiting.zoom.error

    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "ready" and len(meetings(zoom_sandbox)) == 1
    posts = [
        e
        for e in zoom_sandbox.state()["request_log"]
        if e["method"] == "POST" and e["path"] == connected.create_path
    ]
    first, second = (datetime.fromisoformat(e["at"]) for e in posts)
    assert second - first >= timedelta(seconds=1)


def test_an_expired_access_token_is_refreshed_and_the_call_goes_through(sync_app, connected, zoom_sandbox):
    zoom_sandbox.expire_all_tokens()
    appointment = settle(sync_app, book(connected).id)
    assert appointment.zoom_state == "ready" and len(meetings(zoom_sandbox)) == 1
    assert zoom_sandbox.state()["refresh_count"] == 1


def test_a_hanging_create_ends_with_one_meeting(sync_app, connected, zoom_sandbox):
    """Zoom hangs past our timeout but creates the meeting anyway: the retry looks for the tracking key,
    misses it (Zoom is still at work) and creates again; the follow-up deletes the twin that lands later
    and keeps the appointment's meeting."""
    sync_app.config.update(ZOOM_API_TIMEOUT_SECONDS=1, ZOOM_FOLLOWUP_GRACE_SECONDS=0)
    zoom_sandbox.set_faults(
        errors=[{"method": "POST", "path": connected.create_path, "held": True, "count": 1}]
    )
    appointment = settle(sync_app, book(connected).id)
    assert appointment.zoom_state == "ready"
    zoom_sandbox.release_held()  # Zoom finishes the first create now, after the retry made its own
    wait_until(lambda: len(meetings(zoom_sandbox)) == 2, timeout=20, what="the hung create to land")

    assert zoom_attempts.sweep() == 1
    run_jobs(sync_app)

    (meeting,) = meetings(zoom_sandbox)
    assert str(meeting["id"]) == fresh(appointment.id).zoom.meeting_id
    assert "zoom_stray_meeting_deleted" in audit_events(appointment.id)


def test_a_create_whose_answer_is_lost_is_found_by_its_tracking_key(sync_app, connected, zoom_sandbox):
    zoom_sandbox.set_faults(
        errors=[
            {
                "method": "POST",
                "path": connected.create_path,
                "status": 502,
                "commit_then_fail": True,
                "count": 1,
            }
        ]
    )
    appointment = settle(sync_app, book(connected).id)
    (meeting,) = meetings(zoom_sandbox)
    assert appointment.zoom.meeting_id == str(meeting["id"])
    assert api_calls(zoom_sandbox, "POST") == [("POST", connected.create_path)]  # found, not created again
    assert appointment.zoom.join_url == meeting["join_url"]
    assert appointment.zoom.start_url  # adopted through GET /meetings/{id}


def test_zoom_down_for_good_ends_in_failed_with_a_reason(sync_app, connected, zoom_sandbox):
    sync_app.config["ZOOM_RETRY_MAX_ATTEMPTS"] = 3
    zoom_sandbox.set_faults(errors=[{"method": "POST", "path": connected.create_path, "status": 500}])
    appointment = settle(sync_app, book(connected).id)
    assert appointment.zoom_state == "failed"
    assert "after 3 attempts" in appointment.zoom.error
    assert appointment.zoom.sync_requested_at is None
    assert meetings(zoom_sandbox) == []


def test_a_validation_error_fails_at_once_and_retry_starts_over(sync_app, connected, zoom_sandbox):
    zoom_sandbox.set_faults(
        errors=[
            {
                "method": "POST",
                "path": connected.create_path,
                "status": 400,
                "code": 300,
                "message": "Invalid field: agenda.",
            }
        ]
    )
    appointment = settle(sync_app, book(connected).id)
    assert appointment.zoom_state == "failed"
    assert "Invalid field: agenda." in appointment.zoom.error
    assert api_calls(zoom_sandbox, "POST") == [("POST", connected.create_path)]  # permanent: no retries
    assert audit_events(appointment.id)[-1] == "zoom_meeting_failed"

    zoom_sandbox.clear_faults()
    zoom_actions.retry_zoom(appointment)
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.error is None
    assert len(meetings(zoom_sandbox)) == 1


def test_a_revoked_connection_fails_with_a_reason(sync_app, connected, rival, connect_zoom, zoom_sandbox):
    connect_zoom(rival)  # the same Zoom user authorizes elsewhere: Zoom retires acme's tokens
    appointment = settle(sync_app, book(connected).id)
    assert appointment.zoom_state == "failed"
    assert "Settings → Integrations" in appointment.zoom.error
    assert meetings(zoom_sandbox) == []


def test_the_daily_limit_waits_until_midnight_gmt_and_says_so(sync_app, connected, zoom_sandbox, as_user):
    zoom_sandbox.configure(DAILY_CREATE_UPDATE_LIMIT=0)
    appointment = book(connected)
    run_jobs(sync_app, until=lambda: fresh(appointment.id).zoom.retry_at is not None)

    waiting = fresh(appointment.id)
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert waiting.zoom_state == "pending"
    assert midnight <= waiting.zoom.retry_at <= midnight + timedelta(minutes=3)
    assert "daily limit" in waiting.zoom.error and "00:00 GMT" in waiting.zoom.error
    assert "zoom_sync_deferred" in audit_events(appointment.id)

    # Staff see why; the client sees the link is on its way. Both panels check back once a minute (no
    # request waits for hours), so after midnight GMT the link appears without a reload.
    staff_panel = as_user(connected.staff).get(f"/bookings/{appointment.id}/zoom", headers=HX).text
    assert "Waiting for Zoom" in staff_panel and "00:00 GMT" in staff_panel
    assert f'hx-get="/bookings/{appointment.id}/zoom" hx-trigger="load delay:60s' in staff_panel
    client_panel = as_user(connected.client).get(f"/portal/bookings/{appointment.id}/zoom", headers=HX).text
    assert "Meeting link coming soon" in client_panel and "daily limit" not in client_panel
    assert f'hx-get="/portal/bookings/{appointment.id}/zoom" hx-trigger="load delay:60s' in client_panel

    # An edit while waiting calls nothing: the job re-reads, sees the wait, and goes back to sleep.
    edit(waiting, starts_at=START + timedelta(hours=1))
    run_jobs(sync_app, until=lambda: pending_job_count(sync_app, "conecta.zoom.") == 1)
    assert api_calls(zoom_sandbox, "POST") == [("POST", connected.create_path)]

    # After midnight GMT (here: the wait is over and Zoom's budget is back) the meeting is created.
    zoom_sandbox.configure(DAILY_CREATE_UPDATE_LIMIT=100)
    waiting = fresh(appointment.id)
    waiting.zoom.retry_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    zoom_sweep.sweep()
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "ready"
    (meeting,) = meetings(zoom_sandbox)
    assert meeting["start_time"] == "2030-03-11T18:00:00Z"
    # The staff panel's next slow check is answered with the link (and checks no more).
    staff_panel = as_user(connected.staff).get(f"/bookings/{appointment.id}/zoom", headers=HX).text
    assert "Join Zoom Meeting" in staff_panel and "hx-trigger" not in staff_panel


def test_cancelling_during_the_daily_limit_wait_does_not_wait(sync_app, connected, zoom_sandbox):
    appointment = settle(sync_app, book(connected).id)
    zoom_sandbox.configure(DAILY_CREATE_UPDATE_LIMIT=1)  # spent by the create
    edit(appointment, starts_at=START + timedelta(hours=1))
    run_jobs(sync_app, until=lambda: fresh(appointment.id).zoom.retry_at is not None)

    bookings.cancel(fresh(appointment.id))  # DELETE is not counted against the daily limit
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "deleted" and meetings(zoom_sandbox) == []


# ---- a disconnected organization ----------------------------------------------------------------------


def disconnect(org, as_user) -> None:
    answer = as_user(org.admin).post("/settings/integrations/zoom/disconnect")
    assert answer.status_code == 303


def test_after_disconnecting_new_bookings_get_no_meeting_and_old_ones_keep_theirs(
    sync_app, connected, zoom_sandbox, as_user
):
    old = settle(sync_app, book(connected).id)
    join_url = old.zoom.join_url
    disconnect(connected, as_user)
    calls_before = api_calls(zoom_sandbox)

    new = book(connected, starts_at=START + timedelta(days=1))
    assert new.zoom is None and new.zoom_state == "none"  # no meeting wanted, nothing marked
    assert pending_job_count(sync_app, "conecta.zoom.") == 0

    # The old appointment keeps its meeting and link, and still shows them.
    panel = as_user(connected.client).get(f"/portal/bookings/{old.id}/zoom", headers=HX).text
    assert "Join Zoom Meeting" in panel and join_url.replace("&", "&amp;") in panel

    # A reschedule cannot reach Zoom: the link stays, staff are told the meeting kept its old time.
    edit(fresh(old.id), starts_at=START + timedelta(hours=2))
    old = fresh(old.id)
    assert old.zoom_state == "ready" and old.zoom.join_url == join_url
    assert "was not updated" in old.zoom.error
    assert pending_job_count(sync_app, "conecta.zoom.") == 0

    # Cancelling says the meeting was left in Zoom — and leaves it there.
    answer = as_user(connected.staff).post(f"/bookings/{old.id}/cancel", headers=HX)
    assert answer.status_code == 200
    assert "Zoom is disconnected; the meeting was left in Zoom" in answer.text
    assert fresh(old.id).zoom_state == "left"
    assert len(meetings(zoom_sandbox)) == 1
    assert api_calls(zoom_sandbox) == calls_before  # nothing was sent to Zoom after the disconnect


def test_disconnecting_before_the_job_runs_fails_the_create_with_a_reason(
    sync_app, connected, zoom_sandbox, as_user
):
    appointment = book(connected)
    disconnect(connected, as_user)
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "failed"
    assert "Zoom is not connected" in appointment.zoom.error
    assert meetings(zoom_sandbox) == []


def test_zoom_disconnecting_during_a_create_does_not_strand_the_appointment(
    sync_app, connected, zoom_sandbox, monkeypatch
):
    """The create is under way when Zoom gets disconnected and the booking is saved again (which, with
    no connection, clears the mark): the job still records the meeting Zoom made — no endless pending."""
    appointment = book(connected)
    create = ZoomClient.create_meeting

    def create_then_disconnect_and_edit(self, body, **kwargs):
        meeting = create(self, body, **kwargs)
        with sync_app.app_context():  # another transaction, as another request would be
            db.session.scalar(db.select(ZoomConnection)).status = "needs_reconnect"
            db.session.commit()
            edit(fresh(appointment.id), notes="Edited while Zoom was being disconnected")
            assert fresh(appointment.id).zoom.sync_requested_at is None
        return meeting

    monkeypatch.setattr(ZoomClient, "create_meeting", create_then_disconnect_and_edit)
    appointment = settle(sync_app, appointment.id)
    (meeting,) = meetings(zoom_sandbox)
    assert appointment.zoom_state == "ready" and appointment.zoom.meeting_id == str(meeting["id"])
    assert appointment.zoom.join_url == meeting["join_url"]
