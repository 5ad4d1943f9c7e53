"""The sandbox's home page: meetings per host, the account's users, and changes made "on zoom.us"."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.zoom_http import ADMIN_SCOPES, api, connect, create, sandbox_json


@pytest.fixture
def account(http, base) -> dict:
    """ana@example.com joins the account; an admin grant creates one meeting for each of the two hosts."""
    member = sandbox_json(http, base, "POST", "users", {"email": "ana@example.com"}, status=201)
    admin = connect(http, base, scope=ADMIN_SCOPES)["access_token"]
    return {
        "admin": admin,
        "member": member,
        "own": create(http, base, admin, "/v2/users/me/meetings", topic="Admin review"),
        "anas": create(http, base, admin, f"/v2/users/{member['id']}/meetings", topic="Ana session"),
    }


def section(page: str, host: str) -> str:
    """The part of the home page listing one host's meetings."""
    return page.split(f"Meetings hosted by {host}", 1)[1].split("<h2>", 1)[0]


def test_the_home_page_groups_meetings_per_host_and_lists_the_users(http, base, account):
    page = http.get(f"{base}/").text
    assert "Ana session" in section(page, "ana@example.com")
    assert "Admin review" not in section(page, "ana@example.com")
    assert "Admin review" in section(page, "host@example.com")
    users = page.split("Users of the account", 1)[1].split("</table>", 1)[0]
    assert re.search(r"<td>host@example.com</td>.*\n<td>admin</td>", users)
    assert re.search(r"<td>ana@example.com</td>.*\n<td>member</td>", users)
    assert "1 of 100" in users  # each host has used one create today


def test_editing_a_meeting_on_the_home_page_moves_it_and_sends_meeting_updated(http, base, account, receiver):
    endpoint, url = receiver
    sandbox_json(http, base, "POST", "webhooks", {"url": url})
    meeting = account["anas"]
    answer = http.post(
        f"{base}/meetings/{meeting['id']}/edit",
        data={"start_time": "2099-02-01T10:30", "duration": "45", "operator": "ana@example.com"},
        allow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/")
    after = api(http, base, account["admin"], "GET", f"/v2/meetings/{meeting['id']}").json()
    assert (after["start_time"], after["duration"]) == ("2099-02-01T10:30:00Z", 45)
    (request,) = endpoint.wait_for(1)
    event = json.loads(request["raw"])
    assert event["event"] == "meeting.updated"
    assert event["payload"]["operator"] == "ana@example.com"
    assert event["payload"]["object"] == {
        "id": meeting["id"], "uuid": meeting["uuid"], "start_time": "2099-02-01T10:30:00Z", "duration": 45,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("form", "message"),
    [
        pytest.param({"duration": "an hour"}, "whole number of minutes", id="duration-not-a-number"),
        pytest.param({"start_time": "2099-02-30T10:00"}, "not a real date", id="no-such-day"),
        pytest.param({"start_time": "soon"}, "start_time", id="not-a-time"),
        pytest.param({"operator": "stranger@example.com"}, "not in this Zoom account", id="unknown-operator"),
    ],
)
def test_bad_edits_come_back_with_a_message_and_422(http, base, account, form, message):
    meeting = account["anas"]
    answer = http.post(f"{base}/meetings/{meeting['id']}/edit", data=form)
    assert answer.status_code == 422 and message in answer.text and 'role="alert"' in answer.text
    unchanged = api(http, base, account["admin"], "GET", f"/v2/meetings/{meeting['id']}").json()
    assert (unchanged["start_time"], unchanged["duration"]) == (meeting["start_time"], meeting["duration"])


def test_deleting_on_the_home_page_then_deleting_permanently(http, base, account, receiver):
    endpoint, url = receiver
    sandbox_json(http, base, "POST", "webhooks", {"url": url})
    meeting = account["own"]
    deleted = http.post(f"{base}/meetings/{meeting['id']}/delete", allow_redirects=False)
    assert deleted.status_code == 303
    assert api(http, base, account["admin"], "GET", f"/v2/meetings/{meeting['id']}").json()["code"] == 3001
    page = http.get(f"{base}/").text
    assert "Recently deleted" in page and "Admin review" not in section(page, "host@example.com")
    assert http.post(f"{base}/meetings/{meeting['id']}/delete").status_code == 404

    purged = http.post(f"{base}/trash/{meeting['id']}/delete", allow_redirects=False)
    assert purged.status_code == 303
    assert "Recently deleted" not in http.get(f"{base}/").text
    events = [json.loads(r["raw"]) for r in endpoint.wait_for(2)]
    assert [e["event"] for e in events] == ["meeting.deleted", "meeting.permanently_deleted"]
    assert {e["payload"]["operator"] for e in events} == {"host@example.com"}  # the host, by default
