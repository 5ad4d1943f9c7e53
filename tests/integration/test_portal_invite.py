"""Portal invites: staff create a signed link, the client sets a password with it and signs in; the link
then dies, and an expired or tampered link shows the invalid page."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from conecta.extensions import db
from conecta.models import Client
from conecta.portal.views import INVITE_SALT, make_invite_token

INVALID = "This link is not valid"


@pytest.fixture
def pia(acme) -> Client:
    """A client who has never had portal access."""
    client = Client(org_id=acme.org.id, name="Pia Portal", email="pia@acme.test")
    db.session.add(client)
    db.session.commit()
    return client


def _create_link(http, client: Client) -> str:
    response = http.post(f"/clients/{client.id}/invite", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Portal invite link for" in html
    url = re.search(r'value="(http://localhost/portal/invite/[^"]+)"', html).group(1)
    return urlsplit(url).path


def test_invite_set_password_sign_in_and_the_link_dies(app, acme, pia, as_user) -> None:
    path = _create_link(as_user(acme.staff), pia)

    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "Welcome, Pia Portal" in page.get_data(as_text=True)

    mismatch = visitor.post(path, data={"password": "pia-secret-1", "confirm": "pia-secret-2"})
    assert mismatch.status_code == 422
    assert "Passwords must match." in mismatch.get_data(as_text=True)
    db.session.refresh(pia)
    assert pia.password_hash is None

    accepted = visitor.post(path, data={"password": "pia-secret-1", "confirm": "pia-secret-1"})
    assert accepted.status_code == 303
    assert accepted.location.endswith("/portal/")
    db.session.refresh(pia)
    assert pia.has_portal_access

    fresh = app.test_client()
    signed_in = fresh.post("/portal/login", data={"email": "pia@acme.test", "password": "pia-secret-1"})
    assert signed_in.status_code == 303
    assert fresh.get("/portal/").status_code == 200
    wrong = app.test_client().post("/portal/login", data={"email": "pia@acme.test", "password": "nope-nope"})
    assert wrong.status_code == 422

    used = app.test_client().get(path)
    assert used.status_code == 404
    assert INVALID in used.get_data(as_text=True)
    assert app.test_client().post(path, data={"password": "x" * 10, "confirm": "x" * 10}).status_code == 404


def test_the_client_page_shows_portal_access_after_accepting(app, acme, pia, as_user) -> None:
    staff = as_user(acme.staff)
    assert "Not invited yet" in staff.get(f"/clients/{pia.id}").get_data(as_text=True)
    path = _create_link(staff, pia)
    app.test_client().post(path, data={"password": "pia-secret-1", "confirm": "pia-secret-1"})
    assert "Has a password" in staff.get(f"/clients/{pia.id}").get_data(as_text=True)


def test_using_one_link_kills_the_others(app, acme, pia, as_user) -> None:
    staff = as_user(acme.staff)
    first, second = _create_link(staff, pia), _create_link(staff, pia)
    assert (
        app.test_client()
        .post(second, data={"password": "pia-secret-1", "confirm": "pia-secret-1"})
        .status_code
        == 303
    )
    assert app.test_client().get(first).status_code == 404


def test_an_expired_link_shows_the_invalid_page(app, pia) -> None:
    max_age = app.config["PORTAL_INVITE_MAX_AGE"]

    class SignedLongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - max_age - 60

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=INVITE_SALT)
    payload = serializer.loads(make_invite_token(pia))  # the real payload, re-signed in the past
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=INVITE_SALT, signer=SignedLongAgo).dumps(
        payload
    )

    response = app.test_client().get(f"/portal/invite/{old}")
    assert response.status_code == 404
    assert INVALID in response.get_data(as_text=True)
    # The same payload signed now is accepted: only the age made the difference.
    assert app.test_client().get(f"/portal/invite/{serializer.dumps(payload)}").status_code == 200


def test_a_tampered_link_shows_the_invalid_page(app, pia) -> None:
    token = make_invite_token(pia)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = app.test_client().get(f"/portal/invite/{forged}")
    assert response.status_code == 404
    assert INVALID in response.get_data(as_text=True)
