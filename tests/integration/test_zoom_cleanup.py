"""Cleanup after a reconnect, on the Integrations card: meetings Conecta left in Zoom without a live
appointment are listed (a job looks in Zoom; the page never waits on it) and deleted on request; the
appointments that got no meeting while Zoom was disconnected get one from the reconnect itself."""

from __future__ import annotations

from datetime import timedelta

from conecta.bookings import service
from conecta.extensions import db
from conecta.zoom.client import ZoomClient
from conecta.zoom.decide import tracking_agenda
from tests.support.smtp import text_parts
from tests.support.zoom_side import ready_meeting, run_until_quiet
from tests.support.zoom_sync import START, audit_events, book, edit, fresh, meetings, settle

HX = {"HX-Request": "true"}


def _run(app) -> None:
    run_until_quiet(app)


def _disconnect(as_user, org) -> None:
    assert as_user(org.admin).post("/settings/integrations/zoom/disconnect").status_code == 303


def _zoom_meeting(org, topic: str, agenda: str = "") -> str:
    """A meeting made in the same Zoom account by something else than the booking pipeline."""
    body = {"topic": topic, "type": 2, "start_time": "2030-03-20T17:00:00Z", "duration": 30, "agenda": agenda}
    return str(ZoomClient(org.org.id).create_meeting(body)["id"])


def test_leftover_meetings_are_listed_after_a_reconnect_and_deleted_on_request(
    sync_app, connected, zoom_sandbox, connect_zoom, mailbox, as_user
):
    live = ready_meeting(sync_app, book, connected)
    gone = ready_meeting(sync_app, book, connected, starts_at=START + timedelta(days=1))
    left_id = gone.zoom.meeting_id
    # A create whose answer was lost: the meeting exists, the appointment only knows its tracking key.
    lost = ready_meeting(sync_app, book, connected, starts_at=START + timedelta(days=2))
    lost_key = lost.zoom.tracking_key
    lost_id = lost.zoom.meeting_id
    lost.zoom.meeting_id = None
    db.session.commit()
    someone_elses = _zoom_meeting(connected, "Team stand-up")
    other_install = _zoom_meeting(connected, "Not ours", tracking_agenda("conecta-99999-abcdef012345"))

    _disconnect(as_user, connected)
    service.cancel(fresh(gone.id))  # while disconnected: the meeting is left in Zoom
    assert fresh(gone.id).zoom_state == "left"
    connect_zoom(connected, mode=connected.mode)  # the reconnect starts a look in Zoom
    admin = as_user(connected.admin)
    assert "Looking in Zoom" in admin.get("/settings/integrations").get_data(as_text=True)
    _run(sync_app)

    card = admin.get("/settings/integrations").get_data(as_text=True)
    assert "1 meeting in Zoom was made by Conecta" in card and left_id in card
    for kept in (live.zoom.meeting_id, lost_id, someone_elses, other_install):
        assert kept not in card
    confirm = admin.get("/settings/integrations/zoom/cleanup/delete", headers=HX).get_data(as_text=True)
    assert "Delete 1 meeting in Zoom?" in confirm
    answer = admin.post("/settings/integrations/zoom/cleanup/delete", headers=HX)
    assert "Deleting the leftover meetings" in answer.get_data(as_text=True)
    _run(sync_app)

    remaining = {str(m["id"]) for m in meetings(zoom_sandbox)}
    assert left_id not in remaining
    assert {live.zoom.meeting_id, lost_id, someone_elses, other_install} <= remaining
    assert fresh(gone.id).zoom_state == "deleted" and fresh(gone.id).zoom.meeting_id is None
    assert "zoom_leftover_deleted" in audit_events(gone.id)
    assert fresh(lost.id).zoom.tracking_key == lost_key  # untouched: the reconciler adopts it
    section = admin.get("/settings/integrations/zoom/cleanup", headers=HX).get_data(as_text=True)
    assert "Deleted 1 leftover meeting in Zoom." in section


def test_the_look_in_zoom_is_a_job_and_the_page_never_waits_on_zoom(
    sync_app, connected, zoom_sandbox, mailbox, as_user
):
    admin = as_user(connected.admin)
    zoom_sandbox.set_faults(latency_ms=3000)  # Zoom is slow: the page must not be
    answer = admin.post("/settings/integrations/zoom/cleanup/scan", headers=HX)
    text = answer.get_data(as_text=True)
    assert "Looking in Zoom" in text and 'hx-trigger="load delay:1s"' in text
    assert zoom_sandbox.requests_to("/v2/users/me/meetings") == []
    zoom_sandbox.clear_faults()
    _run(sync_app)
    section = admin.get("/settings/integrations/zoom/cleanup", headers=HX).get_data(as_text=True)
    assert "No meetings left behind in Zoom" in section and "hx-trigger" not in section
    assert as_user(connected.staff).get("/settings/integrations/zoom/cleanup").status_code == 403


def test_the_reconnect_itself_gives_appointments_booked_while_disconnected_their_meetings(
    sync_app, connected, zoom_sandbox, connect_zoom, mailbox, as_user
):
    """No "Create the missing meetings" any more: the reconnect applies the one rule (conecta.zoom.rule),
    after matching the hosts, and a change that could not reach Zoom meanwhile is caught up too."""
    kept = ready_meeting(sync_app, book, connected)
    _disconnect(as_user, connected)
    missing = book(connected, starts_at=START + timedelta(days=1))  # wanted Zoom, but Zoom was disconnected
    without_zoom = book(connected, service=connected.service, starts_at=START + timedelta(hours=3))
    assert missing.zoom is None
    edit(fresh(kept.id), starts_at=START + timedelta(hours=5))  # cannot reach Zoom: caught up later
    _run(sync_app)

    connect_zoom(connected, mode=connected.mode)
    appointment = settle(sync_app, missing.id)
    _run(sync_app)

    assert appointment.zoom_state == "ready" and appointment.zoom.join_url
    assert appointment.zoom.host_email == connected.staff_host_email  # on the staff member's own host
    assert fresh(kept.id).zoom_state == "ready" and fresh(kept.id).zoom.error is None
    assert {m["start_time"] for m in meetings(zoom_sandbox)} == {
        "2030-03-11T22:00:00Z",
        "2030-03-12T17:00:00Z",
    }
    assert fresh(without_zoom.id).zoom is None
    follow_up = mailbox.messages[-1].message
    assert follow_up["Subject"].startswith("Zoom link:")
    assert fresh(missing.id).zoom.join_url in text_parts(follow_up)["text/plain"]
    assert "Create the missing meetings" not in as_user(connected.admin).get("/settings/integrations").text
