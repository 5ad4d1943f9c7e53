"""Absolute links come from CONECTA_BASE_URL, never from the request's Host header, and a Host the
app does not serve is answered 400 (link poisoning: invite links, invite emails, Zoom's redirect_uri)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet

from conecta import create_app
from conecta.mail.compose import compose
from tests.support.factories import PASSWORD
from tests.support.smtp import outbox

OTHER_HOST = "http://127.0.0.1:5000"  # answered in development, but not the base URL


def test_an_untrusted_host_is_a_bad_request(acme, as_user, client) -> None:
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert as_user(acme.staff).get("/clients/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/login", headers={"Host": "localhost:5000"}).status_code == 200


def _signed_in_on_other_host(app, email: str):
    http = app.test_client()
    response = http.post("/login", base_url=OTHER_HOST, data={"email": email, "password": PASSWORD})
    assert response.status_code == 303
    return http


def test_invite_links_and_emails_use_the_base_url(app, acme) -> None:
    staff = _signed_in_on_other_host(app, acme.staff.email)
    made = staff.post(
        f"/clients/{acme.client.id}/invite", headers={"HX-Request": "true"}, base_url=OTHER_HOST
    )
    assert 'value="http://localhost/portal/invite/' in made.get_data(as_text=True)
    sent = staff.post(f"/clients/{acme.client.id}/invite-email", base_url=OTHER_HOST)
    assert sent.status_code == 303
    [row] = [r for r in outbox() if r.kind == "portal_invite"]
    assert "http://localhost/portal/invite/" in compose(row).text
    assert "127.0.0.1" not in compose(row).text


def test_the_oauth_redirect_uri_uses_the_base_url(app, acme) -> None:
    start = _signed_in_on_other_host(app, acme.admin.email).post(
        "/settings/integrations/zoom/connect", base_url=OTHER_HOST
    )
    assert start.status_code == 303
    query = parse_qs(urlsplit(start.location).query)
    assert query["redirect_uri"] == ["http://localhost/settings/integrations/zoom/callback"]


def test_production_needs_a_base_url_and_development_follows_the_run_port(monkeypatch) -> None:
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "CONECTA_BASE_URL": None}
    with pytest.raises(RuntimeError, match="CONECTA_BASE_URL"):
        create_app(
            {**config, "ENV_NAME": "production", "CONECTA_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
        )
    monkeypatch.setenv("PORT", "5077")
    app = create_app({**config, "ENV_NAME": "development"})
    assert app.config["CONECTA_BASE_URL"] == "http://127.0.0.1:5077"
    assert "127.0.0.1" in app.config["TRUSTED_HOSTS"]
