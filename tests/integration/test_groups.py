"""Group sessions through the real paths (the booking modal's views, the booking pipeline, a real worker,
the Zoom sandbox, real SMTP): one meeting per session whatever happens to its membership, each client
their own email, capacity enforced, and nothing a client receives or sees names another client."""

from __future__ import annotations

import pytest

from conecta.extensions import db
from conecta.models import Appointment
from tests.support.groups import add_group_clinic
from tests.support.smtp import event_of, ics_of, text_parts
from tests.support.zoom_side import run_until_quiet
from tests.support.zoom_sync import START, api_calls, booking_form, fresh, meetings

HX = {"HX-Request": "true"}


@pytest.fixture
def group_clinic(sync_app, acme, connect_zoom, mailbox):
    """acme connected to Zoom, mail caught, with "Group therapy" (3 clients a session, Zoom on)."""
    connect_zoom(acme)
    return add_group_clinic(acme)


def book_group_form(clinic, clients, **overrides) -> dict:
    form = booking_form(
        clinic.org, **{"service_id": clinic.group.id, "client_id": clients[0].id, **overrides}
    )
    form["more_client_ids"] = [c.id for c in clients[1:]]
    return form


def book_group(as_user, clinic, clients, **overrides):
    return as_user(clinic.org.staff).post("/bookings/new", data=book_group_form(clinic, clients, **overrides))


def latest_appointment() -> Appointment:
    db.session.expire_all()
    return db.session.scalars(db.select(Appointment).order_by(Appointment.id.desc())).first()


def received_by(mailbox, address: str) -> list:
    return [r.message for r in mailbox.messages if r.message["To"] == address]


def assert_names_nobody_else(message, recipient, everyone) -> None:
    """Nothing in the message -- headers, bodies, the .ics -- names another client of the session."""
    raw = message.as_string()
    for other in everyone:
        if other.id != recipient.id:
            assert other.name not in raw and other.email not in raw, (recipient.name, other.name)
    assert [str(v) for v in message.get_all("To")] == [recipient.email] and message["Cc"] is None
    _calendar, event = event_of(message)
    attendees = event.get("attendee")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == [f"mailto:{recipient.email}"]


def test_a_group_has_one_meeting_each_client_their_own_link_and_membership_changes_touch_no_meeting(
    sync_app, group_clinic, zoom_sandbox, mailbox, as_user
):
    clinic = group_clinic
    three = clinic.clients[:3]
    assert book_group(as_user, clinic, three).status_code == 303
    session = latest_appointment()
    assert [c.id for c in session.clients] == [c.id for c in three]
    run_until_quiet(sync_app)

    (meeting,) = meetings(zoom_sandbox)
    assert meeting["topic"] == "Group therapy"  # the service's name: no client's
    session = fresh(session.id)
    join_url = session.zoom.join_url
    for client in three:
        (message,) = received_by(mailbox, client.email)
        assert message["Subject"].startswith("Confirmed: Group therapy")
        assert join_url in text_parts(message)["text/plain"]
        assert f"Hello {client.name}" in text_parts(message)["text/plain"]
        assert_names_nobody_else(message, client, clinic.clients)

    calls_before, sent_before = len(api_calls(zoom_sandbox)), len(mailbox.messages)
    staff = as_user(clinic.org.staff)
    # Full (3 of 3): a fourth is refused, and nothing is sent.
    full = staff.post(
        f"/bookings/{session.id}/participants", data={"client_id": clinic.clients[3].id}, headers=HX
    )
    assert full.status_code == 422 and "This session is full (3 clients)." in full.text

    removed = clinic.clients[1]
    answer = staff.post(f"/bookings/{session.id}/participants/{removed.id}/remove", headers=HX)
    assert answer.status_code == 200 and "appointment-saved" in answer.headers["HX-Trigger"]
    run_until_quiet(sync_app)
    assert len(mailbox.messages) == sent_before + 1  # exactly one email: the removed client's
    (_, cancellation) = received_by(mailbox, removed.email)
    assert cancellation["Subject"].startswith("Cancelled: Group therapy")
    assert join_url not in str(text_parts(cancellation))
    assert_names_nobody_else(cancellation, removed, clinic.clients)

    added = clinic.clients[3]
    answer = staff.post(f"/bookings/{session.id}/participants", data={"client_id": added.id}, headers=HX)
    assert answer.status_code == 200
    run_until_quiet(sync_app)
    assert len(mailbox.messages) == sent_before + 2  # and one for the client added
    (welcome,) = received_by(mailbox, added.email)
    assert (
        welcome["Subject"].startswith("Confirmed: Group therapy")
        and join_url in text_parts(welcome)["text/plain"]
    )
    assert_names_nobody_else(welcome, added, clinic.clients)

    # Neither change reached Zoom: no call at all, the same meeting, the same link.
    assert len(api_calls(zoom_sandbox)) == calls_before
    assert [m["id"] for m in meetings(zoom_sandbox)] == [meeting["id"]]
    assert fresh(session.id).zoom.join_url == join_url

    # The calendar shows the session as "Group therapy · 3/3"; the drawer lists its clients.
    week = staff.get(f"/calendar/?view=week&date={START.date().isoformat()}")
    assert "Group therapy · 3/3" in week.text
    drawer = staff.get(f"/calendar/appointments/{session.id}", headers=HX).text
    assert added.name in drawer and removed.name not in drawer

    # Moving the session (the edit form has no client fields for a group): the meeting follows (PATCH,
    # same id) and each client in it gets their own update; the client removed gets nothing.
    sent_before = len(mailbox.messages)
    later = START.astimezone(clinic.org.org.tz).replace(hour=12)
    form = booking_form(clinic.org, service_id=clinic.group.id, client_id=clinic.clients[4].id)
    form["time"] = later.strftime("%H:%M")
    assert staff.post(f"/bookings/{session.id}/edit", data=form).status_code == 303
    run_until_quiet(sync_app)
    assert [m["id"] for m in meetings(zoom_sandbox)] == [meeting["id"]]
    assert ("PATCH", f"/v2/meetings/{meeting['id']}") in api_calls(zoom_sandbox)
    updates = [r.message for r in mailbox.messages[sent_before:]]
    assert sorted(m["To"] for m in updates) == sorted(c.email for c in fresh(session.id).clients)
    assert all(m["Subject"].startswith("Updated: Group therapy") for m in updates) and len(updates) == 3
    assert fresh(session.id).client_id == clinic.clients[0].id  # the posted client was not taken

    # Cancelling the session deletes the meeting (through the pipeline) and tells every client in it.
    sent_before = len(mailbox.messages)
    assert staff.post(f"/bookings/{session.id}/cancel").status_code == 303
    run_until_quiet(sync_app)
    assert meetings(zoom_sandbox) == []
    told = sorted(r.message["To"] for r in mailbox.messages[sent_before:])
    assert told == sorted(c.email for c in fresh(session.id).clients)
    assert len(told) == 3 and removed.email not in told


