"""Changes made in Zoom behind Conecta's back reach the appointment: the sandbox deletes or moves a meeting
(as its host would on zoom.us) and delivers Zoom's signed webhooks to Conecta over HTTP; a real RQ worker
runs the jobs; staff answer from the panel. Our own changes echo back and flag nothing; replayed,
duplicated and reordered deliveries change nothing twice."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from conecta.extensions import db
from conecta.mail.compose import compose
from conecta.models.email import EmailKind, OutboxEmail
from tests.integration.test_zoom_webhook import _signed
from tests.support.smtp import event_of, text_parts
from tests.support.zoom_side import let_zoom_talk, ready_meeting
from tests.support.zoom_sync import START, api_calls, audit_events, book, edit, fresh, meetings, settle

HX = {"HX-Request": "true"}
IN_ZOOM = datetime(2030, 3, 11, 18, 0, tzinfo=UTC)  # 11:00 in Tijuana, an hour after the appointment


def _panel(http, appointment_id: int, portal: bool = False) -> str:
    url = f"/portal/bookings/{appointment_id}/zoom" if portal else f"/bookings/{appointment_id}/zoom"
    answer = http.get(url, headers=HX)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def _delivered(sandbox, event: str) -> list[dict]:
    return [d for d in sandbox.webhook_deliveries() if d["event"] == event and d["status"] == "delivered"]


# ---- deleted in Zoom ---------------------------------------------------------------------------------


def test_a_meeting_deleted_in_zoom_shows_so_and_its_dead_link_goes_nowhere(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox, as_user
):
    appointment = ready_meeting(sync_app, book, connected)
    dead_link = appointment.zoom.join_url

    zoom_sandbox.delete_meeting(int(appointment.zoom.meeting_id))
    let_zoom_talk(sync_app, zoom_sandbox)

    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "vanished"
    assert appointment.zoom.join_url is None and appointment.zoom.meeting_id is None
    staff_panel = _panel(as_user(connected.staff), appointment.id)
    assert "The Zoom meeting was deleted in Zoom" in staff_panel
    assert "Recreate and resend" in staff_panel and dead_link not in staff_panel
    client_panel = _panel(as_user(connected.client), appointment.id, portal=True)
    assert "Meeting link coming soon" in client_panel and dead_link not in client_panel
    # Any email composed meanwhile (here: staff resend the details) says the link follows, never the old one.
    row = OutboxEmail(
        appointment=appointment, client=appointment.client, kind=EmailKind.DETAILS, ics_sequence=7
    )
    row.to_address = appointment.client.email
    composed = compose(row)
    assert dead_link not in composed.text + composed.html + composed.ics.decode()
    assert "not ready yet" in composed.text
    db.session.rollback()
    assert audit_events(appointment.id).count("zoom_meeting_vanished") == 1


def test_recreate_and_resend_gives_a_new_link_and_an_update_email(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox, as_user
):
    appointment = ready_meeting(sync_app, book, connected)
    old_id, dead_link = appointment.zoom.meeting_id, appointment.zoom.join_url
    assert [m.message["Subject"].split(":")[0] for m in mailbox.messages] == ["Confirmed"]
    zoom_sandbox.delete_meeting(int(old_id))
    let_zoom_talk(sync_app, zoom_sandbox)

    answer = as_user(connected.staff).post(f"/bookings/{appointment.id}/zoom/recreate", headers=HX)
    assert answer.status_code == 200 and "Creating Zoom meeting" in answer.get_data(as_text=True)
    let_zoom_talk(sync_app, zoom_sandbox, appointment.id)

    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.meeting_id != old_id
    (meeting,) = meetings(zoom_sandbox)  # the deleted one stays in Zoom's trash
    assert str(meeting["id"]) == appointment.zoom.meeting_id
    assert len(mailbox.messages) == 2
    update = mailbox.messages[1].message
    assert update["Subject"].startswith("Updated:")
    parts = text_parts(update)
    assert appointment.zoom.join_url in parts["text/plain"]
    assert all(dead_link not in content for content in parts.values())
    _calendar, event = event_of(update)
    assert int(event["SEQUENCE"]) == 1 and str(event["URL"]) == appointment.zoom.join_url
    assert "zoom_recreate_requested" in audit_events(appointment.id)


def test_deleted_for_good_in_zoom_counts_once(sync_app, connected, zoom_sandbox, webhooks_served, mailbox):
    appointment = ready_meeting(sync_app, book, connected)
    zoom_sandbox.delete_meeting(int(appointment.zoom.meeting_id), permanently=True)
    let_zoom_talk(sync_app, zoom_sandbox)
    assert len(_delivered(zoom_sandbox, "meeting.permanently_deleted")) == 1
    assert fresh(appointment.id).zoom_state == "vanished"
    assert audit_events(appointment.id).count("zoom_meeting_vanished") == 1


def test_a_cancelled_appointments_meeting_deleted_in_zoom_is_simply_gone(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox
):
    from conecta.bookings import service

    appointment = ready_meeting(sync_app, book, connected)
    meeting_id = appointment.zoom.meeting_id
    service.cancel(appointment)
    let_zoom_talk(sync_app, zoom_sandbox, appointment.id)  # our own DELETE echoes back: not ours any more
    assert fresh(appointment.id).zoom_state == "deleted"
    assert len(_delivered(zoom_sandbox, "meeting.deleted")) == 1
    assert "zoom_meeting_vanished" not in audit_events(appointment.id)
    assert ("DELETE", f"/v2/meetings/{meeting_id}") in api_calls(zoom_sandbox, "DELETE")


# ---- moved in Zoom -----------------------------------------------------------------------------------


def test_moved_in_zoom_is_flagged_and_put_zoom_back_moves_it_back(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox, as_user
):
    appointment = ready_meeting(sync_app, book, connected)
    meeting_id = int(appointment.zoom.meeting_id)
    zoom_sandbox.update_meeting(meeting_id, start_time="2030-03-11T18:00:00Z", duration=45)
    let_zoom_talk(sync_app, zoom_sandbox)

    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "drifted"
    assert appointment.zoom.synced_start_at == IN_ZOOM and appointment.zoom.synced_duration == 45
    staff = as_user(connected.staff)
    panel = _panel(staff, appointment.id)
    assert "The Zoom meeting was changed in Zoom" in panel
    assert "11:00 for 45 min" in panel and "10:00 for 30 min" in panel
    assert "Put Zoom back" in panel and "Move the appointment to Zoom&#39;s time" in panel
    assert appointment.zoom.join_url in panel  # the link still works: it stays
    client_panel = _panel(as_user(connected.client), appointment.id, portal=True)
    assert appointment.zoom.join_url in client_panel and "Put Zoom back" not in client_panel

    assert staff.post(f"/bookings/{appointment.id}/zoom/put-back", headers=HX).status_code == 200
    let_zoom_talk(sync_app, zoom_sandbox, appointment.id)

    (meeting,) = meetings(zoom_sandbox)
    assert (meeting["start_time"], meeting["duration"]) == ("2030-03-11T17:00:00Z", 30)
    assert fresh(appointment.id).zoom_state == "ready"  # our PATCH echoed back and flagged nothing
    assert len(_delivered(zoom_sandbox, "meeting.updated")) == 2
    assert audit_events(appointment.id).count("zoom_meeting_drifted") == 1
    assert len(mailbox.messages) == 1  # nothing changed for the client


def test_move_the_appointment_to_zooms_time_is_a_booking_edit(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox, as_user
):
    appointment = ready_meeting(sync_app, book, connected)
    zoom_sandbox.update_meeting(int(appointment.zoom.meeting_id), start_time="2030-03-12T18:00:00Z")
    let_zoom_talk(sync_app, zoom_sandbox)
    patches_before = len(api_calls(zoom_sandbox, "PATCH"))

    answer = as_user(connected.staff).post(f"/bookings/{appointment.id}/zoom/move-to-zoom-time", headers=HX)
    assert answer.status_code == 200 and "appointment-saved" in answer.headers["HX-Trigger"]
    let_zoom_talk(sync_app, zoom_sandbox, appointment.id)

    appointment = fresh(appointment.id)
    assert appointment.starts_at == datetime(2030, 3, 12, 18, 0, tzinfo=UTC)
    assert appointment.duration_minutes == 30 and appointment.zoom_state == "ready"
    assert len(api_calls(zoom_sandbox, "PATCH")) == patches_before  # Zoom was already there
    assert len(mailbox.messages) == 2
    update = mailbox.messages[1].message
    assert update["Subject"].startswith("Updated:")
    assert "Tuesday 12 March 2030, 11:00" in text_parts(update)["text/plain"]
    assert appointment.zoom.join_url in text_parts(update)["text/plain"]


def test_moving_to_zooms_time_into_a_clash_says_so_and_changes_nothing(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox, as_user
):
    appointment = ready_meeting(sync_app, book, connected)
    settle(sync_app, book(connected, starts_at=IN_ZOOM, client=connected.other_client).id)
    zoom_sandbox.update_meeting(int(appointment.zoom.meeting_id), start_time="2030-03-11T18:00:00Z")
    let_zoom_talk(sync_app, zoom_sandbox)

    answer = as_user(connected.staff).post(f"/bookings/{appointment.id}/zoom/move-to-zoom-time", headers=HX)
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "The appointment was not moved" in text and "Sam Staff is already booked from 11:00" in text
    appointment = fresh(appointment.id)
    assert appointment.starts_at == START and appointment.zoom_state == "drifted"


def test_our_own_changes_echo_back_and_flag_nothing(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox
):
    appointment = ready_meeting(sync_app, book, connected)
    edit(appointment, starts_at=START + timedelta(hours=2), duration_minutes=50)
    let_zoom_talk(sync_app, zoom_sandbox, appointment.id)

    (echo,) = _delivered(zoom_sandbox, "meeting.updated")
    assert json.loads(echo["body"])["payload"]["object"]["duration"] == 50  # Zoom told us about our own PATCH
    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "ready"
    assert "zoom_meeting_drifted" not in audit_events(appointment.id)
    read_back = [path for _, path in api_calls(zoom_sandbox, "GET") if path.startswith("/v2/meetings/")]
    assert read_back == []  # an echo needs no reading back


# ---- replays, duplicates, reordering -------------------------------------------------------------------


def test_duplicated_and_replayed_deletions_count_once(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox, client, as_user
):
    zoom_sandbox.configure_webhooks(duplicate=2)
    appointment = ready_meeting(sync_app, book, connected)
    zoom_sandbox.delete_meeting(int(appointment.zoom.meeting_id))
    let_zoom_talk(sync_app, zoom_sandbox)
    assert len(_delivered(zoom_sandbox, "meeting.deleted")) == 3
    assert audit_events(appointment.id).count("zoom_meeting_vanished") == 1

    as_user(connected.staff).post(f"/bookings/{appointment.id}/zoom/recreate", headers=HX)
    let_zoom_talk(sync_app, zoom_sandbox, appointment.id)
    new_meeting = fresh(appointment.id).zoom.meeting_id
    # The old deletion arrives once more, late (re-signed, as Zoom's retries are): the new meeting stays.
    body = _delivered(zoom_sandbox, "meeting.deleted")[0]["body"].encode()
    headers = _signed(body, timestamp=int(time.time()) + 2)  # a second none of the deliveries used
    assert client.post("/webhooks/zoom", data=body, headers=headers).get_json() == {"status": "not-ours"}
    # The very same request again is a replay: recognised before anything is read.
    assert client.post("/webhooks/zoom", data=body, headers=headers).get_json() == {"status": "duplicate"}
    let_zoom_talk(sync_app, zoom_sandbox)
    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.meeting_id == new_meeting
    assert audit_events(appointment.id).count("zoom_meeting_vanished") == 1


def test_updates_delivered_in_reverse_end_with_what_zoom_holds(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox
):
    appointment = ready_meeting(sync_app, book, connected)
    meeting_id = int(appointment.zoom.meeting_id)
    zoom_sandbox.configure_webhooks(hold=True)
    zoom_sandbox.update_meeting(meeting_id, start_time="2030-03-11T18:00:00Z")
    zoom_sandbox.update_meeting(meeting_id, start_time="2030-03-11T19:00:00Z")
    assert zoom_sandbox.release_webhooks(order="reversed") == 2
    let_zoom_talk(sync_app, zoom_sandbox)

    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "drifted"
    assert appointment.zoom.synced_start_at == datetime(2030, 3, 11, 19, 0, tzinfo=UTC)
    assert audit_events(appointment.id).count("zoom_meeting_drifted") == 1  # the older one was stale


def test_our_echo_arriving_after_a_change_in_zoom_does_not_hide_it(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox
):
    appointment = ready_meeting(sync_app, book, connected)
    zoom_sandbox.configure_webhooks(hold=True)
    edit(appointment, starts_at=START + timedelta(hours=1))  # our PATCH: its echo is held
    appointment = settle(sync_app, appointment.id)
    zoom_sandbox.update_meeting(int(appointment.zoom.meeting_id), start_time="2030-03-11T20:00:00Z")
    assert zoom_sandbox.release_webhooks(order="reversed") == 2
    let_zoom_talk(sync_app, zoom_sandbox)

    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "drifted"
    assert appointment.zoom.synced_start_at == datetime(2030, 3, 11, 20, 0, tzinfo=UTC)


def test_a_passcode_changed_in_zoom_reaches_the_client_with_the_new_link(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox
):
    appointment = ready_meeting(sync_app, book, connected)
    old_link = appointment.zoom.join_url
    zoom_sandbox.update_meeting(int(appointment.zoom.meeting_id), password="n3wPass")
    let_zoom_talk(sync_app, zoom_sandbox)

    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.passcode == "n3wPass"
    assert appointment.zoom.join_url != old_link
    assert len(mailbox.messages) == 2
    follow_up = mailbox.messages[1].message
    assert follow_up["Subject"].startswith("Zoom link:")
    parts = text_parts(follow_up)
    assert appointment.zoom.join_url in parts["text/plain"] and "Passcode: n3wPass" in parts["text/plain"]
    assert all(old_link not in content for content in parts.values())


def test_cancelling_after_a_deletion_in_zoom_leaves_nothing_to_recreate(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox, as_user
):
    from conecta.bookings import service

    appointment = ready_meeting(sync_app, book, connected)
    zoom_sandbox.delete_meeting(int(appointment.zoom.meeting_id))
    let_zoom_talk(sync_app, zoom_sandbox)
    service.cancel(fresh(appointment.id))
    let_zoom_talk(sync_app, zoom_sandbox)

    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "none" and meetings(zoom_sandbox) == []
    answer = as_user(connected.staff).post(f"/bookings/{appointment.id}/zoom/recreate", headers=HX)
    assert "Recreate and resend" not in answer.get_data(as_text=True)
    assert fresh(appointment.id).zoom_state == "none"
