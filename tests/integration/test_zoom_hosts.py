"""Each team member hosts their own Zoom meetings under the organization's one connection (account mode):
connecting for the whole account, matching hosts by email, an admin's choice, and meetings that move
when the staff member or their host changes -- against the sandbox over HTTP, with real jobs."""

from __future__ import annotations

import html
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from conecta.models.zoom import zoom_connection_for
from conecta.models.zoom_host import HostSource
from conecta.zoom.client import ZoomClient
from conecta.zoom.hosts import ACCOUNT_SCOPES
from tests.support.smtp import text_parts
from tests.support.worker import run_jobs
from tests.support.zoom_hosts import host_of
from tests.support.zoom_sync import START, api_calls, book, edit, fresh, meetings, settle

HX = {"HX-Request": "true"}


def host_ids(sandbox) -> dict[str, str]:
    """meeting id → its host's Zoom user id, as Zoom has it."""
    return {str(m["id"]): m["host_id"] for m in meetings(sandbox)}


# ---- connecting ------------------------------------------------------------------------------------------


def test_connect_for_the_whole_account_asks_for_the_admin_scopes(sync_app, acme, as_user):
    answer = as_user(acme.admin).post("/settings/integrations/zoom/connect", data={"mode": "account"})
    assert answer.status_code == 303
    asked = parse_qs(urlsplit(answer.headers["Location"]).query)["scope"][0].split()
    assert asked == list(ACCOUNT_SCOPES)
    mine_only = as_user(acme.admin).post("/settings/integrations/zoom/connect", data={"mode": "user"})
    assert "scope" not in parse_qs(urlsplit(mine_only.headers["Location"]).query)  # the app's own scopes


def test_account_mode_matches_hosts_by_email_and_says_so(team, zoom_sandbox, as_user):
    acme = team.org
    connection = zoom_connection_for(acme.org.id)
    assert connection.mode == "account" and "meeting:write:meeting:admin" in connection.scope_list
    for member in (acme.staff, team.second):
        mapping = host_of(member)
        assert mapping.zoom_user_id == team.hosts[member.id] and mapping.source == HostSource.AUTO
    assert host_of(acme.admin).zoom_user_id is None  # admin@acme.test has no Zoom user

    page = as_user(acme.admin).get("/settings/integrations").text
    assert "Whole Zoom account (admin)" in page and 'id="zoom-hosts"' in page
    assert "Matched by email" in page and "No Zoom user" in page
    assert "Meetings for Ada Admin are hosted by host@example.com: map Ada Admin to their Zoom user." in page
    staff_page = as_user(acme.staff).get("/settings/integrations").text
    assert 'id="zoom-hosts"' in staff_page and 'name="zoom_user_id"' not in staff_page  # read-only


def test_the_users_list_follows_next_page_token(team, zoom_sandbox):
    for n in range(5):
        zoom_sandbox.add_user(f"extra{n}@example.com")
    listed = list(ZoomClient.for_org(team.org.org.id).iter_users(page_size=2))
    assert len({u["id"] for u in listed}) == len(zoom_sandbox.state()["users"]) == 8
    assert len(zoom_sandbox.requests_to("/v2/users", "GET")) >= 1 + 4  # connecting, then four pages


# ---- meetings on their host ----------------------------------------------------------------------------


def test_two_staff_at_the_same_hour_get_two_hosts(team, sync_app, zoom_sandbox):
    acme = team.org
    sam = settle(sync_app, book(acme).id)
    diego = settle(sync_app, book(acme, staff=team.second, client=acme.other_client).id)

    hosts = host_ids(zoom_sandbox)
    assert hosts[sam.zoom.meeting_id] == team.hosts[acme.staff.id] == sam.zoom.host_user_id
    assert hosts[diego.zoom.meeting_id] == team.hosts[team.second.id] == diego.zoom.host_user_id
    assert (sam.zoom.host_email, diego.zoom.host_email) == ("staff@acme.test", "diego@acme.test")
    assert ("POST", f"/v2/users/{team.hosts[team.second.id]}/meetings") in api_calls(zoom_sandbox)


