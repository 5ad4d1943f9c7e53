"""CSRF: with protection on (as in production), a state-changing request without a valid token is refused."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from conecta.extensions import db
from conecta.models import Client
from tests.support.factories import PASSWORD

EXPIRED_MESSAGE = "The form expired or was not sent from Conecta."


@pytest.fixture
def csrf_app(make_app) -> Flask:
    return make_app(WTF_CSRF_ENABLED=True)


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _meta_token(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def test_sign_in_without_a_token_is_refused_with_a_message(csrf_app, acme) -> None:
    response = csrf_app.test_client().post("/login", data={"email": acme.admin.email, "password": PASSWORD})
    assert response.status_code == 400
    assert EXPIRED_MESSAGE in response.get_data(as_text=True)


def test_sign_in_with_the_forms_token_succeeds(csrf_app, acme) -> None:
    http = csrf_app.test_client()
    token = _form_token(http.get("/login").get_data(as_text=True))
    response = http.post(
        "/login", data={"email": acme.admin.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.location.endswith("/calendar/")


def test_a_token_from_another_session_is_refused(csrf_app, acme) -> None:
    token = _form_token(csrf_app.test_client().get("/login").get_data(as_text=True))
    response = csrf_app.test_client().post(
        "/login", data={"email": acme.admin.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400


def test_signed_in_changes_need_the_token_in_the_form_or_the_htmx_header(csrf_app, acme) -> None:
    http = csrf_app.test_client(user=acme.staff)
    page = http.get("/clients/new").get_data(as_text=True)
    data = {"name": "Nina Nueva", "email": "nina@acme.test", "phone": "", "notes": ""}

    refused = http.post("/clients/new", data=data)
    assert refused.status_code == 400
    assert EXPIRED_MESSAGE in refused.get_data(as_text=True)
    refused_htmx = http.post("/clients/new", data=data, headers={"HX-Request": "true"})
    assert refused_htmx.status_code == 400
    assert "<html" not in refused_htmx.get_data(as_text=True)  # a fragment for the HTMX target
    assert db.session.scalar(db.select(Client).filter_by(email="nina@acme.test")) is None

    # htmx sends the page's token in the X-CSRFToken header (hx-headers on <body>).
    accepted = http.post("/clients/new", data=data, headers={"X-CSRFToken": _meta_token(page)})
    assert accepted.status_code == 303
    data["email"] = "nina2@acme.test"
    assert http.post("/clients/new", data={**data, "csrf_token": _form_token(page)}).status_code == 303
    assert db.session.scalar(db.select(Client).filter_by(email="nina@acme.test")) is not None


def test_sign_out_needs_the_token_too(csrf_app, acme) -> None:
    http = csrf_app.test_client(user=acme.staff)
    assert http.post("/logout").status_code == 400
    assert http.get("/clients/").status_code == 200  # still signed in
