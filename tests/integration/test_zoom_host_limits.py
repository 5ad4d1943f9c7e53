"""Zoom's limits and failures are per host: a host at its daily limit waits alone, a host removed from the
Zoom account fails its meetings with a way to fix it, and one host with two meetings at once is flagged."""

from __future__ import annotations

from datetime import timedelta

from conecta.bookings import service as bookings
from conecta.extensions import db
from conecta.models import Client, User
from tests.support.groups import add_group_clinic
from tests.support.worker import run_jobs
from tests.support.zoom_sync import START, book, edit, fresh, meetings, settle

HX = {"HX-Request": "true"}


def test_a_host_at_its_daily_limit_never_delays_another_hosts_meetings(team, sync_app, zoom_sandbox, as_user):
    acme = team.org
    zoom_sandbox.set_limit(acme.staff.email, used=100)  # Sam's host spent today's budget
    waiting = book(acme)
    others = [
        book(acme, staff=team.second, client=acme.other_client),
        book(acme, staff=acme.admin, starts_at=START + timedelta(hours=2)),  # on host@example.com
    ]
    for other in others:
        assert settle(sync_app, other.id).zoom_state == "ready"
    run_jobs(sync_app, until=lambda: fresh(waiting.id).zoom.retry_at is not None)

    waiting = fresh(waiting.id)
    assert waiting.zoom_state == "pending" and waiting.zoom.meeting_id is None
    assert "daily limit" in waiting.zoom.error and "for this host (staff@acme.test)" in waiting.zoom.error
    assert {m["host_email"] for m in meetings(zoom_sandbox)} == {"diego@acme.test", "host@example.com"}
    panel = as_user(acme.staff).get(f"/bookings/{waiting.id}/zoom", headers=HX).text
    assert "Waiting for Zoom" in panel and "staff@acme.test" in panel

    # Diego's host still has its budget: his edits go through while Sam's meeting waits.
    moved = edit(fresh(others[0].id), starts_at=START + timedelta(hours=1))
    assert settle(sync_app, moved.id).zoom_state == "ready"


def test_a_host_removed_from_the_zoom_account_fails_with_a_fix_link(team, sync_app, zoom_sandbox, as_user):
    acme = team.org
    appointment = settle(sync_app, book(acme).id)
    zoom_sandbox.remove_user(acme.staff.email)  # their meetings go with them

    edit(appointment, starts_at=START + timedelta(hours=1))
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "failed"
    assert "Zoom says staff@acme.test is no longer a user of your Zoom account" in appointment.zoom.error
    panel = as_user(acme.staff).get(f"/bookings/{appointment.id}/zoom", headers=HX).text
    assert "no longer a user of your Zoom account" in panel and "Retry" in panel
    assert f'href="/settings/integrations#zoom-host-{acme.staff.id}">Fix the Zoom host</a>' in panel

    # The admin re-reads the account (the host is gone) and maps Sam to Diego's Zoom user: fixed.
    admin = as_user(acme.admin)
    assert admin.post("/settings/integrations/zoom/hosts/match").status_code == 303
    page = admin.get("/settings/integrations").text
    assert "Meetings for Sam Staff are hosted by host@example.com" in page  # matched to nobody now
    admin.post(
        f"/settings/integrations/zoom/hosts/{acme.staff.id}",
        data={"zoom_user_id": team.hosts[team.second.id]},
    )
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.host_user_id == team.hosts[team.second.id]
    (meeting,) = meetings(zoom_sandbox)
    assert meeting["start_time"] == "2030-03-11T18:00:00Z"


