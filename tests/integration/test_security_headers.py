"""Security headers on every response, no caching of signed-in pages, HSTS and Secure cookies in
production, and templates that need no inline script (the CSP allows none)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.factories import PASSWORD

TEMPLATES = Path(__file__).resolve().parents[2] / "conecta" / "templates"


def _directives(policy: str) -> dict[str, str]:
    return {d.split()[0]: d.partition(" ")[2] for d in (p.strip() for p in policy.split(";")) if d}


def test_every_page_carries_the_security_headers(client) -> None:
    response = client.get("/login")
    csp = _directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == "'self'"
    assert "unsafe" not in csp["script-src"] and "unsafe" not in csp["default-src"]
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # development is plain HTTP
    assert client.get("/no-such-page").headers["X-Frame-Options"] == "DENY"  # error pages too


def test_signed_in_pages_are_never_stored_by_a_cache(acme, as_user, client) -> None:
    staff = as_user(acme.staff)
    for path in ("/calendar/", "/clients/", f"/clients/{acme.client.id}", "/settings/calendar/events"):
        assert staff.get(path).headers["Cache-Control"] == "no-store", path
    assert as_user(acme.client).get("/portal/").headers["Cache-Control"] == "no-store"
    with staff.get("/static/app.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")


def test_production_adds_hsts_and_a_secure_session_cookie(make_app, acme) -> None:
    app = make_app(ENV_NAME="production", CONECTA_BASE_URL="https://conecta.example")
    http = app.test_client()
    base = "https://conecta.example"
    page = http.get("/login", base_url=base)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    signed_in = http.post("/login", base_url=base, data={"email": acme.staff.email, "password": PASSWORD})
    assert signed_in.status_code == 303
    cookie = signed_in.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_templates_hold_no_inline_script_or_event_handler() -> None:
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if "mail" in path.parts:
            continue  # emails are not served by the app (the Dev mailbox frames them under their own policy)
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)", text) or re.search(r"\s(on[a-z]+|hx-on[:\w-]*)=", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
        if "javascript:" in text or "<style" in text:
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
