"""Sessions end when they should: a session cookie copied before sign-out, a new password, a
deactivation or "Sign out everywhere" no longer signs anyone in; and a session has a lifetime."""

from __future__ import annotations

import time

import itsdangerous

from conecta.extensions import db
from conecta.portal.views import make_invite_token
from tests.support.factories import PASSWORD


def _signed_in(app, path: str, email: str, login: str = "/login"):
    """A test client signed in through the real form, and the session cookie it got."""
    http = app.test_client()
    response = http.post(login, data={"email": email, "password": PASSWORD})
    assert response.status_code == 303
    return http, http.get_cookie("session").value


def _with_cookie(app, value: str):
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def test_a_cookie_copied_before_sign_out_is_dead_after_it(app, acme) -> None:
    http, cookie = _signed_in(app, "/calendar/", acme.staff.email)
    assert _with_cookie(app, cookie).get("/calendar/").status_code == 200
    assert http.post("/logout").status_code == 303
    assert http.get("/calendar/").status_code == 302
    stale = _with_cookie(app, cookie).get("/calendar/")
    assert stale.status_code == 302 and "/login" in stale.location


def test_a_portal_client_setting_a_new_password_ends_their_older_sessions(app, acme) -> None:
    _, cookie = _signed_in(app, "/portal/", acme.client.email, login="/portal/login")
    assert _with_cookie(app, cookie).get("/portal/").status_code == 200
    token = make_invite_token(acme.client)
    accepted = app.test_client().post(
        f"/portal/invite/{token}", data={"password": "a-new-password", "confirm": "a-new-password"}
    )
    assert accepted.status_code == 303
    assert _with_cookie(app, cookie).get("/portal/").status_code == 302


def test_reactivating_a_staff_member_does_not_bring_their_old_cookie_back(app, acme, as_user) -> None:
    _, cookie = _signed_in(app, "/calendar/", acme.staff.email)
    admin = as_user(acme.admin)
    assert admin.post(f"/settings/team/{acme.staff.id}/deactivate").status_code == 303
    assert admin.post(f"/settings/team/{acme.staff.id}/reactivate").status_code == 303
    assert _with_cookie(app, cookie).get("/calendar/").status_code == 302
    # Signing in again works as before.
    _signed_in(app, "/calendar/", acme.staff.email)


def test_sign_out_everywhere_ends_a_members_and_a_clients_sessions(app, acme, as_user) -> None:
    _, staff_cookie = _signed_in(app, "/calendar/", acme.staff.email)
    _, client_cookie = _signed_in(app, "/portal/", acme.client.email, login="/portal/login")
    team = as_user(acme.admin).get("/settings/team").get_data(as_text=True)
    assert 'aria-label="Sign out Sam Staff everywhere"' in team
    assert as_user(acme.admin).post(f"/settings/team/{acme.staff.id}/sign-out").status_code == 303
    assert _with_cookie(app, staff_cookie).get("/calendar/").status_code == 302

    detail = as_user(acme.staff).get(f"/clients/{acme.client.id}").get_data(as_text=True)
    assert "Sign out of the portal everywhere" in detail
    assert as_user(acme.staff).post(f"/clients/{acme.client.id}/sign-out").status_code == 303
    assert _with_cookie(app, client_cookie).get("/portal/").status_code == 302


def test_a_session_ends_after_its_lifetime_without_requests(app, acme, monkeypatch) -> None:
    _, cookie = _signed_in(app, "/calendar/", acme.staff.email)
    serializer = app.session_interface.get_signing_serializer(app)
    payload = serializer.loads(cookie)
    assert payload.get("_permanent") is True
    lifetime = app.permanent_session_lifetime.total_seconds()
    # The same session, as if its last request had been longer ago than the lifetime.
    monkeypatch.setattr(
        itsdangerous.TimestampSigner, "get_timestamp", lambda self: int(time.time() - lifetime - 60)
    )
    aged = serializer.dumps(payload)
    monkeypatch.undo()
    assert _with_cookie(app, aged).get("/calendar/").status_code == 302
    assert _with_cookie(app, serializer.dumps(payload)).get("/calendar/").status_code == 200


def test_old_style_cookies_without_a_session_version_sign_no_one_in(app, acme) -> None:
    serializer = app.session_interface.get_signing_serializer(app)
    old = serializer.dumps({"_user_id": f"user:{acme.staff.id}", "_fresh": True})
    assert _with_cookie(app, old).get("/calendar/").status_code == 302
    db.session.refresh(acme.staff)
    assert acme.staff.session_version
