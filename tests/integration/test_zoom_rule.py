"""The one Zoom rule (`conecta.zoom.rule`) reached by every path, through the booking pipeline: switching
a service on (asked first; the switch and the marks commit together; per-host daily limits; one "Zoom
link" email per client), editing, Add and Remove Zoom meeting, switching a service off, disconnecting
and reconnecting. Real worker, real sandbox, real SMTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from conecta.bookings import service as bookings
from conecta.extensions import db
from conecta.models import Service
from conecta.models.types import utcnow
from conecta.zoom.dispatch import request_reconcile
from tests.support.smtp import text_parts
from tests.support.zoom_side import run_until_quiet
from tests.support.zoom_sync import START, book, edit, fresh, meetings, settle

HX = {"HX-Request": "true"}
SERVICE_FORM = {
    "name": "Consultation",
    "duration_minutes": "60",
    "description": "",
    "color": "#3b82f6",
    "active": "y",
    "zoom_auto_recording": "none",
}


@pytest.fixture
def clinic(sync_app, acme, connect_zoom, mailbox):
    """acme connected to Zoom for its connecting user (every meeting on host@example.com), mail caught."""
    connect_zoom(acme)
    return acme


def emails(mailbox, prefix: str) -> list:
    return [m.message for m in mailbox.messages if m.message["Subject"].startswith(prefix)]


def plain(message) -> str:
    return text_parts(message)["text/plain"]


def test_switching_a_service_on_asks_then_creates_each_meeting_within_the_hosts_daily_limit(
    sync_app, clinic, zoom_sandbox, mailbox, as_user
):
    acme = clinic
    first = book(acme, service=acme.service)
    second = book(acme, service=acme.service, client=acme.other_client, starts_at=START + timedelta(days=1))
    third = book(acme, service=acme.service, starts_at=START + timedelta(days=2))
    gone = book(acme, service=acme.service, starts_at=START + timedelta(days=3))
    bookings.cancel(gone)
    run_until_quiet(sync_app)  # their confirmations went out, without any link
    admin = as_user(acme.admin)

    asked = admin.post(
        f"/settings/calendar/events/{acme.service.id}/zoom", data={"zoom_auto_create": "y"}, headers=HX
    )
    assert asked.status_code == 200 and asked.headers["HX-Retarget"] == "#modal"
    assert (
        "3 upcoming Consultation appointments will get a Zoom meeting, and their clients an email with the "
        "link." in asked.text
    )
    assert db.session.get(Service, acme.service.id).zoom_auto_create is False  # nothing done yet
    assert fresh(first.id).zoom is None

    zoom_sandbox.set_limit("host@example.com", limit=2, used=0)  # room for two meetings today
    done = admin.post(
        f"/settings/calendar/events/{acme.service.id}/zoom", data={"zoom_auto_create": "y", "confirmed": "1"}
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Service, acme.service.id).zoom_auto_create is True
    for appointment in (first, second, third):  # marked with the switch, in one commit
        assert fresh(appointment.id).zoom_state == "pending" and fresh(appointment.id).zoom.sync_requested_at
    assert fresh(gone.id).zoom is None
    portal = as_user(acme.client).get(f"/portal/bookings/{first.id}").text
    assert "Meeting link coming soon" in portal

    run_until_quiet(sync_app)
    made = [a for a in (first, second, third) if fresh(a.id).zoom_state == "ready"]
    (waiting,) = [fresh(a.id) for a in (first, second, third) if fresh(a.id).zoom_state != "ready"]
    assert len(made) == 2 and len(meetings(zoom_sandbox)) == 2
    assert waiting.zoom_state == "pending" and "daily limit" in waiting.zoom.error
    assert waiting.zoom.retry_at > utcnow() + timedelta(minutes=2)  # after 00:00 GMT, not in a loop
    client = acme.client if waiting.client_id == acme.client.id else acme.other_client
    assert "Meeting link coming soon" in as_user(client).get(f"/portal/bookings/{waiting.id}").text

    # Midnight GMT: the host's budget is back, and the waiting meeting is made.
    zoom_sandbox.set_limit("host@example.com", limit=None, used=0)
    waiting.zoom.retry_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    request_reconcile(waiting.id)
    assert settle(sync_app, waiting.id).zoom_state == "ready"
    run_until_quiet(sync_app)

    links = emails(mailbox, "Zoom link:")
    assert len(links) == 3  # one per appointment, each with its own meeting's link
    for appointment in (first, second, third):
        join_url = fresh(appointment.id).zoom.join_url
        assert sum(join_url in plain(message) for message in links) == 1
    assert len(emails(mailbox, "Updated:")) == 0


def test_the_service_form_asks_first_and_switching_off_leaves_the_meetings(
    sync_app, clinic, zoom_sandbox, mailbox, as_user
):
    acme = clinic
    appointment = book(acme, service=acme.service)
    admin = as_user(acme.admin)
    url = f"/settings/calendar/events/{acme.service.id}/edit"

    asked = admin.post(url, data={**SERVICE_FORM, "zoom_auto_create": "y"})
    assert asked.status_code == 200 and "Switch on and save" in asked.text
    assert (
        "1 upcoming Consultation appointment will get a Zoom meeting, and its client an email with the link."
        in asked.text
    )
    assert fresh(appointment.id).zoom is None
    done = admin.post(url, data={**SERVICE_FORM, "zoom_auto_create": "y", "confirm_zoom": "1"})
    assert done.status_code == 303
    meeting_id = settle(sync_app, appointment.id).zoom.meeting_id
    assert meeting_id

    # Off: existing meetings and links stay, and follow their appointment; new bookings get none.
    assert admin.post(url, data=SERVICE_FORM).status_code == 303
    moved = settle(sync_app, edit(fresh(appointment.id), starts_at=START + timedelta(hours=2)).id)
    assert moved.zoom_state == "ready" and moved.zoom.meeting_id == meeting_id
    (meeting,) = meetings(zoom_sandbox)
    assert meeting["start_time"] == "2030-03-11T19:00:00Z"
    later = book(acme, service=acme.service, starts_at=START + timedelta(days=1))
    assert later.zoom is None


def test_editing_an_appointment_applies_the_rule_to_one_booked_before_its_service_had_zoom(
    sync_app, clinic, zoom_sandbox
):
    acme = clinic
    appointment = book(acme, service=acme.service)
    acme.service.zoom_auto_create = True  # as it was before the rule reached back: nothing else happened
    db.session.commit()
    assert fresh(appointment.id).zoom is None

    edit(fresh(appointment.id), notes="Bring the test results")
    assert settle(sync_app, appointment.id).zoom_state == "ready"
    assert len(meetings(zoom_sandbox)) == 1


def test_add_and_remove_zoom_meeting_on_one_appointment(sync_app, clinic, zoom_sandbox, mailbox, as_user):
    acme = clinic
    appointment = book(acme, service=acme.service)  # in person: no meeting
    run_until_quiet(sync_app)
    staff = as_user(acme.staff)

    added = staff.post(f"/bookings/{appointment.id}/zoom/add", headers=HX)
    assert added.status_code == 200 and "Zoom meeting added" in added.text
    assert json.loads(added.headers["HX-Trigger"])["appointment-saved"]["id"] == appointment.id
    made = settle(sync_app, appointment.id)
    assert made.zoom_state == "ready" and made.zoom.staff_choice == "added"
    join_url, meeting_id = made.zoom.join_url, made.zoom.meeting_id
    run_until_quiet(sync_app)
    (link,) = emails(mailbox, "Zoom link:")
    assert join_url in plain(link)

    # An edit keeps staff's choice: the meeting follows the appointment.
    edit(fresh(appointment.id), starts_at=START + timedelta(hours=1))
    assert settle(sync_app, appointment.id).zoom.meeting_id == meeting_id

    question = staff.get(f"/bookings/{appointment.id}/zoom/remove", headers=HX)
    assert "Remove the Zoom meeting?" in question.text and "is told by email" in question.text
    assert fresh(appointment.id).zoom_state == "ready"  # asking changes nothing
    removed = staff.post(f"/bookings/{appointment.id}/zoom/remove", headers=HX)
    assert removed.status_code == 200 and "Zoom meeting removed" in removed.text
    assert settle(sync_app, appointment.id).zoom_state == "deleted"
    assert meetings(zoom_sandbox) == []
    run_until_quiet(sync_app)
    moved, told = emails(mailbox, "Updated:")  # the new time, then the removal
    assert join_url in plain(moved)
    assert "no longer has a Zoom meeting" in plain(told) and join_url not in plain(told)

    # Removed stays removed, whatever is edited; Add brings it back.
    edit(fresh(appointment.id), notes="Phone instead")
    assert fresh(appointment.id).zoom_state == "deleted" and meetings(zoom_sandbox) == []
    assert "Add Zoom meeting" in staff.get(f"/bookings/{appointment.id}/zoom", headers=HX).text
    assert staff.post(f"/bookings/{appointment.id}/zoom/remove").status_code == 422  # nothing to remove
