"""Sign-in, invite and password endpoints are throttled per account and per IP (Flask-Limiter on Redis),
with a clear 429 page and Retry-After; an unknown email costs the same as a wrong password."""

from __future__ import annotations

import pytest

from conecta.auth import passwords
from conecta.extensions import limiter
from conecta.portal.views import make_invite_token
from tests.support.factories import PASSWORD


@pytest.fixture
def low_limits(app):
    """Small limits for this test, and counters of this run's namespace cleared before it."""
    app.config.update(
        CONECTA_SIGN_IN_LIMIT_PER_ACCOUNT="5 per minute",
        CONECTA_SIGN_IN_LIMIT_PER_IP="12 per minute",
        CONECTA_INVITE_LIMIT_PER_CLIENT="3 per minute",
        CONECTA_INVITE_LIMIT_PER_IP="5 per minute",
    )
    limiter.reset()
    yield app
    limiter.reset()


def _attempt(http, email: str, password: str, path: str = "/login"):
    return http.post(path, data={"email": email, "password": password})


@pytest.mark.parametrize("path", ["/login", "/portal/login"])
def test_wrong_passwords_lock_the_account_even_for_the_right_one(low_limits, acme, path) -> None:
    email = acme.staff.email if path == "/login" else acme.client.email
    http = low_limits.test_client()
    for _ in range(5):
        assert _attempt(http, email, "wrong-password", path).status_code == 422
    blocked = _attempt(http, email, PASSWORD, path)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    html = blocked.get_data(as_text=True)
    assert "Too many attempts" in html and "Wait a few minutes" in html
    # Another account from the same address is not locked yet (the per-IP limit is higher).
    other = acme.admin.email if path == "/login" else acme.other_client.email
    assert _attempt(http, other, PASSWORD, path).status_code == 303


def test_one_address_trying_many_accounts_is_stopped(low_limits, acme) -> None:
    http = low_limits.test_client()
    for n in range(12):
        path = "/login" if n % 2 else "/portal/login"
        assert _attempt(http, f"nobody{n}@acme.test", "guess", path).status_code == 422
    assert _attempt(http, acme.staff.email, PASSWORD).status_code == 429
    assert _attempt(http, acme.client.email, PASSWORD, "/portal/login").status_code == 429


def test_right_passwords_are_never_throttled(low_limits, acme) -> None:
    for _ in range(15):
        assert _attempt(low_limits.test_client(), acme.staff.email, PASSWORD).status_code == 303


def test_the_invite_page_counts_failures(low_limits, acme) -> None:
    http = low_limits.test_client()
    for _ in range(5):
        assert http.get("/portal/invite/not-a-token").status_code == 404
    assert http.get("/portal/invite/not-a-token").status_code == 429  # per link
    for n in range(7):  # 12 failures from this address in all
        assert http.get(f"/portal/invite/another-{n}").status_code == 404
    token = make_invite_token(acme.client)
    assert http.get(f"/portal/invite/{token}").status_code == 429  # per address


def test_creating_and_emailing_invites_is_throttled_per_client(low_limits, acme, as_user) -> None:
    staff = as_user(acme.staff)
    for _ in range(3):
        assert staff.post(f"/clients/{acme.client.id}/invite").status_code == 303
    assert staff.post(f"/clients/{acme.client.id}/invite").status_code == 429
    assert staff.post(f"/clients/{acme.other_client.id}/invite").status_code == 303


def test_an_unknown_email_costs_one_password_check_like_a_wrong_password(app, acme, monkeypatch) -> None:
    checks: list[str] = []
    real_check = passwords._check  # the one place an Argon2 hash is verified

    def counting(password_hash, password):
        checks.append(password_hash)
        return real_check(password_hash, password)

    monkeypatch.setattr(passwords, "_check", counting)
    http = app.test_client()
    for path, known in (("/login", acme.staff.email), ("/portal/login", acme.client.email)):
        checks.clear()
        assert _attempt(http, known, "wrong-password", path).status_code == 422
        assert len(checks) == 1
        checks.clear()
        assert _attempt(http, "nobody@acme.test", "wrong-password", path).status_code == 422
        assert len(checks) == 1 and checks[0].startswith("$argon2id$")
