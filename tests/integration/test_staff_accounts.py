"""Accounts the way people expect: Change password (other sessions end), Forgot password (the same
answer whether or not the email has an account, throttled), and password links that work once and
expire -- for staff and portal clients, through one mechanism (conecta.auth.links)."""

from __future__ import annotations

import time

import pytest

from conecta.auth import links
from conecta.auth.passwords import verify_password
from conecta.extensions import db, limiter
from conecta.mail.compose import compose
from conecta.models.email import OutboxEmail
from tests.support import smtp as mail
from tests.support.factories import PASSWORD
from tests.support.smtp import run_mail_worker

smtp_server = mail.smtp_server  # the fixture, for this module's tests


@pytest.fixture(autouse=True)
def _mail_here(app, smtp_server) -> None:
    app.config.update(smtp_server.config())


NEW = "a-brand-new-password"


@pytest.mark.parametrize("kind", ["staff", "client"])
def test_change_password_ends_every_other_session_and_keeps_this_one(app, acme, as_user, kind) -> None:
    who = acme.staff if kind == "staff" else acme.client
    account, home = ("/account", "/calendar/") if kind == "staff" else ("/portal/account", "/portal/")
    here, elsewhere = as_user(who), as_user(who)
    assert f'href="{account}"' in here.get(home).get_data(as_text=True)

    mismatch = here.post(account, data={"current": PASSWORD, "password": NEW, "confirm": NEW + "x"})
    assert mismatch.status_code == 422
    if kind == "staff":  # (one Argon2 check is enough to show it; they are slow on purpose)
        wrong = here.post(account, data={"current": "not-it", "password": NEW, "confirm": NEW})
        assert wrong.status_code == 422
        assert "This is not your current password." in wrong.get_data(as_text=True)

    changed = here.post(account, data={"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert changed.status_code == 303
    assert here.get(home).status_code == 200  # this browser carries on
    assert elsewhere.get(home).status_code == 302  # every other session ended
    db.session.expire_all()
    assert verify_password(who.password_hash, NEW)


def _reset_rows() -> list[OutboxEmail]:
    """The reset emails queued, once the worker looked the accounts up (it does, not the request)."""
    run_mail_worker()
    return list(db.session.scalars(db.select(OutboxEmail).filter_by(kind="password_reset")))


@pytest.mark.parametrize("kind", ["staff", "client"])
def test_forgot_password_answers_the_same_whether_or_not_the_email_exists(app, acme, kind) -> None:
    who = acme.staff if kind == "staff" else acme.client
    path = "/password/forgot" if kind == "staff" else "/portal/password/forgot"
    http = app.test_client()
    assert "Forgot password?" in http.get("/login" if kind == "staff" else "/portal/login").get_data(
        as_text=True
    )
    known = http.post(path, data={"email": who.email.upper()})
    unknown = http.post(path, data={"email": "nobody@acme.test"})
    assert (known.status_code, unknown.status_code) == (200, 200)
    assert known.get_data() == unknown.get_data()
    assert "If an account uses that email" in known.get_data(as_text=True)
    assert db.session.scalars(db.select(OutboxEmail)).all() == []  # the request looked nothing up
    [row] = _reset_rows()
    assert (row.to_address, row.user_id if kind == "staff" else row.client_id) == (who.email, who.id)
    assert http.post(path, data={"email": "not an email"}).status_code == 422


def test_portal_reset_never_reaches_a_client_without_portal_access(app, acme) -> None:
    acme.other_client.password_hash = None  # never invited
    db.session.commit()
    response = app.test_client().post("/portal/password/forgot", data={"email": acme.other_client.email})
    assert response.status_code == 200
    assert _reset_rows() == []


def test_forgot_password_is_throttled_like_sign_in(app, acme) -> None:
    app.config.update(
        CONECTA_SIGN_IN_LIMIT_PER_ACCOUNT="3 per minute", CONECTA_SIGN_IN_LIMIT_PER_IP="5 per minute"
    )
    limiter.reset()
    try:
        http = app.test_client()
        for _ in range(3):
            assert http.post("/password/forgot", data={"email": acme.staff.email}).status_code == 200
        assert http.post("/password/forgot", data={"email": acme.staff.email}).status_code == 429
        assert len(_reset_rows()) == 3  # the refused request sent nothing
        # Another email from the same address: counted with the sign-ins per IP.
        assert http.post("/password/forgot", data={"email": "x@acme.test"}).status_code == 200
        assert http.post("/password/forgot", data={"email": "y@acme.test"}).status_code == 429
    finally:
        limiter.reset()


def _link_path(row: OutboxEmail) -> str:
    text = compose(row).text
    url = next(word for word in text.split() if word.startswith("http://localhost/"))
    return url.removeprefix("http://localhost")


def test_a_reset_link_works_once_ends_other_sessions_and_expires(app, acme, as_user) -> None:
    elsewhere = as_user(acme.staff)
    app.test_client().post("/password/forgot", data={"email": acme.staff.email})
    [row] = _reset_rows()
    path = _link_path(row)
    assert path.startswith("/password/")
    assert "expires" in compose(row).text

    http = app.test_client()
    page = http.get(path)
    assert page.status_code == 200 and "Choose a new password" in page.get_data(as_text=True)
    assert http.post(path, data={"password": NEW, "confirm": NEW}).status_code == 303
    assert http.get("/calendar/").status_code == 200  # signed in with the new password
    assert elsewhere.get("/calendar/").status_code == 302  # the other session ended
    again = app.test_client().get(path)
    assert again.status_code == 404 and "This link is not valid" in again.get_data(as_text=True)

    db.session.expire_all()
    hour_ago = time.time() - app.config["PASSWORD_RESET_MAX_AGE"] - 5
    expired = links.make_token(acme.staff, links.RESET, issued_at=hour_ago)
    assert app.test_client().get(f"/password/{expired}").status_code == 404
    # The same age is fine for an invite (7 days): only the purpose's own limit counts.
    invite = links.make_token(acme.staff, links.INVITE, issued_at=hour_ago)
    assert app.test_client().get(f"/password/{invite}").status_code == 200
    # A staff link is no portal link, and the other way round.
    assert app.test_client().get(f"/portal/invite/{invite}").status_code == 404
    client_link = links.make_token(acme.client, links.RESET)
    assert app.test_client().get(f"/password/{client_link}").status_code == 404
    assert app.test_client().get(f"/portal/invite/{client_link}").status_code == 200
    acme.client.email = "carla.new@acme.test"  # the link went to the old address
    db.session.commit()
    assert app.test_client().get(f"/portal/invite/{client_link}").status_code == 404


def test_an_invited_team_member_sets_their_password_through_the_emailed_link(app, acme, as_user) -> None:
    assert (
        as_user(acme.admin)
        .post("/settings/team", data={"name": "Nora New", "email": "nora@acme.test", "role": "staff"})
        .status_code
        == 303
    )
    [row] = db.session.scalars(db.select(OutboxEmail).filter_by(kind="staff_invite")).all()
    composed = compose(row)
    assert "Acme Clinic added you to their team" in composed.text
    path = _link_path(row)
    http = app.test_client()
    assert "Welcome, Nora New" in http.get(path).get_data(as_text=True)
    assert http.post(path, data={"password": "short", "confirm": "short"}).status_code == 422
    assert http.post(path, data={"password": NEW, "confirm": NEW}).status_code == 303
    assert http.get("/calendar/").status_code == 200
    assert app.test_client().get(path).status_code == 404  # single use
    assert (
        app.test_client().post("/login", data={"email": "nora@acme.test", "password": NEW}).status_code == 303
    )
    # Resending is for those who have not chosen a password yet.
    nora = db.session.scalar(db.select(OutboxEmail.user_id).filter_by(kind="staff_invite"))
    assert as_user(acme.admin).post(f"/settings/team/{nora}/invite").status_code == 422
