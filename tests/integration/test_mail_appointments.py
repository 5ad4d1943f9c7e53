"""Client emails about appointments, end to end: signals → outbox → a real RQ worker → a real SMTP
server (aiosmtpd) → parsed with the standard library and icalendar.

The Zoom meeting is simulated by setting the appointment's Zoom fields and releasing the email, as the
reconciler does; no Zoom code is exercised here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from conecta.extensions import db
from conecta.models.types import utcnow
from conecta.scheduling import BookingDetails
from conecta.zoom.dispatch import release_waiting_email
from tests.support import smtp as mail
from tests.support.factories import with_zoom
from tests.support.smtp import (
    JOIN_URL,
    MEETING_ID_SHOWN,
    assert_no_start_url,
    book,
    cancel,
    edit,
    event_of,
    outbox,
    run_mail_worker,
    settle,
    text_parts,
)

smtp_server = mail.smtp_server  # the fixture, for this module's tests

# 17:00 UTC on 7 Jan 2030 is 09:00 PST in Tijuana (acme's zone).
MONDAY_9AM = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)


@pytest.fixture
def app(mail_app):
    return mail_app


def only(received):
    assert len(received) == 1, [r.message["Subject"] for r in received]
    return received[0].message


def test_booking_without_zoom_sends_one_confirmation_with_an_invite(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM)
    run_mail_worker()

    message = only(smtp_server.messages)
    assert smtp_server.messages[0].envelope_to == ["carla@acme.test"]
    assert message["From"].addresses[0].display_name == "Acme Clinic"
    assert message["From"].addresses[0].addr_spec == "bookings@conecta.test"
    assert message["Subject"].startswith("Confirmed: Consultation")
    parts = text_parts(message)
    assert {"text/plain", "text/html", "text/calendar", "application/ics"} <= set(parts)
    for body in (parts["text/plain"], parts["text/html"]):
        assert "Consultation" in body
        assert "Sam Staff" in body
        assert "Monday 7 January 2030, 09:00–10:00 (Mexico (Tijuana) Time)" in body
        assert "Zoom" not in body
        assert "None" not in body

    calendar, event = event_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == MONDAY_9AM
    assert event.decoded("DTEND") == MONDAY_9AM + timedelta(hours=1)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "LOCATION" not in event and "URL" not in event
    assert str(event["ATTENDEE"]) == "mailto:carla@acme.test"

    [row] = outbox(appointment)
    assert (row.kind, row.status, row.attempts, row.to_address) == (
        "confirmation",
        "sent",
        1,
        "carla@acme.test",
    )
    assert row.subject == message["Subject"]


def test_zoom_booking_waits_for_the_meeting_and_sends_one_email_with_the_link(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM, zoom=True)
    run_mail_worker()
    assert smtp_server.messages == []  # held for the meeting, not sent twice
    assert [r.status for r in outbox(appointment)] == ["waiting"]

    settle(appointment, "ready", passcode="482913")
    run_mail_worker()

    message = only(smtp_server.messages)
    parts = text_parts(message)
    for body in (parts["text/plain"], parts["text/html"], parts["application/ics"]):
        assert MEETING_ID_SHOWN in body
        assert "482913" in body
    assert f"Join Zoom meeting: {JOIN_URL}" in parts["text/plain"]
    assert f'href="{JOIN_URL}"' in parts["text/html"].replace("&amp;", "&")
    assert "Join Zoom Meeting" in parts["text/html"]
    _calendar, event = event_of(message)
    assert str(event["LOCATION"]) == JOIN_URL
    assert str(event["URL"]) == JOIN_URL
    assert JOIN_URL in str(event["DESCRIPTION"])
    assert_no_start_url(smtp_server.messages)
    assert [r.status for r in outbox(appointment)] == ["sent"]


def test_no_passcode_means_no_passcode_line(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM, zoom=True)
    settle(appointment, "ready", passcode=None)
    run_mail_worker()

    message = only(smtp_server.messages)
    for content in text_parts(message).values():
        assert JOIN_URL in content.replace("&amp;", "&")
        assert "Passcode" not in content
        assert "None" not in content
        assert "undefined" not in content
        assert "null" not in content
    assert_no_start_url(smtp_server.messages)


def test_failed_meeting_sends_without_link_then_the_link_follows_after_a_retry(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM, zoom=True)
    settle(appointment, "failed")
    run_mail_worker()

    first = only(smtp_server.messages)
    parts = text_parts(first)
    assert "We will email it to you as soon as the meeting is set up." in parts["text/plain"]
    assert "zoom.example" not in str(first)
    _calendar, first_event = event_of(first)
    assert "LOCATION" not in first_event

    # Staff press Retry on the Zoom panel: the reconciler goes again and the meeting is created.
    with_zoom(appointment, state="pending", sync_requested_at=utcnow())
    db.session.commit()
    settle(appointment, "ready", passcode="777111")
    run_mail_worker()

    assert len(smtp_server.messages) == 2
    follow_up = smtp_server.messages[1].message
    assert follow_up["Subject"].startswith("Zoom link: Video call")
    assert (
        "The Zoom meeting for your appointment with Acme Clinic is ready."
        in text_parts(follow_up)["text/plain"]
    )
    assert "777111" in text_parts(follow_up)["text/plain"]
    _calendar, event = event_of(follow_up)
    assert str(event["UID"]) == str(first_event["UID"])
    assert int(event["SEQUENCE"]) > int(first_event["SEQUENCE"])
    assert str(event["LOCATION"]) == JOIN_URL
    assert [r.kind for r in outbox(appointment)] == ["confirmation", "zoom_link"]

    # The reconciler settling again with the same meeting (e.g. a notes-only edit) sends nothing more.
    settle(appointment, "ready", passcode="777111")
    run_mail_worker()
    assert len(smtp_server.messages) == 2
    assert_no_start_url(smtp_server.messages)


def test_reschedule_and_service_change_update_the_invite_notes_do_not_and_cancel_removes_it(
    acme, smtp_server
):
    appointment = book(acme, MONDAY_9AM)
    run_mail_worker()
    edit(appointment, starts_at=MONDAY_9AM + timedelta(hours=2))  # reschedule
    run_mail_worker()
    edit(appointment, notes="Bring the X-rays")  # notes only: nothing for the client
    run_mail_worker()
    edit(appointment)  # saved with nothing changed
    run_mail_worker()
    assert len(smtp_server.messages) == 2

    other_service = acme.zoom_service
    other_service.zoom_auto_create = False
    db.session.commit()
    edit(appointment, service=other_service)  # service change
    run_mail_worker()
    cancel(appointment)
    run_mail_worker()

    messages = [r.message for r in smtp_server.messages]
    assert [m["Subject"].split(":")[0] for m in messages] == ["Confirmed", "Updated", "Updated", "Cancelled"]
    events = [event_of(m) for m in messages]
    uids = {str(event["UID"]) for _cal, event in events}
    assert len(uids) == 1  # one event in the client's calendar, updated in place
    sequences = [int(event["SEQUENCE"]) for _cal, event in events]
    assert sequences == sorted(sequences) and len(set(sequences)) == 4
    assert (
        "Monday 7 January 2030, 11:00–12:00 (Mexico (Tijuana) Time)" in text_parts(messages[1])["text/plain"]
    )
    assert "Video call" in text_parts(messages[2])["text/plain"]

    cancel_calendar, cancel_event = events[3]
    assert str(cancel_calendar["METHOD"]) == "CANCEL"
    assert str(cancel_event["STATUS"]) == "CANCELLED"
    assert "Your appointment with Acme Clinic is cancelled." in text_parts(messages[3])["text/plain"]
    assert [r.status for r in outbox(appointment)] == ["sent"] * 4


def test_quick_edits_before_the_meeting_is_ready_still_make_one_email(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM, zoom=True)
    edit(appointment, starts_at=MONDAY_9AM + timedelta(days=1), zoom_sync=True)
    run_mail_worker()
    assert smtp_server.messages == []

    settle(appointment, "ready")
    run_mail_worker()

    message = only(smtp_server.messages)
    assert message["Subject"].startswith("Confirmed:")  # the client never saw the first time
    assert "Tuesday 8 January 2030, 09:00" in text_parts(message)["text/plain"]
    assert [r.status for r in outbox(appointment)] == ["superseded", "sent"]


def test_a_settle_for_an_older_change_does_not_release_the_newer_one(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM, zoom=True)
    edit(appointment, starts_at=MONDAY_9AM + timedelta(hours=3), zoom_sync=True)
    # The reconciler reports on the first change while the second one is still marked pending.
    release_waiting_email(appointment.id)
    run_mail_worker()
    assert smtp_server.messages == []

    settle(appointment, "ready")
    run_mail_worker()
    assert len(smtp_server.messages) == 1


def test_cancelling_before_anything_was_sent_sends_nothing(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM, zoom=True)
    cancel(appointment, zoom_sync=True)
    settle(appointment, "deleted")
    run_mail_worker()

    assert smtp_server.messages == []
    assert [r.status for r in outbox(appointment)] == ["superseded"]


def test_reassigning_the_appointment_cancels_it_for_the_former_client(acme, smtp_server):
    appointment = book(acme, MONDAY_9AM)
    run_mail_worker()
    edit(appointment, client=acme.other_client)
    run_mail_worker()

    by_recipient = {r.envelope_to[0]: r.message for r in smtp_server.messages[1:]}
    assert set(by_recipient) == {"carla@acme.test", "omar@acme.test"}
    carla_calendar, carla_event = event_of(by_recipient["carla@acme.test"])
    assert str(carla_calendar["METHOD"]) == "CANCEL"
    assert "Carla Client" in text_parts(by_recipient["carla@acme.test"])["text/plain"]
    omar_calendar, omar_event = event_of(by_recipient["omar@acme.test"])
    assert str(omar_calendar["METHOD"]) == "REQUEST"
    assert by_recipient["omar@acme.test"]["Subject"].startswith("Confirmed:")
    assert str(carla_event["UID"]) == str(omar_event["UID"])


def test_details_are_composed_when_sent_so_a_late_message_is_current(acme, smtp_server):
    smtp_server.stop()
    appointment = book(acme, MONDAY_9AM)
    run_mail_worker(max_jobs=1)  # the first attempt fails: nothing listening
    appointment.client.email = "carla.new@acme.test"
    acme.staff.name = "Samantha Staff"
    db.session.commit()

    smtp_server.start()
    run_mail_worker()
    message = only(smtp_server.messages)
    assert smtp_server.messages[0].envelope_to == ["carla.new@acme.test"]
    assert "Samantha Staff" in text_parts(message)["text/plain"]


def test_the_booking_service_path_sends_confirmation_and_cancellation(acme, smtp_server):
    from conecta.bookings import service

    details = BookingDetails(client=acme.client, service=acme.service, staff=acme.staff, starts_at=MONDAY_9AM)
    appointment = service.save_new(acme.org, details)
    run_mail_worker()
    service.save_edit(appointment, replace(details, notes="notes only"))
    run_mail_worker()
    service.cancel(appointment)
    run_mail_worker()

    assert [r.message["Subject"].split(":")[0] for r in smtp_server.messages] == ["Confirmed", "Cancelled"]


def test_names_are_escaped_in_the_html_part(acme, smtp_server):
    acme.org.name = "Ana & <b>Bob</b>"
    acme.service.name = "<script>x</script>"
    db.session.commit()
    book(acme, MONDAY_9AM)
    run_mail_worker()

    parts = text_parts(only(smtp_server.messages))
    assert "<script>x" not in parts["text/html"] and "&lt;script&gt;x" in parts["text/html"]
    assert "<b>Bob" not in parts["text/html"] and "Ana &amp; &lt;b&gt;Bob" in parts["text/html"]
    assert "Your appointment with Ana & <b>Bob</b> is confirmed." in parts["text/plain"]


def test_times_follow_daylight_saving_in_the_organizations_zone(acme, smtp_server):
    book(acme, datetime(2030, 7, 8, 16, 0, tzinfo=UTC))  # 09:00 in Tijuana in summer (UTC-7)
    run_mail_worker()

    message = only(smtp_server.messages)
    assert "Monday 8 July 2030, 09:00–10:00 (Mexico (Tijuana) Time)" in text_parts(message)["text/plain"]
    _calendar, event = event_of(message)
    assert event.decoded("DTSTART") == datetime(2030, 7, 8, 16, 0, tzinfo=UTC)


def _settles_while_sending(monkeypatch, app, appointment_id: int, **details) -> None:
    """Zoom settles (ready, with `details`) while the worker is handing a message to SMTP: the settle's
    email release runs while that message is still being sent, in a session of its own."""
    from conecta.mail import send
    from conecta.models import Appointment

    real_deliver = send.deliver

    def deliver(message):
        monkeypatch.setattr(send, "deliver", real_deliver)  # once
        with app.app_context():
            settle(db.session.get(Appointment, appointment_id), "ready", **details)
        real_deliver(message)

    monkeypatch.setattr(send, "deliver", deliver)


def test_a_meeting_ready_while_its_message_is_sent_gets_the_link_right_after(
    app, acme, smtp_server, monkeypatch
):
    appointment = book(acme, MONDAY_9AM, zoom=True)
    settle(appointment, "failed")  # the confirmation goes without a link
    _settles_while_sending(monkeypatch, app, appointment.id, passcode="555000")
    run_mail_worker()

    assert [r.message["Subject"].split(":")[0] for r in smtp_server.messages] == ["Confirmed", "Zoom link"]
    assert "zoom.example" not in str(smtp_server.messages[0].message)
    assert "555000" in text_parts(smtp_server.messages[1].message)["text/plain"]
    assert [r.kind for r in outbox(appointment)] == ["confirmation", "zoom_link"]


def test_a_settle_while_a_message_is_sent_with_the_same_link_sends_nothing_more(
    app, acme, smtp_server, monkeypatch
):
    appointment = book(acme, MONDAY_9AM, zoom=True)
    settle(appointment, "ready", passcode="482913")  # the confirmation carries the link
    _settles_while_sending(monkeypatch, app, appointment.id, passcode="482913")
    run_mail_worker()

    message = only(smtp_server.messages)
    assert "482913" in text_parts(message)["text/plain"]
    assert [r.kind for r in outbox(appointment)] == ["confirmation"]


def test_a_passcode_changed_while_a_message_is_sent_follows_it(app, acme, smtp_server, monkeypatch):
    appointment = book(acme, MONDAY_9AM, zoom=True)
    settle(appointment, "ready", passcode="482913")
    _settles_while_sending(monkeypatch, app, appointment.id, passcode="999111")
    run_mail_worker()

    assert len(smtp_server.messages) == 2
    assert "482913" in text_parts(smtp_server.messages[0].message)["text/plain"]
    assert "999111" in text_parts(smtp_server.messages[1].message)["text/plain"]
    assert [r.kind for r in outbox(appointment)] == ["confirmation", "zoom_link"]
