"""The sandbox's OAuth: consent, code exchange with PKCE, rotating refresh tokens, revocation."""

from __future__ import annotations

import re

import pytest

from tests.support.zoom_http import (
    CLIENT,
    REDIRECT_URI,
    api,
    connect,
    consent,
    create,
    exchange,
    refresh,
    s256,
    sandbox_json,
)


def test_consent_page_names_the_app_and_scopes_and_offers_allow_and_decline(http, base):
    page = http.get(
        f"{base}/oauth/authorize",
        params={"response_type": "code", "client_id": CLIENT[0], "redirect_uri": REDIRECT_URI, "state": "s"},
    )
    assert page.status_code == 200
    assert "Conecta" in page.text and "meeting:write:meeting" in page.text and "user:read:user" in page.text
    assert re.search(r"<button[^>]*>Allow</button>", page.text)
    assert re.search(r"<button[^>]*>Decline</button>", page.text)
    assert '<form method="post" action="/oauth/authorize">' in page.text


def test_authorization_code_with_pkce_gives_zoom_shaped_tokens_that_open_the_api(http, base):
    tokens = connect(http, base)
    assert set(tokens) == {"access_token", "token_type", "refresh_token", "expires_in", "scope", "api_url"}
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3599 and tokens["api_url"] == base
    assert "meeting:delete:meeting" in tokens["scope"].split()
    assert len(tokens["access_token"]) > 500  # Zoom's tokens are long JWTs: columns must fit them
    me = api(http, base, tokens["access_token"], "GET", "/v2/users/me")
    assert me.status_code == 200
    assert {k: me.json()[k] for k in ("id", "email", "account_id", "type")} == {
        "id": "sandbox-user-1",
        "email": "host@example.com",
        "account_id": "sandbox-account-1",
        "type": 1,
    }


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"code_verifier": "w" * 43}, id="wrong-verifier"),
        pytest.param({}, id="missing-verifier"),
        pytest.param(
            {"code_verifier": "v" * 43, "redirect_uri": "http://evil.test/cb"}, id="wrong-redirect-uri"
        ),
    ],
)
def test_token_exchange_refuses_a_code_it_cannot_trust(http, base, extra):
    code = consent(http, base, code_challenge=s256("v" * 43), code_challenge_method="S256")["code"][0]
    answer = exchange(http, base, code, **extra)
    assert answer.status_code == 400
    assert answer.json() == {"reason": "Invalid authorization code", "error": "invalid_grant"}


def test_code_is_single_use_and_lives_five_minutes(http, base):
    code = consent(http, base)["code"][0]
    assert exchange(http, base, code).status_code == 200
    assert exchange(http, base, code).json()["error"] == "invalid_grant"

    late = consent(http, base)["code"][0]
    sandbox_json(http, base, "POST", "clock", {"advance_seconds": 301})
    assert exchange(http, base, late).json() == {
        "reason": "Invalid authorization code",
        "error": "invalid_grant",
    }


def test_client_credentials_by_basic_auth_or_form_and_bad_ones_are_invalid_client(http, base):
    code = consent(http, base)["code"][0]
    wrong = http.post(
        f"{base}/oauth/token",
        auth=(CLIENT[0], "nope"),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    in_form = http.post(
        f"{base}/oauth/token",
        data={"grant_type": "authorization_code", "code": consent(http, base)["code"][0]}
        | {"redirect_uri": REDIRECT_URI, "client_id": CLIENT[0], "client_secret": CLIENT[1]},
    )
    assert in_form.status_code == 200 and in_form.json()["token_type"] == "bearer"


def test_unknown_client_id_gets_an_error_page_not_a_redirect(http, base):
    page = http.get(
        f"{base}/oauth/authorize",
        params={"response_type": "code", "client_id": "someone-else", "redirect_uri": REDIRECT_URI},
        allow_redirects=False,
    )
    assert page.status_code == 400 and "Location" not in page.headers


def test_decline_redirects_back_with_access_denied_and_the_state(http, base):
    assert consent(http, base, decision="decline") == {"error": ["access_denied"], "state": ["st-1"]}


def test_refresh_rotates_the_refresh_token_and_the_old_one_dies(http, base):
    first = connect(http, base)
    second = refresh(http, base, first["refresh_token"])
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]

    reused = refresh(http, base, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}
    assert sandbox_json(http, base, "GET", "state")["refresh_count"] == 1

    assert refresh(http, base, second["refresh_token"]).status_code == 200
    assert sandbox_json(http, base, "GET", "state")["refresh_count"] == 2


def test_a_new_authorization_revokes_the_users_older_tokens(http, base):
    old = connect(http, base)
    new = connect(http, base)
    assert api(http, base, old["access_token"], "GET", "/v2/users/me").json()["code"] == 124
    assert refresh(http, base, old["refresh_token"]).json()["error"] == "invalid_grant"
    assert api(http, base, new["access_token"], "GET", "/v2/users/me").status_code == 200


def test_revoke_kills_the_access_token_and_its_refresh_token(http, base):
    tokens = connect(http, base)
    answer = http.post(f"{base}/oauth/revoke", auth=CLIENT, data={"token": tokens["access_token"]})
    assert answer.status_code == 200 and answer.json() == {"status": "success"}
    assert api(http, base, tokens["access_token"], "GET", "/v2/users/me").status_code == 401
    assert refresh(http, base, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert sandbox_json(http, base, "GET", "state")["tokens"] == {"access": [], "refresh": []}


def test_bearer_errors_are_code_124(http, base, token):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = http.get(f"{base}/v2/users/me", headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"code": 124, "message": "Invalid access token."}
    sandbox_json(http, base, "POST", "clock", {"advance_seconds": 3600})
    expired = api(http, base, token, "GET", "/v2/users/me")
    assert expired.status_code == 401
    assert expired.json() == {"code": 124, "message": "Access token is expired."}


def test_state_with_markup_survives_the_consent_form(http, base):
    assert consent(http, base, state='a"b<c>&d')["state"] == ['a"b<c>&d']


def test_a_missing_scope_is_code_4711(http, base):
    sandbox_json(http, base, "POST", "config", {"SCOPES": "meeting:write:meeting meeting:read:meeting"})
    token = connect(http, base)["access_token"]
    meeting = create(http, base, token)
    answer = api(http, base, token, "DELETE", f"/v2/meetings/{meeting['id']}")
    assert answer.status_code == 400 and answer.json()["code"] == 4711
    assert "meeting:delete:meeting" in answer.json()["message"]


def test_config_changes_are_checked_and_answer_without_the_secret(http, base):
    changed = sandbox_json(http, base, "POST", "config", {"ACCESS_TOKEN_LIFETIME": 60, "APP_NAME": "Other"})
    assert (changed["ACCESS_TOKEN_LIFETIME"], changed["APP_NAME"]) == (60, "Other")
    assert "CLIENT_SECRET" not in changed
    assert connect(http, base)["expires_in"] == 60
    for bad in (
        {"ACCESS_TOKEN_LIFETIME": "an hour"},  # wrong type
        {"USERS": []},  # has an endpoint of its own
        {"WEBHOOK_URL": "http://x"},
        {"NO_SUCH_KEY": 1},
        {},
    ):
        assert http.post(f"{base}/__sandbox/config", json=bad).status_code == 400, bad