def test_capacity_and_one_client_services_are_enforced_with_a_422(sync_app, acme, as_user):
    clinic = add_group_clinic(acme, zoom=False)
    staff = as_user(acme.staff)
    count = db.session.scalar(db.select(db.func.count(Appointment.id)))

    over = book_group(as_user, clinic, clinic.clients[:4])
    assert over.status_code == 422 and "Group therapy takes at most 3 clients." in over.text
    two_for_one = book_group(as_user, clinic, clinic.clients[:2], service_id=acme.service.id)
    assert two_for_one.status_code == 422
    assert "Consultation is for one client; only group services take several." in two_for_one.text
    assert db.session.scalar(db.select(db.func.count(Appointment.id))) == count  # nothing saved

    assert book_group(as_user, clinic, clinic.clients[:3]).status_code == 303
    session = latest_appointment()
    # The service cannot shrink below its sessions, nor stop being a group while it has them.
    form = {"name": "Group therapy", "duration_minutes": "60", "color": "#3b82f6", "active": "y",
            "zoom_auto_recording": "none", "capacity": "2"}  # fmt: skip
    admin = as_user(acme.admin)
    shrink = admin.post(f"/settings/calendar/events/{clinic.group.id}/edit", data=form)
    assert shrink.status_code == 422 and "has 3 clients: allow at least that many" in shrink.text
    alone = admin.post(f"/settings/calendar/events/{clinic.group.id}/edit", data={**form, "capacity": "1"})
    assert alone.status_code == 422 and "it stays a group" in alone.text
    # Moving the session to a one-client service is refused too.
    local = START.astimezone(acme.org.tz)
    moved = staff.post(
        f"/bookings/{session.id}/edit",
        data={"client_id": acme.client.id, "service_id": acme.service.id, "staff_id": acme.staff.id,
              "date": local.date().isoformat(), "time": local.strftime("%H:%M")},
    )  # fmt: skip
    assert moved.status_code == 422 and "A group session needs a group service" in moved.text
    assert fresh(session.id).service_id == clinic.group.id
    # The last client cannot be removed; a stranger to the session is not in it.
    for client in clinic.clients[1:3]:
        assert staff.post(f"/bookings/{session.id}/participants/{client.id}/remove").status_code in (200, 303)
    last = staff.post(f"/bookings/{session.id}/participants/{acme.client.id}/remove", headers=HX)
    assert last.status_code == 422 and "cancel the session instead" in last.text
    stranger = staff.post(f"/bookings/{session.id}/participants/{clinic.clients[4].id}/remove", headers=HX)
    assert stranger.status_code == 422


