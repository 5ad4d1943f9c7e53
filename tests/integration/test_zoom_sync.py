"""Zoom meetings follow appointments: the reconciler against the sandbox over HTTP, with a real RQ worker
(in-process SimpleWorker) and real Redis, on SQLite and PostgreSQL.

Bookings go through `conecta.bookings.service` — the path every view takes — so the outbox mark, the
signal receivers and the job queue are all the real ones.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from conecta.bookings import service as bookings
from conecta.extensions import db
from conecta.mail.compose import compose
from conecta.models.email import OutboxEmail
from conecta.zoom.client import ZoomClient
from conecta.zoom.errors import ZoomNotFound
from tests.support.worker import pending_job_count
from tests.support.zoom_sync import START, api_calls, audit_events, book, edit, fresh, meetings, settle

# ---- the life of a meeting -------------------------------------------------------------------------------


def test_booking_creates_one_meeting_with_the_right_fields(sync_app, connected, zoom_sandbox):
    appointment = book(connected)
    assert appointment.zoom.wanted and appointment.zoom_state == "pending"
    assert appointment.zoom.sync_requested_at is not None  # the outbox mark, committed with the booking
    assert pending_job_count(sync_app, "conecta.zoom.") == 1

    appointment = settle(sync_app, appointment.id)

    (meeting,) = meetings(zoom_sandbox)
    assert meeting["start_time"] == "2030-03-11T17:00:00Z"  # UTC, with the Z
    assert meeting["duration"] == 30
    assert meeting["timezone"] == "America/Tijuana"
    assert meeting["topic"] == "Video call with Carla Client"
    assert meeting["type"] == 2
    assert appointment.zoom.tracking_key and appointment.zoom.tracking_key in meeting["agenda"]
    assert appointment.zoom_state == "ready" and appointment.zoom.error is None
    assert appointment.zoom.meeting_id == str(meeting["id"])
    assert appointment.zoom.join_url == meeting["join_url"]
    assert appointment.zoom.passcode == meeting["password"]
    assert appointment.zoom.start_url and f"/s/{meeting['id']}?zak=" in appointment.zoom.start_url
    # Created on the staff member's host ("me" in user mode); Zoom's answer says what it applied.
    assert api_calls(zoom_sandbox) == [("POST", connected.create_path)]
    assert appointment.zoom.applied_settings == {
        "waiting_room": False, "join_before_host": False, "mute_upon_entry": False, "auto_recording": "none",
        "passcode": True,
    }  # fmt: skip
    assert meeting["host_email"] == appointment.zoom.host_email == connected.staff_host_email
    assert audit_events(appointment.id) == ["zoom_sync_requested", "zoom_meeting_created"]


def test_a_service_without_zoom_never_touches_zoom(sync_app, connected, zoom_sandbox):
    appointment = book(connected, service=connected.service)
    assert appointment.zoom is None and appointment.zoom_state == "none"  # no Zoom bookkeeping at all
    assert pending_job_count(sync_app, "conecta.zoom.") == 0
    assert api_calls(zoom_sandbox) == []


def test_reschedule_sends_one_patch(sync_app, connected, zoom_sandbox):
    appointment = settle(sync_app, book(connected).id)
    edit(appointment, starts_at=START + timedelta(days=1, hours=2))
    assert fresh(appointment.id).zoom_state == "pending"

    appointment = settle(sync_app, appointment.id)

    meeting_id = appointment.zoom.meeting_id
    assert api_calls(zoom_sandbox) == [
        ("POST", connected.create_path),
        ("PATCH", f"/v2/meetings/{meeting_id}"),  # no settings changed: no read-back after it
    ]
    (meeting,) = meetings(zoom_sandbox)
    assert meeting["start_time"] == "2030-03-12T19:00:00Z"
    assert appointment.zoom_state == "ready"
    assert "zoom_meeting_updated" in audit_events(appointment.id)


def test_editing_only_the_notes_sends_no_patch(sync_app, connected, zoom_sandbox):
    appointment = settle(sync_app, book(connected).id)
    edit(appointment, notes="Bring the lab results")
    assert fresh(appointment.id).zoom_state == "ready"  # never flickers to "pending"

    appointment = settle(sync_app, appointment.id)

    assert api_calls(zoom_sandbox) == [("POST", connected.create_path)]
    assert appointment.zoom_state == "ready"


def test_quick_successive_edits_coalesce_into_one_patch(sync_app, connected, zoom_sandbox):
    appointment = settle(sync_app, book(connected).id)
    for hours in (1, 2, 3):
        edit(appointment, starts_at=START + timedelta(hours=hours))
    edit(appointment, duration_minutes=45)
    # One job (by its deterministic id) waits, perhaps queued more than once; it reads the latest state.
    assert pending_job_count(sync_app, "conecta.zoom.") == 1

    appointment = settle(sync_app, appointment.id)

    assert api_calls(zoom_sandbox, "PATCH") == [("PATCH", f"/v2/meetings/{appointment.zoom.meeting_id}")]
    (meeting,) = meetings(zoom_sandbox)
    assert meeting["start_time"] == "2030-03-11T20:00:00Z" and meeting["duration"] == 45


def test_changing_the_client_replaces_the_meeting(sync_app, connected, zoom_sandbox):
    """The former client was sent the join link and passcode: they must not be able to join the new
    client's session, so the meeting is deleted and a new one made (never just renamed)."""
    appointment = settle(sync_app, book(connected).id)
    old_id, old_join_url = appointment.zoom.meeting_id, appointment.zoom.join_url
    assert appointment.zoom.client_id == connected.client.id
    (delivered,) = outbox_rows(appointment.id)
    delivered.status = "sent"  # her confirmation, with the join link, went out (no SMTP server here)
    db.session.commit()

    edit(appointment, client=connected.other_client)
    assert fresh(appointment.id).zoom_state == "pending"  # the panel shows the replacement under way
    emails = {(row.client_id, row.kind): row for row in outbox_rows(appointment.id)}
    assert emails[(connected.other_client.id, "confirmation")].status == "waiting"  # for the new meeting
    appointment = settle(sync_app, appointment.id)

    (meeting,) = meetings(zoom_sandbox)
    assert str(meeting["id"]) == appointment.zoom.meeting_id != old_id
    assert meeting["topic"] == "Video call with Omar Other"
    assert appointment.zoom.join_url == meeting["join_url"] != old_join_url
    assert appointment.zoom_state == "ready" and appointment.zoom.client_id == connected.other_client.id
    with pytest.raises(ZoomNotFound):  # gone at Zoom: the old link opens nothing
        ZoomClient.for_org(connected.org.id).get_meeting(old_id)
    assert ("DELETE", f"/v2/meetings/{old_id}") in api_calls(zoom_sandbox)
    assert api_calls(zoom_sandbox, "PATCH") == []
    assert "zoom_meeting_replaced" in audit_events(appointment.id)
    # Composed when sent: the new client gets the new link; the former client's cancellation has none.
    emails = {(row.client_id, row.kind): row for row in outbox_rows(appointment.id)}
    confirmation = compose(emails[(connected.other_client.id, "confirmation")])
    assert appointment.zoom.join_url in confirmation.text and old_join_url not in confirmation.text
    assert appointment.zoom.join_url in confirmation.ics.decode().replace("\r\n ", "")
    cancellation = compose(emails[(connected.client.id, "cancellation")])
    unfolded_ics = cancellation.ics.decode().replace("\r\n ", "")
    for part in (cancellation.text, cancellation.html.replace("&amp;", "&"), unfolded_ics):
        assert appointment.zoom.join_url not in part and old_join_url not in part


