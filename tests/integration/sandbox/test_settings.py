"""Meeting settings, and the account policies (locked settings, passcode rules) that override a request."""

from __future__ import annotations

import pytest

from tests.support.zoom_http import MEETINGS, api, create, sandbox_json

ASKED = {"waiting_room": True, "join_before_host": True, "mute_upon_entry": True, "auto_recording": "cloud"}


def settings_of(meeting: dict) -> dict:
    return {k: meeting["settings"][k] for k in ASKED}


def test_settings_are_taken_on_create_and_patch_and_read_back(http, base, token):
    meeting = create(http, base, token, settings=ASKED)
    assert settings_of(meeting) == ASKED
    path = f"/v2/meetings/{meeting['id']}"
    answer = api(http, base, token, "PATCH", path, json={"settings": {"auto_recording": "local"}})
    assert answer.status_code == 204
    assert settings_of(api(http, base, token, "GET", path).json()) == {**ASKED, "auto_recording": "local"}


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"auto_recording": "tape"}, id="recording-not-in-enum"),
        pytest.param({"join_before_host": "yes"}, id="join-before-host-not-boolean"),
        pytest.param({"mute_upon_entry": 1}, id="mute-not-boolean"),
        pytest.param({"waiting_room": None}, id="waiting-room-null"),
    ],
)
def test_invalid_settings_are_code_300(http, base, token, settings):
    answer = api(http, base, token, "POST", MEETINGS, json={"topic": "t", "settings": settings})
    assert answer.status_code == 400 and answer.json()["code"] == 300
    assert next(iter(settings)) in answer.json()["message"]
    meeting = create(http, base, token)
    patched = api(http, base, token, "PATCH", f"/v2/meetings/{meeting['id']}", json={"settings": settings})
    assert patched.status_code == 400 and patched.json()["code"] == 300


def test_locked_settings_win_over_what_the_request_asks(http, base, token):
    policies = sandbox_json(
        http, base, "POST", "policies", {"locked_settings": {"waiting_room": True, "auto_recording": "none"}}
    )
    assert policies["locked_settings"] == {"waiting_room": True, "auto_recording": "none"}
    meeting = create(http, base, token, settings={"waiting_room": False, "auto_recording": "cloud"})
    assert (meeting["settings"]["waiting_room"], meeting["settings"]["auto_recording"]) == (True, "none")

    path = f"/v2/meetings/{meeting['id']}"
    api(http, base, token, "PATCH", path, json={"settings": {"waiting_room": False, "mute_upon_entry": True}})
    applied = api(http, base, token, "GET", path).json()["settings"]
    assert (applied["waiting_room"], applied["mute_upon_entry"]) == (True, True)

    sandbox_json(http, base, "POST", "policies", {"locked_settings": {"waiting_room": None}})  # unlock
    api(http, base, token, "PATCH", path, json={"settings": {"waiting_room": False}})
    assert api(http, base, token, "GET", path).json()["settings"]["waiting_room"] is False


def test_the_passcode_policy_decides_whether_meetings_without_a_password_get_one(http, base, token):
    assert sandbox_json(http, base, "GET", "policies")["require_passcode"] is True
    assert create(http, base, token)["password"]
    sandbox_json(http, base, "POST", "policies", {"require_passcode": False})
    assert sandbox_json(http, base, "GET", "state")["policies"]["require_passcode"] is False
    assert "password" not in create(http, base, token)
    assert create(http, base, token, default_password=True)["password"]  # asked for one: generated
    sandbox_json(http, base, "POST", "config", {"REQUIRE_PASSCODE": True})  # the same policy, older name
    assert sandbox_json(http, base, "GET", "policies")["require_passcode"] is True


def test_a_passcode_must_meet_the_accounts_requirement(http, base, token):
    requirement = {"length": 8, "have_letter": True, "have_number": True}
    sandbox_json(http, base, "POST", "policies", {"passcode_requirement": requirement})
    weak = api(http, base, token, "POST", MEETINGS, json={"topic": "t", "password": "abc123"})
    assert weak.status_code == 400 and weak.json()["code"] == 300
    assert "at least 8 characters" in weak.json()["message"]
    assert sandbox_json(http, base, "GET", "state")["meetings"] == []

    generated = create(http, base, token)["password"]
    assert len(generated) >= 8 and any(c.isalpha() for c in generated) and any(c.isdigit() for c in generated)
    meeting = create(http, base, token, password="abcd1234")
    path = f"/v2/meetings/{meeting['id']}"
    letters_only = api(http, base, token, "PATCH", path, json={"password": "abcdefgh", "topic": "renamed"})
    assert letters_only.status_code == 400 and "at least one number" in letters_only.json()["message"]
    after = api(http, base, token, "GET", path).json()
    assert (after["password"], after["topic"]) == ("abcd1234", "Consultation")  # a refusal changes nothing

    sandbox_json(
        http, base, "POST", "policies", {"passcode_requirement": {"length": 6, "only_allow_numeric": True}}
    )
    assert create(http, base, token)["password"].isdigit()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"locked_settings": {"waiting_room": "on"}}, id="locked-value-type"),
        pytest.param({"locked_settings": {"auto_recording": "tape"}}, id="locked-recording-value"),
        pytest.param({"locked_settings": {"topic": "x"}}, id="not-lockable"),
        pytest.param({"passcode_requirement": {"length": 11}}, id="length-too-long"),
        pytest.param({"passcode_requirement": {"have_symbol": True}}, id="unknown-requirement"),
        pytest.param({"require_passcode": "yes"}, id="require-not-boolean"),
        pytest.param({"waiting_room": True}, id="unknown-policy"),
    ],
)
def test_bad_policies_are_refused(http, base, body):
    answer = http.post(f"{base}/__sandbox/policies", json=body)
    assert answer.status_code == 400 and answer.json()["error"]
    assert sandbox_json(http, base, "GET", "policies") == {
        "require_passcode": True,
        "passcode_requirement": {},
        "locked_settings": {},
    }
