"""Settings → Team: admins add people, change roles, deactivate and reactivate; the last admin stays."""

from __future__ import annotations

from conecta.auth.passwords import is_invited
from conecta.extensions import db
from conecta.models import User
from conecta.models.email import OutboxEmail


def _sign_in(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


def test_admins_see_the_team_and_staff_are_refused(acme, rival, as_user) -> None:
    page = as_user(acme.admin).get("/settings/team")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ada Admin" in html and "staff@acme.test" in html
    assert "rival.test" not in html
    assert 'aria-label="Role of Sam Staff"' in html
    assert as_user(acme.staff).get("/settings/team").status_code == 403


def test_settings_sends_admins_to_team_and_staff_to_events(acme, as_user) -> None:
    assert as_user(acme.admin).get("/settings/").location.endswith("/settings/team")
    assert as_user(acme.staff).get("/settings/").location.endswith("/settings/calendar/events")


def test_tab_bar_shows_team_only_to_admins(acme, as_user) -> None:
    admin_html = as_user(acme.admin).get("/settings/calendar/events").get_data(as_text=True)
    staff_html = as_user(acme.staff).get("/settings/calendar/events").get_data(as_text=True)
    assert 'href="/settings/team"' in admin_html
    assert 'href="/settings/team"' not in staff_html


def test_admin_adds_a_staff_member_who_gets_an_invite_not_a_password(app, acme, as_user, client) -> None:
    page = as_user(acme.admin).get("/settings/team").get_data(as_text=True)
    assert 'type="password"' not in page  # the admin never types a password for someone else
    response = as_user(acme.admin).post(
        "/settings/team", data={"name": "Nora New", "email": " Nora@Acme.test ", "role": "staff"}
    )
    assert response.status_code == 303
    assert response.location.endswith("/settings/team")
    nora = db.session.scalar(db.select(User).filter_by(email="nora@acme.test"))
    assert (nora.org_id, nora.role, nora.active) == (acme.org.id, "staff", True)
    assert is_invited(nora.password_hash)
    [row] = db.session.scalars(db.select(OutboxEmail).filter_by(user_id=nora.id)).all()
    assert (row.kind, row.to_address, row.client_id) == ("staff_invite", "nora@acme.test", None)
    # Until the invite is used nothing signs in, not even an empty password.
    assert _sign_in(client, "nora@acme.test", nora.password_hash).status_code == 422
    team = as_user(acme.admin).get("/settings/team").get_data(as_text=True)
    assert "Invited" in team and f'action="/settings/team/{nora.id}/invite"' in team


def test_invalid_new_member_is_rerendered_with_messages(acme, rival, as_user) -> None:
    http = as_user(acme.admin)
    no_email = http.post("/settings/team", data={"name": "X", "email": "", "role": "staff"})
    assert no_email.status_code == 422
    # Emails are unique across organizations (sign-in finds a person by email alone).
    taken = http.post(
        "/settings/team",
        data={"name": "Dup", "email": rival.staff.email, "role": "staff"},
    )
    assert taken.status_code == 422
    html = taken.get_data(as_text=True)
    assert "Someone already signs in with this email." in html
    assert 'value="Dup"' in html  # what was typed is kept
    bad_role = http.post(
        "/settings/team",
        data={"name": "R", "email": "r@acme.test", "role": "owner"},
    )
    assert bad_role.status_code == 422
    assert db.session.scalar(db.select(User).filter_by(email="r@acme.test")) is None


def test_admin_changes_roles(acme, as_user) -> None:
    http = as_user(acme.admin)
    assert http.post(f"/settings/team/{acme.staff.id}/role", data={"role": "admin"}).status_code == 303
    db.session.refresh(acme.staff)
    assert acme.staff.role == "admin"
    # With two admins, the first may step down.
    assert http.post(f"/settings/team/{acme.admin.id}/role", data={"role": "staff"}).status_code == 303
    db.session.refresh(acme.admin)
    assert acme.admin.role == "staff"


def test_an_invalid_role_is_refused(acme, as_user) -> None:
    response = as_user(acme.admin).post(f"/settings/team/{acme.staff.id}/role", data={"role": "owner"})
    assert response.status_code == 422
    assert "Choose admin or staff." in response.get_data(as_text=True)


def test_the_last_active_admin_cannot_demote_themself(acme, as_user) -> None:
    response = as_user(acme.admin).post(f"/settings/team/{acme.admin.id}/role", data={"role": "staff"})
    assert response.status_code == 422
    assert "Ada Admin is the last active admin of Acme Clinic" in response.get_data(as_text=True)
    db.session.refresh(acme.admin)
    assert acme.admin.role == "admin"


def test_the_last_active_admin_cannot_deactivate_themself(acme, as_user) -> None:
    # A deactivated second admin does not count.
    acme.staff.role = "admin"
    acme.staff.active = False
    db.session.commit()
    response = as_user(acme.admin).post(f"/settings/team/{acme.admin.id}/deactivate")
    assert response.status_code == 422
    assert "make someone else an admin before you deactivate them" in response.get_data(as_text=True)
    db.session.refresh(acme.admin)
    assert acme.admin.active is True


def test_deactivation_asks_first_then_blocks_sign_in_and_reactivation_restores_it(
    acme, as_user, client
) -> None:
    http = as_user(acme.admin)
    question = http.get(f"/settings/team/{acme.staff.id}/deactivate")
    assert question.status_code == 200
    html = question.get_data(as_text=True)
    assert "Deactivate Sam Staff?" in html and 'role="dialog"' in html and "<html" in html
    # Asked from the team page through HTMX: just the dialog, for the #modal slot.
    fragment = http.get(f"/settings/team/{acme.staff.id}/deactivate", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Deactivate Sam Staff?" in fragment.get_data(as_text=True)
    db.session.refresh(acme.staff)
    assert acme.staff.active is True  # asking changes nothing

    assert http.post(f"/settings/team/{acme.staff.id}/deactivate").status_code == 303
    db.session.refresh(acme.staff)
    assert acme.staff.active is False
    refused = _sign_in(client, acme.staff.email, "correct-horse-battery")
    assert refused.status_code == 422
    assert "Deactivated" in http.get("/settings/team").get_data(as_text=True)

    assert http.post(f"/settings/team/{acme.staff.id}/reactivate").status_code == 303
    db.session.refresh(acme.staff)
    assert acme.staff.active is True
    assert _sign_in(client, acme.staff.email, "correct-horse-battery").status_code == 303


def test_another_organizations_admin_cannot_touch_acme_people(acme, rival, as_user) -> None:
    http = as_user(rival.admin)
    assert http.post(f"/settings/team/{acme.admin.id}/role", data={"role": "staff"}).status_code == 404
    assert http.get(f"/settings/team/{acme.staff.id}/deactivate").status_code == 404
    assert http.post(f"/settings/team/{acme.staff.id}/deactivate").status_code == 404
    assert http.post(f"/settings/team/{acme.staff.id}/reactivate").status_code == 404
    db.session.refresh(acme.admin)
    db.session.refresh(acme.staff)
    assert (acme.admin.role, acme.staff.active) == ("admin", True)


def test_staff_cannot_change_the_team(acme, as_user) -> None:
    http = as_user(acme.staff)
    assert http.post(f"/settings/team/{acme.admin.id}/role", data={"role": "staff"}).status_code == 403
    assert http.post(f"/settings/team/{acme.admin.id}/deactivate").status_code == 403
    assert (
        http.post(
            "/settings/team",
            data={"name": "X", "email": "x@acme.test", "role": "admin"},
        ).status_code
        == 403
    )
