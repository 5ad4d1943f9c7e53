"""Hostile input is answered 400 or 422 with a message, never a 500, and nothing is half saved: file
parts in forms, Unicode digits in ids, control characters in names and in `next`, OAuth callbacks
missing their code, and a service name with a line break that used to stop every email."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from conecta.extensions import db
from conecta.models import Client, Service, User
from conecta.models.zoom import ZoomConnection
from tests.support import smtp as mail
from tests.support.factories import PASSWORD
from tests.support.smtp import book, run_mail_worker
from tests.support.zoom import consent, local_path

smtp_server = mail.smtp_server  # the fixture, for this module's tests


@pytest.fixture
def app(make_app, smtp_server):
    """The test app, sending its mail to this module's SMTP server."""
    app = make_app(**smtp_server.config())
    with app.app_context():
        yield app


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(db.select(db.func.count()).select_from(m)) for m in (User, Client, Service)
    )


@pytest.mark.parametrize(
    ("who", "path", "field"),
    [
        (None, "/login", "email"),
        (None, "/portal/login", "password"),
        ("staff", "/clients/new", "name"),
        ("admin", "/settings/team", "name"),
        ("admin", "/settings/calendar/events/new", "name"),
        ("staff", "/bookings/new", "notes"),
    ],
)
def test_a_file_in_any_form_field_is_a_bad_request(acme, as_user, client, who, path, field) -> None:
    http = client if who is None else as_user(getattr(acme, who))
    before = _counts()
    data = {"email": acme.staff.email, "password": PASSWORD, "name": "X", field: (io.BytesIO(b"x"), "a.txt")}
    response = http.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)
    assert _counts() == before


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/?staff=²",
        "/calendar/?staff=٣",
        "/bookings/new?client_id=²&staff_id=¹&service_id=³",
        "/bookings/client-options?client_id=²",
    ],
)
def test_unicode_digits_in_ids_are_no_ids(acme, as_user, path) -> None:
    assert as_user(acme.staff).get(path).status_code == 200


@pytest.mark.parametrize(
    "evil", ["/calendar/\r\nSet-Cookie: x=1", "/calendar/\x00", "/\\evil.example", "//evil.example"]
)
@pytest.mark.parametrize("path", ["/login", "/portal/login"])
def test_next_with_control_characters_or_another_host_is_not_followed(acme, client, path, evil) -> None:
    email = acme.staff.email if path == "/login" else acme.client.email
    response = client.post(f"{path}?{urlencode({'next': evil})}", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303
    assert response.location in ("/calendar/", "/portal/")


@pytest.mark.parametrize("name", ["Massage\r\nBcc: all@example.test", "Tab\there", "Bell\x07", "C1\x85name"])
def test_names_with_control_characters_are_refused_with_a_message(acme, as_user, name) -> None:
    before = _counts()
    forms = [
        (as_user(acme.staff), "/clients/new", {"name": name, "email": "new@acme.test"}),
        (
            as_user(acme.admin),
            "/settings/calendar/events/new",
            {"name": name, "duration_minutes": "30", "color": "#112233"},
        ),
        (
            as_user(acme.admin),
            f"/settings/calendar/events/{acme.service.id}/edit",
            {"name": name, "duration_minutes": "30", "color": "#112233"},
        ),
        (
            as_user(acme.admin),
            "/settings/team",
            {"name": name, "email": "n@acme.test", "role": "staff", "password": "long-enough-1"},
        ),
    ]
    for http, path, data in forms:
        response = http.post(path, data=data)
        assert response.status_code == 422, path
        assert "Use one line of text, without line breaks or control characters." in response.get_data(
            as_text=True
        )
    assert _counts() == before
    db.session.refresh(acme.service)
    assert acme.service.name == "Consultation"


def test_notes_keep_line_breaks_but_not_other_control_characters(acme, as_user) -> None:
    staff = as_user(acme.staff)
    fine = staff.post(
        "/clients/new", data={"name": "Nia", "email": "nia@acme.test", "notes": "line one\r\nline two"}
    )
    assert fine.status_code == 303
    bad = staff.post("/clients/new", data={"name": "Ned", "email": "ned@acme.test", "notes": "beep\x07"})
    assert bad.status_code == 422
    assert "Remove the control characters from this text." in bad.get_data(as_text=True)


def test_an_organization_name_with_a_line_break_is_refused_by_the_cli(app) -> None:
    result = app.test_cli_runner().invoke(
        app.cli,
        [
            "create-org",
            "--name",
            "Evil\r\nOrg",
            "--timezone",
            "UTC",
            "--admin-email",
            "e@evil.test",
            "--admin-password",
            "long-enough-1",
        ],
    )
    assert result.exit_code != 0
    assert "without control characters" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_a_service_named_with_a_line_break_still_gets_its_emails_sent(smtp_server, acme) -> None:
    """Names saved before the form refused them (or through another door) must not stop the mail."""
    acme.service.name = "Massage\r\nBcc: everyone@example.test"
    db.session.commit()
    appointment = book(acme, datetime(2030, 1, 7, 17, 0, tzinfo=UTC))
    run_mail_worker()
    [row] = mail.outbox(appointment)
    assert row.status == "sent", row.last_error
    [received] = smtp_server.messages
    assert "\n" not in received.message["Subject"] and "Massage Bcc" in received.message["Subject"].replace(
        "  ", " "
    )
    assert received.envelope_to == [acme.client.email]


def _without(url: str, *names: str, **extra: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k not in names}
    return urlunsplit(parts._replace(query=urlencode({**query, **extra})))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda back: _without(back, "code"), id="valid-state-no-code"),
        pytest.param(lambda back: _without(back, "code", code=""), id="empty-code"),
        pytest.param(lambda back: _without(back, "code", error="server_error"), id="other-error"),
        pytest.param(lambda back: _without(back, "state"), id="no-state"),
        pytest.param(lambda back: _without(back, "code", "state"), id="nothing"),
    ],
)
def test_every_oauth_callback_error_ends_with_a_message(
    zoom_app, zoom_sandbox, acme, as_user, change
) -> None:
    http = as_user(acme.admin)
    start = http.post("/settings/integrations/zoom/connect")
    back = consent(zoom_sandbox, start.headers["Location"])
    response = http.get(local_path(change(back)))
    assert response.status_code == 303 and response.location.endswith("/settings/integrations")
    page = http.get("/settings/integrations").get_data(as_text=True)
    assert "Zoom was not connected" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(ZoomConnection)) == 0