def outbox_rows(appointment_id: int) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.appointment_id == appointment_id)))


def test_changing_to_a_service_without_zoom_deletes_the_meeting_and_back_creates_one(
    sync_app, connected, zoom_sandbox
):
    appointment = settle(sync_app, book(connected).id)
    first_meeting = appointment.zoom.meeting_id

    edit(appointment, service=connected.service, duration_minutes=60)
    appointment = settle(sync_app, appointment.id)
    assert meetings(zoom_sandbox) == []
    assert appointment.zoom_state == "deleted" and not appointment.zoom.wanted
    assert appointment.zoom.meeting_id is None and appointment.zoom.join_url is None

    edit(appointment, service=connected.zoom_service, duration_minutes=30)
    appointment = settle(sync_app, appointment.id)
    (meeting,) = meetings(zoom_sandbox)
    assert appointment.zoom_state == "ready" and appointment.zoom.meeting_id == str(meeting["id"])
    assert appointment.zoom.meeting_id != first_meeting


def test_cancelling_deletes_the_meeting(sync_app, connected, zoom_sandbox):
    appointment = settle(sync_app, book(connected).id)
    meeting_id = appointment.zoom.meeting_id
    bookings.cancel(appointment)
    appointment = settle(sync_app, appointment.id)
    assert meetings(zoom_sandbox) == []
    assert api_calls(zoom_sandbox, "DELETE") == [("DELETE", f"/v2/meetings/{meeting_id}")]
    assert appointment.zoom_state == "deleted"
    assert "zoom_meeting_deleted" in audit_events(appointment.id)


