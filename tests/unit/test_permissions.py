"""The permission decorators and the same-organization helper, on throwaway routes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from conecta.auth.permissions import admin_required, client_required, same_org_or_404, staff_required
from conecta.extensions import db
from conecta.models import Client


@pytest.fixture
def guarded_app(make_app) -> Flask:
    app = make_app()

    @app.route("/_t/staff")
    @staff_required
    def staff_only():
        return "staff ok"

    @app.route("/_t/admin")
    @admin_required
    def admin_only():
        return "admin ok"

    @app.route("/_t/client")
    @client_required
    def client_only():
        return "client ok"

    @app.route("/_t/clients/<int:client_id>")
    @staff_required
    def client_record(client_id: int):
        return same_org_or_404(db.session.get(Client, client_id)).name

    with app.app_context():
        yield app


@pytest.fixture
def acme_here(guarded_app):
    from tests.support.factories import build_org

    return build_org()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("staff", {"/_t/staff": 200, "/_t/admin": 403, "/_t/client": 403}),
        ("admin", {"/_t/staff": 200, "/_t/admin": 200, "/_t/client": 403}),
        ("client", {"/_t/staff": 403, "/_t/admin": 403, "/_t/client": 200}),
    ],
)
def test_each_audience_gets_its_answer(guarded_app, acme_here, who, expected) -> None:
    user = getattr(acme_here, who)
    http = guarded_app.test_client(user=user)
    got = {path: http.get(path).status_code for path in expected}
    assert got == expected


@pytest.mark.parametrize("path", ["/_t/staff", "/_t/admin"])
def test_anonymous_is_sent_to_sign_in_with_the_way_back(guarded_app, path) -> None:
    response = guarded_app.test_client().get(path)
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/login"
    assert parse_qs(target.query)["next"][0].startswith(path)


def test_anonymous_client_route_is_sent_to_the_portal_sign_in_when_on_the_portal(guarded_app) -> None:
    response = guarded_app.test_client().get("/portal/")
    assert response.status_code == 302
    assert response.location.startswith("/portal/login")


def test_an_expired_session_inside_an_htmx_swap_redirects_the_whole_page(guarded_app) -> None:
    response = guarded_app.test_client().get("/_t/staff", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_a_deactivated_user_is_signed_out(guarded_app, acme_here) -> None:
    http = guarded_app.test_client(user=acme_here.staff)
    acme_here.staff.active = False
    db.session.commit()
    assert http.get("/_t/staff").status_code == 302


def test_same_org_or_404_hides_other_organizations(guarded_app, acme_here) -> None:
    from tests.support.factories import build_org

    rival = build_org("Rival Studio", "Europe/Madrid", "rival")
    http = guarded_app.test_client(user=acme_here.staff)
    assert http.get(f"/_t/clients/{acme_here.client.id}").get_data(as_text=True) == "Carla Client"
    assert http.get(f"/_t/clients/{rival.client.id}").status_code == 404
    assert http.get("/_t/clients/999999").status_code == 404
