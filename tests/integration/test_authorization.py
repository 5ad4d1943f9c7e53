"""The authorization matrix (see tests/authz/__init__.py): generated from the app's URL map."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

import pytest

import tests.authz as authz_pkg
from conecta import create_app
from tests.authz import AUDIENCES, Route
from tests.support.factories import OrgBundle, build_org

IGNORED_ENDPOINTS = {"static"}


def _all_routes() -> list[Route]:
    routes: list[Route] = []
    for module in pkgutil.iter_modules(authz_pkg.__path__):
        routes += importlib.import_module(f"tests.authz.{module.name}").ROUTES
    return routes


ROUTES = _all_routes()


@dataclass
class World:
    """What the routes' params draw on: two organizations and an appointment of acme's client."""

    acme: OrgBundle
    rival: OrgBundle

    def __post_init__(self) -> None:
        self.appointment = self.acme.book()
        self.rival_appointment = self.rival.book()


def test_every_route_has_a_row() -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "CONECTA_ENCRYPTION_KEYS": ""}
    )
    declared = {(r.endpoint, r.method) for r in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in declared:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes without an authorization row in tests/authz/: " + ", ".join(missing)


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method}-{r.endpoint}")
def test_matrix(app, as_user, route: Route, audience: str) -> None:
    world = World(build_org(), build_org("Rival Studio", "Europe/Madrid", "rival"))
    who = {
        "anonymous": None,
        "client": world.acme.client,
        "other_client": world.acme.other_client,
        "staff": world.acme.staff,
        "admin": world.acme.admin,
        "other_admin": world.rival.admin,
    }[audience]
    http = app.test_client() if who is None else as_user(who)
    with app.test_request_context():
        from flask import url_for

        url = url_for(route.endpoint, **route.params(world))
    response = http.open(url, method=route.method, data=route.data(world), headers=route.headers)
    expected = route.expect[audience]
    got = response.status_code
    if expected in (302, 303):
        assert got in (302, 303), f"{audience} {route.method} {url}: expected a redirect, got {got}"
    else:
        assert got == expected, f"{audience} {route.method} {url}: expected {expected}, got {got}"