def test_cancelling_before_the_job_ran_creates_nothing(sync_app, connected, zoom_sandbox):
    appointment = book(connected)
    bookings.cancel(appointment)
    appointment = settle(sync_app, appointment.id)
    assert meetings(zoom_sandbox) == []
    assert api_calls(zoom_sandbox) == []
    assert appointment.zoom_state == "none"


def test_a_meeting_deleted_in_zoom_is_created_anew_when_the_patch_finds_it_gone(
    sync_app, connected, zoom_sandbox
):
    appointment = settle(sync_app, book(connected).id)
    old_id = appointment.zoom.meeting_id
    ZoomClient.for_org(connected.org.id).delete_meeting(old_id)  # someone deleted it in Zoom

    edit(appointment, starts_at=START + timedelta(hours=1))
    appointment = settle(sync_app, appointment.id)

    (meeting,) = meetings(zoom_sandbox)
    assert appointment.zoom_state == "ready"
    assert appointment.zoom.meeting_id == str(meeting["id"]) != old_id
    assert meeting["start_time"] == "2030-03-11T18:00:00Z"
    assert ("PATCH", f"/v2/meetings/{old_id}") in api_calls(zoom_sandbox)


def test_a_404_on_delete_counts_as_done(sync_app, connected, zoom_sandbox):
    appointment = settle(sync_app, book(connected).id)
    ZoomClient.for_org(connected.org.id).delete_meeting(appointment.zoom.meeting_id)
    bookings.cancel(appointment)
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "deleted" and appointment.zoom.error is None


def test_passcode_is_optional(sync_app, connected, zoom_sandbox):
    zoom_sandbox.configure(REQUIRE_PASSCODE=False)
    appointment = settle(sync_app, book(connected).id)
    assert appointment.zoom_state == "ready"
    assert appointment.zoom.passcode is None
    assert appointment.zoom.join_url and "pwd=" not in appointment.zoom.join_url


def test_every_zoom_call_logs_one_structured_line_without_secrets(sync_app, connected, zoom_sandbox, caplog):
    caplog.set_level("INFO", logger="conecta.zoom")
    appointment = settle(sync_app, book(connected).id)
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "conecta.zoom" and "create_meeting" in r.getMessage()
    ]
    assert len(lines) == 1
    (line,) = lines
    for field in (f"appointment_id={appointment.id}", "status=201", "attempt=1", "latency_ms="):
        assert field in line
    for secret in (appointment.zoom.join_url, appointment.zoom.start_url, appointment.zoom.passcode):
        assert secret not in caplog.text
