"""An account with several users: admin grants, the Users API, who may act on whom, per-host limits."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.support.zoom_http import (
    ADMIN_SCOPES,
    USER_SCOPES,
    api,
    connect,
    consent_answer,
    create,
    sandbox_json,
)

ADMIN_ID = "sandbox-user-1"


@pytest.fixture
def member(http, base) -> dict:
    """ana@example.com, a member of the account (not an admin)."""
    return sandbox_json(http, base, "POST", "users", {"email": "ana@example.com"}, status=201)


@pytest.fixture
def admin_token(http, base) -> str:
    """An admin-level grant of host@example.com (the account's admin)."""
    tokens = connect(http, base, scope=ADMIN_SCOPES)
    assert tokens["scope"] == ADMIN_SCOPES
    return tokens["access_token"]


def users_path(user: str) -> str:
    return f"/v2/users/{user}/meetings"


def test_the_users_list_pages_through_the_whole_account(http, base, admin_token):
    for n in range(4):
        sandbox_json(http, base, "POST", "users", {"email": f"staff{n}@example.com"}, status=201)
    seen, page_token, pages = [], "", 0
    while True:
        answer = api(
            http, base, admin_token, "GET", "/v2/users",
            params={"status": "active", "page_size": 2, "next_page_token": page_token},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["page_size"], body["total_records"], body["page_count"]) == (2, 5, 3)
        seen += body["users"]
        pages += 1
        if not (page_token := body["next_page_token"]):
            break
    assert pages == 3
    assert [u["email"] for u in seen] == ["host@example.com"] + [f"staff{n}@example.com" for n in range(4)]
    assert len({u["id"] for u in seen}) == 5
    assert {"id", "email", "first_name", "last_name", "type", "status", "role_id", "pmi", "timezone"} <= set(
        seen[0]
    )
    assert (seen[0]["role_id"], seen[1]["role_id"], seen[1]["status"]) == ("1", "2", "active")

    stale = api(http, base, admin_token, "GET", "/v2/users", params={"next_page_token": "made-up"})
    assert stale.status_code == 400 and stale.json()["code"] == 300
    big = api(http, base, admin_token, "GET", "/v2/users", params={"page_size": 1000}).json()
    assert big["page_size"] == 300 and big["next_page_token"] == "" and len(big["users"]) == 5
    assert (
        api(http, base, admin_token, "GET", "/v2/users", params={"status": "inactive"}).json()["users"] == []
    )
    assert api(http, base, admin_token, "GET", "/v2/users", params={"status": "gone"}).json()["code"] == 300


def test_listing_users_needs_an_admin_scope(http, base, token):
    answer = api(http, base, token, "GET", "/v2/users")
    assert answer.status_code == 400 and answer.json()["code"] == 4711
    assert "user:read:list_users:admin" in answer.json()["message"]


def test_get_user_by_me_id_or_email(http, base, admin_token, member):
    assert api(http, base, admin_token, "GET", "/v2/users/me").json()["email"] == "host@example.com"
    by_id = api(http, base, admin_token, "GET", f"/v2/users/{member['id']}").json()
    by_email = api(http, base, admin_token, "GET", "/v2/users/ANA@example.com").json()
    assert by_id == by_email
    assert (by_id["email"], by_id["role_name"], by_id["account_id"]) == (
        "ana@example.com", "Member", "sandbox-account-1",
    )  # fmt: skip
    missing = api(http, base, admin_token, "GET", "/v2/users/nobody@example.com")
    assert missing.status_code == 404
    assert missing.json() == {"code": 1001, "message": "User does not exist: nobody@example.com."}

    ana = connect(http, base, user_id=member["id"])["access_token"]  # a user-level grant
    assert api(http, base, ana, "GET", "/v2/users/ana@example.com").json()["id"] == member["id"]
    other = api(http, base, ana, "GET", f"/v2/users/{ADMIN_ID}")
    assert other.status_code == 400 and other.json()["code"] == 4711
    assert "user:read:user:admin" in other.json()["message"]


def test_an_admin_grant_hosts_meetings_on_every_user_of_the_account(http, base, admin_token, member):
    by_id = create(http, base, admin_token, users_path(member["id"]), topic="Ana's session")
    by_email = create(http, base, admin_token, users_path("ana@example.com"), topic="Ana's second")
    own = create(http, base, admin_token, users_path("me"), topic="The admin's")
    assert (by_id["host_id"], by_id["host_email"]) == (member["id"], "ana@example.com")
    assert by_email["host_id"] == member["id"] and own["host_id"] == ADMIN_ID

    listed = api(http, base, admin_token, "GET", users_path(member["id"]), params={"type": "upcoming"}).json()
    assert {m["id"] for m in listed["meetings"]} == {by_id["id"], by_email["id"]}
    path = f"/v2/meetings/{by_id['id']}"
    assert api(http, base, admin_token, "GET", path).json()["host_email"] == "ana@example.com"
    assert api(http, base, admin_token, "PATCH", path, json={"duration": 50}).status_code == 204
    assert api(http, base, admin_token, "GET", path).json()["duration"] == 50
    assert api(http, base, admin_token, "DELETE", path).status_code == 204
    assert api(http, base, admin_token, "GET", path).json()["code"] == 3001


def test_a_user_level_grant_acts_only_on_its_own_user(http, base, admin_token, member):
    ana = connect(http, base, user_id=member["id"])  # a member can give a user-level grant
    assert ana["scope"] == USER_SCOPES
    token = ana["access_token"]
    admins = create(http, base, admin_token, users_path("me"))
    refused = api(http, base, token, "POST", users_path(ADMIN_ID), json={"topic": "t"})
    assert refused.status_code == 400 and refused.json()["code"] == 4711
    assert "meeting:write:meeting:admin" in refused.json()["message"]
    assert api(http, base, token, "GET", users_path("host@example.com")).json()["code"] == 4711
    for method in ("GET", "PATCH", "DELETE"):  # another host's meeting does not exist for this token
        answer = api(http, base, token, method, f"/v2/meetings/{admins['id']}", json={"topic": "x"})
        assert answer.status_code == 404 and answer.json()["code"] == 3001

    anas = create(http, base, admin_token, users_path(member["id"]))  # hosted by ana: hers to manage
    assert api(http, base, token, "GET", f"/v2/meetings/{anas['id']}").status_code == 200
    assert (
        api(http, base, token, "PATCH", f"/v2/meetings/{anas['id']}", json={"topic": "x"}).status_code == 204
    )
    mine = create(http, base, token, users_path("me"))
    assert (mine["host_id"], mine["host_email"]) == (member["id"], "ana@example.com")
    listed = api(http, base, token, "GET", users_path("me")).json()["meetings"]
    assert {m["id"] for m in listed} == {anas["id"], mine["id"]}


def test_an_admin_grant_is_limited_to_the_admin_scopes_it_was_given(http, base, admin_token, member):
    anas = create(http, base, admin_token, users_path(member["id"]))
    reader = connect(http, base, scope="meeting:read:meeting:admin user:read:user")["access_token"]
    assert api(http, base, reader, "GET", f"/v2/meetings/{anas['id']}").status_code == 200
    for method, path in (("DELETE", f"/v2/meetings/{anas['id']}"), ("POST", users_path(member["id"]))):
        answer = api(http, base, reader, method, path, json={"topic": "t"})
        assert answer.status_code == 400 and answer.json()["code"] == 4711, answer.text


def test_unknown_and_removed_users_are_1001_and_removal_takes_their_meetings_and_grants(
    http, base, admin_token, member
):
    ana = connect(http, base, user_id=member["id"])["access_token"]
    meeting = create(http, base, admin_token, users_path(member["id"]))
    unknown = api(http, base, admin_token, "POST", users_path("ghost-user"), json={"topic": "t"})
    assert unknown.status_code == 404
    assert unknown.json() == {"code": 1001, "message": "User does not exist: ghost-user."}

    removed = sandbox_json(http, base, "DELETE", f"users/{member['id']}")
    assert removed["deleted_meetings"] == [meeting["id"]]
    gone = api(http, base, admin_token, "POST", users_path(member["id"]), json={"topic": "t"})
    assert gone.status_code == 404
    assert gone.json() == {"code": 1001, "message": f"User does not exist: {member['id']}."}
    assert api(http, base, admin_token, "GET", f"/v2/meetings/{meeting['id']}").json()["code"] == 3001
    assert api(http, base, ana, "GET", "/v2/users/me").json() == {
        "code": 124,
        "message": "Invalid access token.",
    }
    assert [u["email"] for u in sandbox_json(http, base, "GET", "users")["users"]] == ["host@example.com"]


def test_account_controls_refuse_what_zoom_would_not_allow(http, base, member):
    duplicate = http.post(f"{base}/__sandbox/users", json={"email": "ANA@example.com"})
    assert duplicate.status_code == 400 and "already" in duplicate.json()["error"]
    for bad in (
        {"email": "x@example.com", "role": "boss"},
        {"email": "x@example.com", "timezone": "Mars/Olympus"},
        {"email": "x@example.com", "type": 7},
        {"email": "x@example.com", "first_name": 3},
        {"email": "not-an-email"},
        {"email": "x@example.com", "colour": "blue"},
    ):
        assert http.post(f"{base}/__sandbox/users", json=bad).status_code == 400, bad
    assert [u["email"] for u in sandbox_json(http, base, "GET", "users")["users"]] == [
        "host@example.com",
        "ana@example.com",
    ]
    last_admin = http.delete(f"{base}/__sandbox/users/host@example.com")
    assert last_admin.status_code == 400 and "last admin" in last_admin.json()["error"]
    assert http.delete(f"{base}/__sandbox/users/nobody").status_code == 400


# ---- consent ---------------------------------------------------------------------------------------------


def test_the_consent_page_lets_the_person_choose_a_user_and_shows_the_scopes(http, base, member):
    page = http.get(
        f"{base}/oauth/authorize",
        params={"response_type": "code", "client_id": "sandbox-client-id",
                "redirect_uri": "http://conecta.test/cb", "scope": ADMIN_SCOPES},
    )  # fmt: skip
    assert page.status_code == 200
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]+)</option>', page.text)
    assert options == [
        (ADMIN_ID, " selected", "host@example.com (admin)"),
        (member["id"], "", "ana@example.com (member)"),
    ]
    for scope in ADMIN_SCOPES.split():
        assert f"<code>{scope}</code>" in page.text
    assert "Admin scopes" in page.text


