"""Request limits: every route that takes a body refuses an oversized one with 413 before reading it
(walked from the URL map, so a new form is covered the day it is added), forms bound their fields alike
whether urlencoded or multipart, Zoom's webhook has its own small bound, and a form refused with 422 never
echoes more than its fields allow."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from werkzeug.routing import Rule

from tests.integration.test_fuzz import FORMS

LIMITS = {"MAX_CONTENT_LENGTH": 8 * 1024, "MAX_FORM_MEMORY_SIZE": 2 * 1024, "MAX_FORM_PARTS": 30}
BODY_METHODS = ("POST", "PUT", "PATCH")


def _url(rule: Rule) -> str:
    """The rule with every argument filled in (the body is refused before any lookup)."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "1" if "int" in m.group(0) else "x", rule.rule)


def _body_routes(app) -> list[tuple[str, str]]:
    return sorted(
        (method, _url(rule))
        for rule in app.url_map.iter_rules()
        for method in rule.methods & set(BODY_METHODS)
    )


class _Unread(io.BytesIO):
    """A body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the oversized body was read")

    readline = read


@pytest.fixture
def limited(app):
    """The app with small limits (read from its config on every request)."""
    app.config.update(LIMITS)
    return app


def test_every_route_refuses_an_oversized_body_with_413_unread(limited, acme) -> None:
    routes = _body_routes(limited)
    assert ("POST", "/webhooks/zoom") in routes and ("POST", "/bookings/new") in routes
    clients = {"anonymous": limited.test_client(), "admin": limited.test_client(user=acme.admin)}
    size = LIMITS["MAX_CONTENT_LENGTH"] + 1
    for who, http in clients.items():
        for method, url in routes:
            response = http.open(
                url,
                method=method,
                input_stream=_Unread(b"x" * size),
                headers={"Content-Length": str(size), "Content-Type": "application/x-www-form-urlencoded"},
            )
            assert response.status_code == 413, f"{who} {method} {url}: {response.status_code}"
            assert len(response.data) < 20_000  # a short page, not an echo


@pytest.mark.parametrize("kind", ["urlencoded", "multipart"])
def test_forms_bound_each_field_and_the_number_of_fields(limited, acme, kind) -> None:
    staff = limited.test_client(user=acme.staff)
    field = "n" * (LIMITS["MAX_FORM_MEMORY_SIZE"] + 1)
    many = {f"f{i}": "1" for i in range(LIMITS["MAX_FORM_PARTS"] + 1)}
    content_type = "multipart/form-data" if kind == "multipart" else "application/x-www-form-urlencoded"
    for data in ({"name": "Ann", "email": "ann@acme.test", "notes": field}, many):
        response = staff.post("/clients/new", data=data, content_type=content_type)
        assert response.status_code == 413, (kind, response.status_code)
    fine = staff.post(
        "/clients/new", data={"name": "Ann", "email": "ann@acme.test"}, content_type=content_type
    )
    assert fine.status_code in (200, 303)


def test_the_default_limit_holds_for_a_big_booking_form(app, acme, as_user) -> None:
    """The issue's case: megabytes of notes on the booking form were read, then echoed back in a 422."""
    response = as_user(acme.staff).post("/bookings/new", data={"notes": "n" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert b"larger than Conecta accepts" in response.data


def test_the_webhook_has_its_own_small_bound(app, client) -> None:
    body = b'{"event": "meeting.updated", "payload": {}}'
    app.config["ZOOM_WEBHOOK_MAX_BYTES"] = len(body)
    assert client.post("/webhooks/zoom", data=body, content_type="application/json").status_code == 401
    big = body[:-1] + b" }"
    assert client.post("/webhooks/zoom", data=big, content_type="application/json").status_code == 413


class _Fields(HTMLParser):
    """maxlength of each named input or textarea."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlength: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag in ("input", "textarea") and values.get("name") and values.get("maxlength"):
            self.maxlength[values["name"]] = int(values["maxlength"])


@pytest.mark.parametrize("name", [n for n, f in FORMS.items() if f.method == "POST"])
def test_a_refused_form_echoes_no_more_than_its_fields_allow(app, acme, as_user, name) -> None:
    from conecta.forms import ECHO_LIMIT

    form = FORMS[name]
    acme.appointment = acme.book()
    if form.setup is not None:
        form.setup(acme)
    http = app.test_client() if form.who is None else as_user(getattr(acme, form.who))
    filler = "Q" * 50_000
    response = http.post(form.path(acme), data=dict.fromkeys(form.fields, filler))
    assert response.status_code < 500
    page = response.get_data(as_text=True)
    parser = _Fields()
    parser.feed(page)
    longest = max((len(run) for run in re.findall("Q+", page)), default=0)
    allowed = max([ECHO_LIMIT, *(parser.maxlength.get(f, 0) for f in form.fields)])
    assert longest <= allowed, f"{name}: echoed {longest} characters of one field"