def test_the_portal_shows_each_participant_their_session_and_nobody_else(sync_app, acme, rival, as_user):
    clinic = add_group_clinic(acme, zoom=False)
    assert book_group(as_user, clinic, clinic.clients[:3]).status_code == 303
    session = latest_appointment()
    first, second, third = clinic.clients[:3]

    for client in (first, second, third):
        portal = as_user(client)
        listed = portal.get("/portal/").text
        page = portal.get(f"/portal/bookings/{session.id}")
        assert "Group therapy" in listed and page.status_code == 200
        for other in clinic.clients:
            if other.id != client.id:
                assert other.name not in page.text and other.email not in page.text
                assert other.email not in listed
    assert as_user(clinic.clients[4]).get(f"/portal/bookings/{session.id}").status_code == 404

    # Removed -- even the client it was first booked with -- it is gone from their portal.
    as_user(acme.staff).post(f"/bookings/{session.id}/participants/{first.id}/remove")
    assert as_user(first).get(f"/portal/bookings/{session.id}").status_code == 404
    assert "Group therapy" not in as_user(first).get("/portal/").text
    assert as_user(second).get(f"/portal/bookings/{session.id}").status_code == 200

    # Another organization's staff: the session does not exist for them; nor does a rival's client.
    other_staff = as_user(rival.staff)
    assert (
        other_staff.post(
            f"/bookings/{session.id}/participants", data={"client_id": rival.client.id}
        ).status_code
        == 404
    )
    assert other_staff.post(f"/bookings/{session.id}/participants/{second.id}/remove").status_code == 404
    stranger = as_user(acme.staff).post(
        f"/bookings/{session.id}/participants", data={"client_id": rival.client.id}, headers=HX
    )
    assert stranger.status_code == 422
    assert not fresh(session.id).has_client(rival.client.id)


def test_a_weekly_group_has_one_meeting_per_date_and_each_client_one_series_email(
    sync_app, group_clinic, zoom_sandbox, mailbox, as_user
):
    clinic = group_clinic
    three = clinic.clients[:3]
    local = START.astimezone(clinic.org.org.tz)
    form = book_group_form(clinic, three)
    form.update(repeat="y", repeat_interval="1", repeat_weekdays=[str(local.weekday())])
    form.update(repeat_end="count", repeat_count="3", series_step="skip")
    answer = as_user(clinic.org.staff).post("/bookings/new", data=form, headers=HX)
    assert answer.status_code == 200 and "Series booked: 3 dates." in answer.text
    run_until_quiet(sync_app)

    db.session.expire_all()
    dates = db.session.scalars(db.select(Appointment).order_by(Appointment.starts_at)).all()
    assert len(dates) == 3 and len({d.series_id for d in dates}) == 1
    assert all([c.id for c in d.clients] == [c.id for c in three] for d in dates)
    held = meetings(zoom_sandbox)
    assert sorted(str(m["id"]) for m in held) == sorted(d.zoom.meeting_id for d in dates)
    assert {m["topic"] for m in held} == {"Group therapy"}

    for client in three:  # one series email each, with every date's link, naming nobody else
        (message,) = received_by(mailbox, client.email)
        text = text_parts(message)["text/plain"]
        assert all(d.zoom.join_url in text for d in dates) and f"Hello {client.name}" in text
        raw = message.as_string()
        for other in clinic.clients:
            if other.id != client.id:
                assert other.name not in raw and other.email not in raw
        calendar = ics_of(message)
        for event in calendar.walk("VEVENT"):
            attendees = event.get("attendee")
            attendees = attendees if isinstance(attendees, list) else [attendees]
            assert [str(a) for a in attendees] == [f"mailto:{client.email}"]

    # Removing a client from one date: one email (theirs, about that date); the meetings stay.
    sent, calls = len(mailbox.messages), len(api_calls(zoom_sandbox))
    leaving = three[2]
    staff = as_user(clinic.org.staff)
    assert (
        staff.post(f"/bookings/{dates[1].id}/participants/{leaving.id}/remove", headers=HX).status_code == 200
    )
    run_until_quiet(sync_app)
    assert len(mailbox.messages) == sent + 1 and mailbox.messages[-1].message["To"] == leaving.email
    assert len(api_calls(zoom_sandbox)) == calls
    assert fresh(dates[0].id).has_client(leaving.id) and not fresh(dates[1].id).has_client(leaving.id)


def test_the_group_clients_list_shows_only_where_a_group_service_is_offered(acme, as_user):
    staff = as_user(acme.staff)
    assert "Other clients (group sessions)" not in staff.get("/bookings/new", headers=HX).text
    clinic = add_group_clinic(acme)
    form = staff.get("/bookings/new", headers=HX).text
    assert "Other clients (group sessions)" in form and f'value="{clinic.clients[0].id}"' in form
    clinic.group.active = False
    db.session.commit()
    assert "Other clients (group sessions)" not in staff.get("/bookings/new", headers=HX).text