def test_reassigning_the_staff_member_moves_the_meeting_and_emails_the_new_link(
    team, sync_app, zoom_sandbox, smtp_server
):
    sync_app.config.update(smtp_server.config())
    acme = team.org
    appointment = settle(sync_app, book(acme).id)
    old_id, old_link = appointment.zoom.meeting_id, appointment.zoom.join_url
    run_jobs(sync_app, until=lambda: len(smtp_server.messages) == 1)  # the confirmation, with the link

    edit(appointment, staff=team.second)
    assert fresh(appointment.id).zoom_state == "pending"
    appointment = settle(sync_app, appointment.id)

    (meeting,) = meetings(zoom_sandbox)  # the old one deleted: no orphan
    assert str(meeting["id"]) == appointment.zoom.meeting_id != old_id
    assert meeting["host_id"] == team.hosts[team.second.id] == appointment.zoom.host_user_id
    assert ("DELETE", f"/v2/meetings/{old_id}") in api_calls(zoom_sandbox)
    run_jobs(sync_app, until=lambda: len(smtp_server.messages) == 2)
    update = smtp_server.messages[-1].message
    assert update["Subject"].startswith("Updated")
    text = text_parts(update)["text/plain"]
    assert appointment.zoom.join_url in text and old_link not in text and "Diego Dos" in text


def test_an_admin_remaps_a_host_and_upcoming_meetings_move(
    team, sync_app, zoom_sandbox, as_user, smtp_server
):
    sync_app.config.update(smtp_server.config())
    acme = team.org
    upcoming = settle(sync_app, book(acme).id)
    later = settle(sync_app, book(acme, starts_at=START + timedelta(days=1)).id)
    run_jobs(sync_app, until=lambda: len(smtp_server.messages) == 2)  # both confirmations
    old_link = upcoming.zoom.join_url

    answer = as_user(acme.admin).post(
        f"/settings/integrations/zoom/hosts/{acme.staff.id}",
        data={"zoom_user_id": team.hosts[team.second.id]},
        headers=HX,
    )
    assert answer.status_code == 200 and "2 upcoming meeting(s) move to the new host." in answer.text
    mapping = host_of(acme.staff)
    assert mapping.source == HostSource.ADMIN and mapping.zoom_email == "diego@acme.test"
    assert fresh(upcoming.id).zoom_state == "pending"

    for appointment_id in (upcoming.id, later.id):
        moved = settle(sync_app, appointment_id)
        assert moved.zoom.host_user_id == team.hosts[team.second.id] and moved.zoom_state == "ready"
    assert set(host_ids(zoom_sandbox).values()) == {team.hosts[team.second.id]}
    assert len(meetings(zoom_sandbox)) == 2  # the old meetings deleted: no orphans
    # Each client who had an old link gets the new one.
    run_jobs(sync_app, until=lambda: len(smtp_server.messages) == 4)
    follow_ups = [m.message for m in smtp_server.messages[2:]]
    assert all(m["Subject"].startswith("Zoom link") for m in follow_ups)
    texts = " ".join(text_parts(m)["text/plain"] for m in follow_ups)
    assert fresh(upcoming.id).zoom.join_url in texts and old_link not in texts


def test_match_by_email_keeps_an_admins_choice_until_set_back_to_automatic(team, sync_app, as_user):
    acme = team.org
    admin = as_user(acme.admin)
    admin.post(f"/settings/integrations/zoom/hosts/{acme.staff.id}", data={"zoom_user_id": "none"})
    assert host_of(acme.staff).zoom_user_id is None and host_of(acme.staff).chosen_by_admin

    answer = admin.post("/settings/integrations/zoom/hosts/match")
    assert answer.status_code == 303
    assert host_of(acme.staff).zoom_user_id is None  # the admin's "No Zoom user" stands

    admin.post(f"/settings/integrations/zoom/hosts/{acme.staff.id}", data={"zoom_user_id": "auto"})
    assert host_of(acme.staff).zoom_user_id == team.hosts[acme.staff.id]
    assert host_of(acme.staff).source == HostSource.AUTO


def test_a_choice_outside_the_account_is_refused(team, as_user):
    acme = team.org
    answer = as_user(acme.admin).post(
        f"/settings/integrations/zoom/hosts/{acme.staff.id}",
        data={"zoom_user_id": "someone-else"},
        headers=HX,
    )
    assert answer.status_code == 422
    assert "Choose one of your Zoom account's users" in html.unescape(answer.text)
    assert host_of(acme.staff).zoom_user_id == team.hosts[acme.staff.id]


