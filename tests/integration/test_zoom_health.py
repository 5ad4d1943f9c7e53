"""The health check before every meeting, the reminders that follow it, and the admins' alert when Zoom
needs reconnecting: driven by the sweeps with an explicit "now" (the meetings are in 2030), the jobs run
by a real RQ worker against the sandbox over HTTP, the emails caught by a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

from conecta.extensions import db
from conecta.mail import reminders
from conecta.models.email import OutboxEmail
from conecta.models.types import utcnow
from conecta.zoom import alerts, health
from conecta.zoom.client import ZoomClient
from tests.support.smtp import event_of, text_parts
from tests.support.zoom_side import emails, let_zoom_talk, ready_meeting, run_until_quiet
from tests.support.zoom_sync import START, api_calls, audit_events, book, edit, fresh, meetings

HX = {"HX-Request": "true"}
DAY_BEFORE = START - timedelta(hours=24)
HOUR_BEFORE = START - timedelta(hours=1)


def _checks(app, now) -> int:
    """One turn of the pre-meeting sweep at `now`, and the jobs it started run to the end."""
    enqueued = health.sweep(now=now)
    run_until_quiet(app)
    return enqueued


def _subjects(mailbox) -> list[str]:
    return [m.message["Subject"].split(":")[0] for m in mailbox.messages]


def _gets(sandbox, meeting_id) -> int:
    return api_calls(sandbox, "GET").count(("GET", f"/v2/meetings/{meeting_id}"))


# ---- when it runs ---------------------------------------------------------------------------------------


def test_the_check_runs_about_a_day_and_an_hour_before_and_not_in_between(
    sync_app, connected, zoom_sandbox, mailbox
):
    connected.org.reminders_enabled = False
    db.session.commit()
    appointment = ready_meeting(sync_app, book, connected)
    meeting_id = appointment.zoom.meeting_id
    gets = _gets(zoom_sandbox, meeting_id)  # (a create retried after a slow answer reads it back too)

    assert _checks(sync_app, DAY_BEFORE - timedelta(minutes=1)) == 0
    assert _checks(sync_app, DAY_BEFORE) == 1
    assert fresh(appointment.id).zoom.checked_at == DAY_BEFORE
    assert _gets(zoom_sandbox, meeting_id) == gets + 1
    assert _checks(sync_app, DAY_BEFORE + timedelta(minutes=1)) == 0
    assert _checks(sync_app, HOUR_BEFORE - timedelta(minutes=1)) == 0
    assert _checks(sync_app, HOUR_BEFORE + timedelta(minutes=2)) == 1
    assert _gets(zoom_sandbox, meeting_id) == gets + 2
    assert _checks(sync_app, START - timedelta(minutes=5)) == 0
    assert _checks(sync_app, START + timedelta(minutes=1)) == 0  # it started: nothing left to check
    assert audit_events(appointment.id).count("zoom_health_checked") == 2
    assert fresh(appointment.id).zoom_state == "ready"


def test_a_reschedule_gets_its_own_checks(sync_app, connected, zoom_sandbox, mailbox):
    appointment = ready_meeting(sync_app, book, connected)
    assert _checks(sync_app, DAY_BEFORE) == 1
    later = START + timedelta(hours=5)
    edit(fresh(appointment.id), starts_at=later)
    let_zoom_talk(sync_app, zoom_sandbox, appointment.id)
    assert _checks(sync_app, DAY_BEFORE + timedelta(hours=1)) == 0
    assert _checks(sync_app, later - timedelta(hours=24)) == 1  # the new time's day-before check


# ---- what it repairs, and what it flags ----------------------------------------------------------------


def test_the_check_recreates_a_meeting_deleted_in_zoom_and_the_reminder_carries_the_new_link(
    sync_app, connected, zoom_sandbox, mailbox, as_user
):
    appointment = ready_meeting(sync_app, book, connected)
    dead_link = appointment.zoom.join_url
    zoom_sandbox.delete_meeting(int(appointment.zoom.meeting_id))  # no webhook reaches Conecta

    assert _checks(sync_app, DAY_BEFORE) == 1
    let_zoom_talk(sync_app, zoom_sandbox, appointment.id)

    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.join_url != dead_link
    assert [str(m["id"]) for m in meetings(zoom_sandbox)] == [appointment.zoom.meeting_id]
    events = audit_events(appointment.id)
    assert {"zoom_meeting_vanished", "zoom_health_checked", "zoom_recreate_requested"} <= set(events)
    # The update waited for the new meeting, and so did the reminder: both carry the new link only.
    assert sorted(_subjects(mailbox)) == ["Confirmed", "Reminder", "Updated"]
    for received in mailbox.messages[1:]:
        parts = text_parts(received.message)
        assert appointment.zoom.join_url in parts["text/plain"]
        assert all(dead_link not in content for content in parts.values())
    drawer = as_user(connected.staff).get(f"/calendar/appointments/{appointment.id}", headers=HX)
    assert "Reminder sent" in drawer.get_data(as_text=True)


def test_the_check_puts_zoom_back_when_the_meeting_was_moved_there(
    sync_app, connected, zoom_sandbox, mailbox
):
    appointment = ready_meeting(sync_app, book, connected)
    zoom_sandbox.update_meeting(
        int(appointment.zoom.meeting_id), start_time="2030-03-11T18:30:00Z", duration=60
    )

    assert _checks(sync_app, HOUR_BEFORE) == 1
    let_zoom_talk(sync_app, zoom_sandbox, appointment.id)

    (meeting,) = meetings(zoom_sandbox)
    assert (meeting["start_time"], meeting["duration"]) == ("2030-03-11T17:00:00Z", 30)
    assert fresh(appointment.id).zoom_state == "ready"
    assert {"zoom_meeting_drifted", "zoom_put_back_requested"} <= set(audit_events(appointment.id))


def test_another_time_while_a_patch_of_ours_is_unconfirmed_is_put_right_not_flagged(
    sync_app, connected, zoom_sandbox, mailbox
):
    """A PATCH of ours lost its answer (`verify_at` set): another time in Zoom may be that PATCH, landed
    late. The check reads it back and puts it right through a reconcile -- no drift, nothing for staff."""
    appointment = ready_meeting(sync_app, book, connected)
    appointment.zoom.verify_at = utcnow() + timedelta(minutes=5)  # not due by itself
    db.session.commit()
    zoom_sandbox.update_meeting(int(appointment.zoom.meeting_id), start_time="2030-03-11T18:30:00Z")

    assert _checks(sync_app, HOUR_BEFORE) == 1

    (meeting,) = meetings(zoom_sandbox)
    assert meeting["start_time"] == "2030-03-11T17:00:00Z"
    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.verify_at is None
    events = audit_events(appointment.id)
    assert "zoom_meeting_drifted" not in events and "zoom_put_back_requested" not in events


def test_a_drift_flagged_by_a_webhook_and_left_unanswered_is_put_back_by_the_check(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox
):
    appointment = ready_meeting(sync_app, book, connected)
    zoom_sandbox.update_meeting(int(appointment.zoom.meeting_id), start_time="2030-03-11T19:00:00Z")
    let_zoom_talk(sync_app, zoom_sandbox)
    assert fresh(appointment.id).zoom_state == "drifted"

    assert _checks(sync_app, DAY_BEFORE) == 1
    let_zoom_talk(sync_app, zoom_sandbox, appointment.id)

    (meeting,) = meetings(zoom_sandbox)
    assert meeting["start_time"] == "2030-03-11T17:00:00Z"
    assert fresh(appointment.id).zoom_state == "ready"  # and the PATCH's echo flagged nothing


def test_a_connection_needing_reconnect_is_flagged_and_the_admins_are_emailed_once(
    sync_app, connected, zoom_sandbox, mailbox, as_user
):
    appointment = ready_meeting(sync_app, book, connected)
    link = appointment.zoom.join_url
    zoom_sandbox.reset()  # Zoom forgets every token: the next refresh is refused (invalid_grant)

    assert _checks(sync_app, DAY_BEFORE) == 1
    appointment = fresh(appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.join_url == link  # left as it was
    panel = (
        as_user(connected.staff).get(f"/bookings/{appointment.id}/zoom", headers=HX).get_data(as_text=True)
    )
    assert "Zoom needs reconnecting, so it could not be checked" in panel

    assert alerts.sweep(now=DAY_BEFORE) == 1
    assert alerts.sweep(now=DAY_BEFORE + timedelta(minutes=1)) == 0  # once per incident
    run_until_quiet(sync_app)
    (alert,) = [m for m in mailbox.messages if m.envelope_to == [connected.admin.email]]
    body = text_parts(alert.message)["text/plain"]
    assert alert.message["Subject"] == "Zoom needs reconnecting · Acme Clinic"
    assert "1 upcoming appointment with a Zoom meeting depends on it" in body
    assert "Video call with Carla Client" in body and "/settings/integrations" in body
    # The reminder still went, with the link nobody found broken.
    (reminder,) = [m for m in mailbox.messages if m.message["Subject"].startswith("Reminder")]
    assert link in text_parts(reminder.message)["text/plain"]


def test_the_app_removed_on_zooms_side_alerts_the_admins(
    sync_app, connected, zoom_sandbox, webhooks_served, mailbox
):
    ready_meeting(sync_app, book, connected)
    assert zoom_sandbox.send_webhook(f"{webhooks_served.url}/webhooks/zoom")["status"] == 200
    assert alerts.sweep() == 1  # (now: the incident is an audit event of the real clock)
    assert alerts.sweep() == 0
    run_until_quiet(sync_app)
    (alert,) = [m for m in mailbox.messages if m.envelope_to == [connected.admin.email]]
    assert "removed Conecta on Zoom's side" in text_parts(alert.message)["text/plain"]


def test_a_deliberate_disconnect_alerts_nobody(sync_app, connected, zoom_sandbox, mailbox, as_user):
    ready_meeting(sync_app, book, connected)
    as_user(connected.admin).post("/settings/integrations/zoom/disconnect")
    assert alerts.sweep(now=DAY_BEFORE) == 0


# ---- reminders ----------------------------------------------------------------------------------------


def test_the_reminder_of_an_appointment_without_zoom_goes_at_its_time_once(sync_app, connected, mailbox):
    appointment = book(connected, service=connected.service)
    run_until_quiet(sync_app)

    assert reminders.sweep(now=DAY_BEFORE - timedelta(minutes=1)) == 0
    assert reminders.sweep(now=DAY_BEFORE) == 1
    assert reminders.sweep(now=DAY_BEFORE + timedelta(minutes=1)) == 0
    run_until_quiet(sync_app)

    assert _subjects(mailbox) == ["Confirmed", "Reminder"]
    confirmation, reminder = (m.message for m in mailbox.messages)
    _, first = event_of(confirmation)
    _, second = event_of(reminder)
    assert str(second["UID"]) == str(first["UID"]) and int(second["SEQUENCE"]) == int(first["SEQUENCE"]) + 1
    assert "A reminder of your appointment with Acme Clinic" in text_parts(reminder)["text/plain"]
    assert fresh(appointment.id).reminded_for == START


def test_the_lead_time_and_the_switch_are_the_organizations(sync_app, connected, mailbox):
    connected.org.reminder_lead_hours = 2
    db.session.commit()
    book(connected, service=connected.service)
    assert reminders.sweep(now=DAY_BEFORE) == 0
    assert reminders.sweep(now=START - timedelta(hours=2, minutes=1)) == 0
    connected.org.reminders_enabled = False
    db.session.commit()
    assert reminders.sweep(now=START - timedelta(hours=2)) == 0
    connected.org.reminders_enabled = True
    db.session.commit()
    assert reminders.sweep(now=START - timedelta(hours=2)) == 1


def test_a_rescheduled_appointment_is_reminded_again_and_a_late_booking_not_at_all(
    sync_app, connected, mailbox
):
    appointment = book(connected, service=connected.service)
    assert reminders.sweep(now=DAY_BEFORE) == 1
    later = START + timedelta(days=2)
    edit(fresh(appointment.id), starts_at=later)
    assert reminders.sweep(now=DAY_BEFORE + timedelta(hours=1)) == 0
    assert reminders.sweep(now=later - timedelta(hours=24)) == 1
    # Booked three hours ahead: the confirmation has just gone out, no reminder follows it.
    soon = (utcnow() + timedelta(hours=3)).replace(microsecond=0)
    book(connected, starts_at=soon, service=connected.service, staff=connected.admin)
    assert reminders.sweep(now=utcnow()) == 0


def test_a_zoom_appointments_reminder_goes_after_its_check_with_join_and_passcode(
    sync_app, connected, zoom_sandbox, mailbox, as_user
):
    appointment = ready_meeting(sync_app, book, connected)
    assert reminders.sweep(now=DAY_BEFORE) == 0  # not by the plain sweep: after the check
    assert _checks(sync_app, DAY_BEFORE) == 1

    (row,) = [r for r in emails(appointment.id) if r.kind == "reminder"]
    assert row.status == "sent"
    body = text_parts(mailbox.messages[-1].message)["text/plain"]
    assert appointment.zoom.join_url in body and f"Passcode: {appointment.zoom.passcode}" in body
    checks = db.session.scalars(db.select(OutboxEmail.id)).all()
    assert _checks(sync_app, DAY_BEFORE + timedelta(minutes=5)) == 0 and len(checks) == 2
    modal = as_user(connected.staff).get(f"/bookings/{appointment.id}", headers=HX).get_data(as_text=True)
    assert "Reminder sent" in modal
    portal = as_user(connected.client).get(f"/portal/bookings/{appointment.id}").get_data(as_text=True)
    assert "Reminder sent" not in portal


# ---- the settings form ----------------------------------------------------------------------------------


def test_admins_set_the_reminders_and_bad_values_come_back_with_a_message(app, acme, as_user):
    admin = as_user(acme.admin)
    page = admin.get("/settings/emails").get_data(as_text=True)
    assert "Hours before the appointment" in page and 'value="24"' in page

    answer = admin.post("/settings/emails/reminders", data={"lead_hours": "48"}, headers=HX)
    assert answer.status_code == 200 and "Clients get no reminders." in answer.get_data(as_text=True)
    db.session.expire_all()
    assert (acme.org.reminders_enabled, acme.org.reminder_lead_hours) == (False, 48)

    for bad in ("0", "73", "soon", ""):
        answer = admin.post("/settings/emails/reminders", data={"enabled": "y", "lead_hours": bad})
        assert answer.status_code == 422
        assert "hours" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert (acme.org.reminders_enabled, acme.org.reminder_lead_hours) == (False, 48)
    assert as_user(acme.staff).post("/settings/emails/reminders", data={"lead_hours": "5"}).status_code == 403


def test_a_meeting_found_under_another_host_than_it_was_made_on_is_a_host_mismatch(
    sync_app, connected, zoom_sandbox
):
    """The host a meeting was made on (the staff member's Zoom user in account mode, the connecting
    user in user mode) is what the check expects to find; any other host is flagged, not repaired."""
    appointment = ready_meeting(sync_app, book, connected)
    (meeting,) = meetings(zoom_sandbox)
    zoom = fresh(appointment.id).zoom
    assert zoom.host_user_id == connected.staff_host  # None in user mode: the connecting user
    me = ZoomClient.for_org(appointment.org_id).connecting_user_id
    assert me  # the connecting user, whom a meeting with no host_user_id is expected on
    assert not health.host_mismatch(zoom, meeting, me)
    assert health.host_mismatch(zoom, {**meeting, "host_id": "someone-else"}, me)
    assert not health.host_mismatch(zoom, {k: v for k, v in meeting.items() if k != "host_id"}, me)