def test_admin_scopes_need_an_account_admin(http, base, member):
    refused = consent_answer(http, base, user_id=member["id"], scope=ADMIN_SCOPES)
    assert refused.status_code == 403 and "Location" not in refused.headers
    assert "ana@example.com is not an admin of this Zoom account" in refused.text
    assert sandbox_json(http, base, "GET", "state")["tokens"] == {"access": [], "refresh": []}


def test_without_a_scope_parameter_the_grant_gets_the_apps_user_level_scopes(http, base, member):
    tokens = connect(http, base)
    assert tokens["scope"] == USER_SCOPES
    (record,) = sandbox_json(http, base, "GET", "state")["tokens"]["access"]
    assert (record["user_id"], record["scope"]) == (ADMIN_ID, USER_SCOPES)
    unknown = http.get(
        f"{base}/oauth/authorize",
        params={"response_type": "code", "client_id": "sandbox-client-id",
                "redirect_uri": "http://conecta.test/cb", "scope": "meeting:write:meeting recording:read"},
    )  # fmt: skip
    assert unknown.status_code == 400 and "recording:read" in unknown.text


# ---- the daily limit, per host -----------------------------------------------------------------------------


def test_the_daily_limit_is_counted_per_host_user(http, base, admin_token, member):
    state = sandbox_json(http, base, "GET", "state")
    today = datetime.strptime(state["now"], "%Y-%m-%dT%H:%M:%SZ")
    usage = sandbox_json(http, base, "POST", "limits", {"user": "ana@example.com", "used": 100})
    assert usage == {"user_id": member["id"], "day": today.strftime("%Y-%m-%d"), "limit": 100, "used": 100}

    refused = api(http, base, admin_token, "POST", users_path(member["id"]), json={"topic": "t"})
    assert refused.status_code == 429
    assert refused.json() == {
        "code": 429,
        "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
        "permitted for this particular user. You may resume these requests at GMT 00:00:00.",
    }
    assert refused.headers["X-RateLimit-Type"] == "Daily-limit"
    assert refused.headers["Retry-After"] == (today + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    own = create(http, base, admin_token, users_path("me"))  # the admin's own budget is untouched

    sandbox_json(http, base, "POST", "limits", {"user": member["id"], "limit": 101})
    anas = create(http, base, admin_token, users_path(member["id"]))
    patch = api(http, base, admin_token, "PATCH", f"/v2/meetings/{anas['id']}", json={"topic": "late"})
    assert patch.status_code == 429  # an update counts against the meeting's host, not the caller
    assert api(http, base, admin_token, "PATCH", f"/v2/meetings/{own['id']}", json={"topic": "ok"}).ok
    counts = sandbox_json(http, base, "GET", "state")["create_update_count"]
    assert counts == {
        ADMIN_ID: {today.strftime("%Y-%m-%d"): 2},
        member["id"]: {today.strftime("%Y-%m-%d"): 101},
    }

    sandbox_json(http, base, "POST", "limits", {"user": member["id"], "limit": None, "used": 0})
    assert create(http, base, admin_token, users_path(member["id"]))["host_id"] == member["id"]
    for bad in ({"user": "nobody", "used": 1}, {"user": ADMIN_ID, "limit": -1}, {"user": ADMIN_ID, "x": 1}):
        assert http.post(f"{base}/__sandbox/limits", json=bad).status_code == 400