def test_an_unmatched_member_is_hosted_by_the_connecting_user_with_a_warning(
    team, sync_app, zoom_sandbox, as_user
):
    acme = team.org
    appointment = settle(sync_app, book(acme, staff=acme.admin).id)
    (meeting,) = meetings(zoom_sandbox)
    assert meeting["host_email"] == "host@example.com" and appointment.zoom.host_user_id is None
    assert ("POST", "/v2/users/me/meetings") in api_calls(zoom_sandbox)

    panel = as_user(acme.staff).get(f"/bookings/{appointment.id}/zoom", headers=HX).text
    assert "Hosted by host@example.com" in panel
    assert "Meetings for Ada Admin are hosted by host@example.com" in panel
    assert f'href="/settings/integrations#zoom-host-{acme.admin.id}">Fix the Zoom host</a>' in panel
    client_panel = as_user(acme.client).get(f"/portal/bookings/{appointment.id}/zoom", headers=HX).text
    assert "host@example.com" not in client_panel and "Fix the Zoom host" not in client_panel


def test_switching_to_account_mode_moves_meetings_to_their_hosts(sync_app, acme, connect_zoom, zoom_sandbox):
    connect_zoom(acme)  # user mode: everything on host@example.com
    appointment = settle(sync_app, book(acme).id)
    old_id = appointment.zoom.meeting_id
    staff_zoom = zoom_sandbox.add_user(acme.staff.email)["id"]

    connect_zoom(acme, mode="account")  # the admin reconnects for the whole account
    appointment = settle(sync_app, appointment.id)
    (meeting,) = meetings(zoom_sandbox)
    assert meeting["host_id"] == staff_zoom and str(meeting["id"]) == appointment.zoom.meeting_id != old_id


def test_user_mode_keeps_one_host_and_no_hosts_table(sync_app, acme, connect_zoom, zoom_sandbox, as_user):
    zoom_sandbox.add_user(acme.staff.email)
    connection = connect_zoom(acme)
    assert (
        connection.mode == "user"
        and connection.scope_list == zoom_sandbox.state()["tokens"]["access"][0]["scope"].split()
    )
    appointment = settle(sync_app, book(acme).id)
    assert api_calls(zoom_sandbox, "POST") == [("POST", "/v2/users/me/meetings")]
    assert appointment.zoom.host_user_id is None and appointment.zoom.host_email == "host@example.com"
    page = as_user(acme.admin).get("/settings/integrations").text
    assert "My Zoom user only: every meeting is hosted by host@example.com" in page
    assert 'id="zoom-hosts"' not in page
    panel = as_user(acme.staff).get(f"/bookings/{appointment.id}/zoom", headers=HX).text
    assert "Fix the Zoom host" not in panel and "Meetings for" not in panel
    admin = as_user(acme.admin)
    refused = admin.post("/settings/integrations/zoom/hosts/match", headers=HX)
    assert refused.status_code == 200 and refused.headers["HX-Redirect"] == "/settings/integrations"
    page = admin.get("/settings/integrations").text
    assert "Zoom hosts need Zoom connected for the whole Zoom account (admin)." in page


def test_back_to_my_zoom_user_only_leaves_other_hosts_meetings_alone_and_says_so(
    team, sync_app, connect_zoom, zoom_sandbox, as_user
):
    acme = team.org
    appointment = settle(sync_app, book(acme).id)  # on Sam's own Zoom user
    join_url = appointment.zoom.join_url

    connect_zoom(acme, mode="user")  # re-planned: "me" would host it, but a user grant cannot move it
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "failed" and "hosted by staff@acme.test" in appointment.zoom.error
    assert appointment.zoom.join_url == join_url and len(meetings(zoom_sandbox)) == 1  # kept, no twin
    panel = as_user(acme.client).get(f"/portal/bookings/{appointment.id}/zoom", headers=HX).text
    assert "Join Zoom Meeting" in panel  # the client's link still works

    connect_zoom(acme, mode="account")  # back for the whole account: in line again, nothing to call
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "ready" and appointment.zoom.error is None
    assert appointment.zoom.join_url == join_url and len(meetings(zoom_sandbox)) == 1


def test_match_by_email_when_zoom_does_not_answer_changes_nothing_and_says_so(team, zoom_sandbox, as_user):
    acme = team.org
    zoom_sandbox.remove_user(team.second.email)
    zoom_sandbox.set_faults(errors=[{"method": "GET", "path": "/v2/users", "status": 503}])
    answer = as_user(acme.admin).post("/settings/integrations/zoom/hosts/match", headers=HX)
    assert answer.status_code == 200
    assert "Conecta could not read your Zoom account&#39;s users" in answer.text
    assert host_of(team.second).zoom_user_id == team.hosts[team.second.id]  # as it was
