"""Connecting and disconnecting Zoom for an organization: the OAuth dance against the sandbox over HTTP."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from markupsafe import escape

from conecta.extensions import db
from conecta.jobs import redis_conn, redis_key
from conecta.models.audit import AuditEvent
from conecta.models.zoom import ZoomConnection, zoom_connection_for
from conecta.settings.integrations import BAD_STATE, DECLINED
from tests.support.factories import with_zoom
from tests.support.zoom import consent, local_path

HTMX = {"HX-Request": "true"}


def _start(http) -> str:
    """Click Connect: returns the sandbox authorize URL we are sent to."""
    response = http.post("/settings/integrations/zoom/connect")
    assert response.status_code == 303
    return response.headers["Location"]


def _events(org_id: int) -> list[str]:
    return list(
        db.session.scalars(db.select(AuditEvent.event).filter_by(org_id=org_id).order_by(AuditEvent.id))
    )


def _nothing_stored(org_id: int) -> None:
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(ZoomConnection)) == 0
    assert "connected" not in _events(org_id)


def test_admin_connects_through_the_consent_page(zoom_app, zoom_sandbox, acme, as_user):
    http = as_user(acme.admin)
    authorize_url = _start(http)

    # Zoom's authorize endpoint with state and a PKCE S256 challenge; scopes live on the app, not the URL.
    parts = urlsplit(authorize_url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{zoom_sandbox.url}/oauth/authorize"
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [zoom_app.config["ZOOM_CLIENT_ID"]]
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0] and query["state"][0]
    assert query["redirect_uri"] == ["http://localhost/settings/integrations/zoom/callback"]

    # The PKCE verifier is kept in Redis, not in the session cookie.
    state = query["state"][0]
    with http.session_transaction() as session:
        assert set(session[f"_state_zoom_{state}"]) == {"exp"}
    assert b"code_verifier" in redis_conn().get(redis_key("oauth", f"_state_zoom_{state}"))

    back = consent(zoom_sandbox, authorize_url)
    finished = http.get(local_path(back))
    assert finished.status_code == 303
    page = http.get(finished.headers["Location"])
    assert "Connected as host@example.com." in page.text  # the flash
    assert "Connected by</dt><dd>Ada Admin" in page.text
    assert "Disconnect" in page.text

    connection = zoom_connection_for(acme.org.id)
    sandbox_tokens = zoom_sandbox.state()["tokens"]
    assert connection.zoom_user_id == "sandbox-user-1"
    assert connection.zoom_email == "host@example.com"
    assert connection.zoom_account_id == "sandbox-account-1"
    assert "meeting:write:meeting" in connection.scope_list
    assert connection.access_token == sandbox_tokens["access"][0]["token"]
    assert connection.refresh_token == sandbox_tokens["refresh"][0]["token"]
    expected_expiry = datetime.now(UTC) + timedelta(seconds=3599)
    assert abs((connection.access_token_expires_at - expected_expiry).total_seconds()) < 30
    assert connection.connected_by_id == acme.admin.id
    assert connection.status == "active"
    assert _events(acme.org.id) == ["connected"]
    # The state is single-use: it is gone from Redis once the callback ran.
    assert redis_conn().get(redis_key("oauth", f"_state_zoom_{state}")) is None


def test_declined_consent_stores_nothing(zoom_app, zoom_sandbox, acme, as_user):
    http = as_user(acme.admin)
    back = consent(zoom_sandbox, _start(http), decision="decline")
    assert parse_qs(urlsplit(back).query)["error"] == ["access_denied"]
    page = http.get(local_path(back), follow_redirects=True)
    assert escape(DECLINED) in page.text
    assert "Connect my Zoom user only</button>" in page.text
    _nothing_stored(acme.org.id)


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_tampered_state_is_refused_and_the_code_never_exchanged(zoom_app, zoom_sandbox, acme, as_user):
    http = as_user(acme.admin)
    back = consent(zoom_sandbox, _start(http))
    page = http.get(local_path(_with_query(back, state="forged-state")), follow_redirects=True)
    assert escape(BAD_STATE) in page.text
    assert zoom_sandbox.requests_to("/oauth/token") == []
    _nothing_stored(acme.org.id)


def test_a_callback_from_another_browser_is_refused(zoom_app, zoom_sandbox, acme, as_user):
    """A code and state started in one admin's browser cannot be completed in another's session."""
    back = consent(zoom_sandbox, _start(as_user(acme.admin)))
    page = as_user(acme.admin).get(local_path(back), follow_redirects=True)
    assert escape(BAD_STATE) in page.text
    _nothing_stored(acme.org.id)


def test_a_substituted_pkce_challenge_makes_the_exchange_fail(zoom_app, zoom_sandbox, acme, as_user):
    """Someone swaps the code_challenge on the way to Zoom: the code is bound to their challenge, so
    our verifier does not match and Zoom refuses the exchange."""
    http = as_user(acme.admin)
    tampered = _with_query(_start(http), code_challenge="A" * 43)
    page = http.get(local_path(consent(zoom_sandbox, tampered)), follow_redirects=True)
    assert "Zoom was not connected: Zoom did not confirm the authorization (invalid_grant)" in page.text
    assert [e["status"] for e in zoom_sandbox.requests_to("/oauth/token")] == [400]
    _nothing_stored(acme.org.id)


def test_a_failed_exchange_stores_nothing(zoom_app, zoom_sandbox, acme, as_user):
    http = as_user(acme.admin)
    back = consent(zoom_sandbox, _start(http))
    zoom_sandbox.set_faults(errors=[{"path": "/oauth/token", "status": 503}])
    page = http.get(local_path(back), follow_redirects=True)
    assert "Zoom was not connected: Zoom did not confirm the authorization" in page.text
    _nothing_stored(acme.org.id)


def test_failing_to_read_the_zoom_account_stores_nothing(zoom_app, zoom_sandbox, acme, as_user):
    http = as_user(acme.admin)
    back = consent(zoom_sandbox, _start(http))
    zoom_sandbox.set_faults(errors=[{"path": "/v2/users/me", "status": 500}])
    page = http.get(local_path(back), follow_redirects=True)
    assert "reading the Zoom account failed" in page.text
    _nothing_stored(acme.org.id)


def test_staff_see_the_card_read_only_and_cannot_connect_or_disconnect(zoom_app, acme, as_user, connect_zoom):
    staff = as_user(acme.staff)
    page = staff.get("/settings/integrations")
    assert page.status_code == 200
    assert "Only an admin of your organization can connect Zoom." in page.text
    assert "Connect my Zoom user only</button>" not in page.text
    assert staff.post("/settings/integrations/zoom/connect").status_code == 403

    connect_zoom(acme)
    page = staff.get("/settings/integrations")
    assert "Connected as host@example.com" in page.text
    assert "Disconnect</a>" not in page.text
    assert "Recent activity" not in page.text  # the audit log is for admins
    assert staff.get("/settings/integrations/zoom/disconnect").status_code == 403
    assert staff.post("/settings/integrations/zoom/disconnect").status_code == 403
    assert zoom_connection_for(acme.org.id) is not None


def test_disconnect_asks_first_then_revokes_at_zoom_and_deletes_the_tokens(
    zoom_app, zoom_sandbox, acme, as_user, connect_zoom
):
    connect_zoom(acme)
    appointment = acme.book()
    with_zoom(appointment, meeting_id="81234567890", join_url=f"{zoom_sandbox.url}/j/81234567890")
    db.session.commit()
    http = as_user(acme.admin)

    confirm = http.get("/settings/integrations/zoom/disconnect")  # the no-JS path: a page
    assert confirm.status_code == 200
    assert "<html" in confirm.text
    assert "Disconnect Zoom?" in confirm.text
    assert "Yes, disconnect</button>" in confirm.text
    assert zoom_connection_for(acme.org.id) is not None  # asking changes nothing

    done = http.post("/settings/integrations/zoom/disconnect")
    assert done.status_code == 303
    page = http.get(done.headers["Location"])
    assert "Zoom is disconnected. host@example.com no longer gives Conecta access." in page.text
    assert "Connect my Zoom user only</button>" in page.text

    db.session.expire_all()
    assert zoom_connection_for(acme.org.id, live_only=False) is None
    assert zoom_sandbox.state()["tokens"] == {"access": [], "refresh": []}  # revoked at Zoom
    assert _events(acme.org.id) == ["connected", "disconnected"]
    # Existing appointments keep their meeting and link.
    db.session.refresh(appointment)
    assert appointment.zoom.meeting_id == "81234567890"
    assert appointment.zoom.join_url == f"{zoom_sandbox.url}/j/81234567890"


def test_htmx_swaps_the_card_in_place(zoom_app, acme, as_user, connect_zoom):
    connect_zoom(acme)
    http = as_user(acme.admin)

    card = http.get("/settings/integrations", headers=HTMX)
    assert '<section id="zoom-card"' in card.text and "<html" not in card.text

    confirm = http.get("/settings/integrations/zoom/disconnect", headers=HTMX)
    assert "<html" not in confirm.text
    assert 'role="alertdialog"' in confirm.text
    assert 'hx-post="/settings/integrations/zoom/disconnect"' in confirm.text
    assert "Vary" in confirm.headers and "HX-Request" in confirm.headers["Vary"]

    done = http.post("/settings/integrations/zoom/disconnect", headers=HTMX)
    assert done.status_code == 200
    assert "<html" not in done.text
    assert "Zoom is disconnected." in done.text
    assert "Connect my Zoom user only</button>" in done.text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("outage", ["error", "unreachable"])
def test_disconnect_when_zoom_cannot_be_reached_still_deletes_our_copy(
    zoom_app, zoom_sandbox, acme, as_user, connect_zoom, outage
):
    connect_zoom(acme)
    if outage == "error":
        zoom_sandbox.set_faults(errors=[{"path": "/oauth/revoke", "status": 503}])
    else:
        zoom_app.config["ZOOM_OAUTH_BASE_URL"] = f"http://127.0.0.1:{_closed_port()}"
    page = as_user(acme.admin).post("/settings/integrations/zoom/disconnect", follow_redirects=True)
    assert "Zoom could not be reached to revoke access" in page.text
    assert "Connect my Zoom user only</button>" in page.text
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id, live_only=False) is None
    assert zoom_sandbox.state()["tokens"]["refresh"]  # Zoom never heard of it
    event = db.session.scalar(db.select(AuditEvent).filter_by(event="disconnected"))
    assert "could not be reached" in event.detail


def test_a_connection_that_needs_reconnect_says_so_and_reconnects(
    zoom_app, zoom_sandbox, acme, as_user, connect_zoom
):
    connection = connect_zoom(acme)
    connection.status = "needs_reconnect"
    db.session.commit()
    http = as_user(acme.admin)
    page = http.get("/settings/integrations")
    assert "Zoom needs to be reconnected" in page.text
    assert "Reconnect</button>" in page.text
    assert zoom_connection_for(acme.org.id) is None  # not live
    staff_page = as_user(acme.staff).get("/settings/integrations")
    assert "Zoom needs to be reconnected" in staff_page.text
    assert "Reconnect</button>" not in staff_page.text

    page = http.get(local_path(consent(zoom_sandbox, _start(http))), follow_redirects=True)
    assert "Connected as host@example.com." in page.text
    db.session.expire_all()
    assert zoom_connection_for(acme.org.id).status == "active"
    assert db.session.scalar(db.select(db.func.count()).select_from(ZoomConnection)) == 1
    assert _events(acme.org.id) == ["connected", "reconnected"]


def test_admins_see_the_last_20_connection_events(zoom_app, acme, rival, as_user):
    from conecta import audit

    for i in range(25):
        audit.record(acme.org.id, "connected", f"event number {i}", actor=acme.admin)
    audit.record(rival.org.id, "connected", "rival's event", actor=rival.admin)
    db.session.commit()
    page = as_user(acme.admin).get("/settings/integrations").text
    shown = [i for i in range(25) if f"event number {i}<" in page]
    assert shown == list(range(5, 25))  # the newest 20
    assert "rival&#39;s event" not in page and "event number" in page