def test_a_removed_host_at_create_time_fails_and_retry_after_remapping_succeeds(
    team, sync_app, zoom_sandbox, as_user
):
    acme = team.org
    zoom_sandbox.remove_user(team.second.email)  # Zoom's side changed; our mapping does not know yet
    appointment = settle(sync_app, book(acme, staff=team.second).id)
    assert appointment.zoom_state == "failed" and "diego@acme.test" in appointment.zoom.error

    as_user(acme.admin).post(
        f"/settings/integrations/zoom/hosts/{team.second.id}", data={"zoom_user_id": "none"}
    )
    appointment = settle(sync_app, appointment.id)  # re-planned: the connecting user hosts it now
    assert appointment.zoom_state == "ready" and appointment.zoom.host_email == "host@example.com"

    bookings.cancel(fresh(appointment.id))
    assert settle(sync_app, appointment.id).zoom_state == "deleted" and meetings(zoom_sandbox) == []


def test_one_host_with_two_meetings_at_once_is_flagged(sync_app, acme, connect_zoom, zoom_sandbox, as_user):
    connect_zoom(acme)  # user mode: one host for everybody
    sam = settle(sync_app, book(acme).id)
    ada = settle(sync_app, book(acme, staff=acme.admin, client=acme.other_client).id)
    apart = settle(sync_app, book(acme, staff=acme.admin, starts_at=START + timedelta(hours=3)).id)

    panel = as_user(acme.staff).get(f"/bookings/{sam.id}/zoom", headers=HX).text
    assert "host@example.com also hosts “Video call with Omar Other” at 10:00–10:30" in panel
    assert "can host only one meeting at a time" in panel
    assert (
        "Video call with Carla Client" in as_user(acme.staff).get(f"/bookings/{ada.id}/zoom", headers=HX).text
    )
    assert "also hosts" not in as_user(acme.staff).get(f"/bookings/{apart.id}/zoom", headers=HX).text
    client_panel = as_user(acme.client).get(f"/portal/bookings/{sam.id}/zoom", headers=HX).text
    assert "also hosts" not in client_panel


def test_many_meetings_on_one_host_are_named_three_then_counted(sync_app, acme, connect_zoom, as_user):
    """In user mode one Zoom user hosts a whole team: the panel names the first three clashes and counts
    the rest, rather than a line per colleague."""
    connect_zoom(acme)
    team = [
        User(org=acme.org, email=f"t{i}@acme.test", name=f"Team {i}", role="staff", password_hash="x")
        for i in range(5)
    ]
    clients = [Client(org=acme.org, name=f"Pat {i}", email=f"pat{i}@acme.test") for i in range(5)]
    db.session.add_all([*team, *clients])
    db.session.commit()
    sam = settle(sync_app, book(acme).id)
    for i, (member, client) in enumerate(zip(team, clients, strict=True)):
        settle(sync_app, book(acme, staff=member, client=client, starts_at=START + timedelta(minutes=i)).id)

    panel = as_user(acme.staff).get(f"/bookings/{sam.id}/zoom", headers=HX).text
    assert panel.count("host@example.com also hosts “Video call with Pat") == 3
    assert "Video call with Pat 0" in panel and "Video call with Pat 2" in panel
    assert "Video call with Pat 3" not in panel
    assert "host@example.com also hosts 2 more meetings at overlapping times." in panel


def test_a_clashing_group_session_is_named_by_its_service_alone(sync_app, acme, connect_zoom, as_user):
    """A group session's topic is its service's name (no participant's name reaches Zoom): the overlap
    note names it the same way."""
    connect_zoom(acme)  # user mode: one host for everybody
    clinic = add_group_clinic(acme)
    sam = settle(sync_app, book(acme).id)
    group = book(acme, staff=acme.admin, client=clinic.clients[2], service=clinic.group)
    assert settle(sync_app, group.id).zoom_state == "ready"

    panel = as_user(acme.staff).get(f"/bookings/{sam.id}/zoom", headers=HX).text
    assert "host@example.com also hosts “Group therapy” at 10:00–11:00" in panel
    assert "Pia Private" not in panel


def test_two_hosts_at_the_same_hour_are_not_flagged(team, sync_app, as_user):
    acme = team.org
    sam = settle(sync_app, book(acme).id)
    settle(sync_app, book(acme, staff=team.second, client=acme.other_client).id)
    assert "also hosts" not in as_user(acme.staff).get(f"/bookings/{sam.id}/zoom", headers=HX).text
