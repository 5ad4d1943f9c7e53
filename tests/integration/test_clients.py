"""The Clients page: list, search as you type (HTMX rows), add, edit, detail, cross-organization 404."""

from __future__ import annotations

import pytest

from conecta.extensions import db
from conecta.models import Client


def _add(http, **fields):
    data = {"name": "Nina Nueva", "email": "nina@acme.test", "phone": "+52 664 123 4567", "notes": ""}
    data.update(fields)
    return http.post("/clients/new", data=data)


def test_staff_and_admins_see_only_their_organizations_clients(acme, rival, as_user) -> None:
    for who in (acme.staff, acme.admin):
        html = as_user(who).get("/clients/").get_data(as_text=True)
        assert "Carla Client" in html and "omar@acme.test" in html
        assert "rival.test" not in html
    assert as_user(acme.client).get("/clients/").status_code == 403


def test_the_page_includes_the_rows_and_the_search_box_asks_for_just_the_rows(acme, as_user) -> None:
    http = as_user(acme.staff)
    page = http.get("/clients/").get_data(as_text=True)
    assert 'hx-trigger="input changed delay:250ms, search"' in page
    assert 'hx-target="#client-rows"' in page and 'hx-push-url="true"' in page
    assert '<label for="client-search">Search clients</label>' in page

    rows = http.get("/clients/?q=carla", headers={"HX-Request": "true"})
    html = rows.get_data(as_text=True)
    assert rows.status_code == 200
    assert "<html" not in html and "<tbody" not in html
    assert "Carla Client" in html and "Omar Other" not in html
    assert "HX-Request" in rows.headers["Vary"]


def test_a_history_restore_gets_the_whole_page(acme, as_user) -> None:
    response = as_user(acme.staff).get(
        "/clients/?q=carla", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("CARLA", {"Carla Client"}),
        ("omar@", {"Omar Other"}),
        ("client carla", {"Carla Client"}),  # every word must match, in any field
        ("664", {"Nina Nueva"}),  # phone
        ("acme.test", {"Carla Client", "Omar Other", "Nina Nueva"}),
        ("%", set()),  # a typed wildcard is searched literally
        ("zzz", set()),
    ],
)
def test_search_matches_name_email_and_phone(acme, as_user, query, found) -> None:
    http = as_user(acme.staff)
    assert _add(http).status_code == 303
    html = http.get("/clients/", query_string={"q": query}, headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    everyone = {"Carla Client", "Omar Other", "Nina Nueva"}
    assert {name for name in everyone if name in html} == found
    if not found:
        assert "No client matches" in html


def test_search_without_javascript_renders_the_page_with_the_query(acme, as_user) -> None:
    html = as_user(acme.staff).get("/clients/?q=omar").get_data(as_text=True)
    assert "<html" in html and 'value="omar"' in html
    assert "Omar Other" in html and "Carla Client" not in html


def test_staff_add_a_client(acme, as_user) -> None:
    response = _add(as_user(acme.staff), email=" Nina@ACME.test ")
    assert response.status_code == 303
    nina = db.session.scalar(db.select(Client).filter_by(email="nina@acme.test"))
    assert nina is not None and nina.org_id == acme.org.id
    assert nina.phone == "+52 664 123 4567" and nina.password_hash is None
    assert response.location.endswith(f"/clients/{nina.id}")


def test_an_invalid_client_is_rerendered_with_messages(acme, as_user) -> None:
    response = _add(as_user(acme.staff), name="", email="not-an-email")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This field is required." in html
    assert "Invalid email address." in html
    assert 'value="not-an-email"' in html


def test_email_is_unique_per_organization(acme, rival, as_user) -> None:
    duplicate = _add(as_user(acme.staff), email="CARLA@acme.test")
    assert duplicate.status_code == 422
    assert "Another client of this organization already has this email." in duplicate.get_data(as_text=True)
    # The same address is fine in another organization.
    assert _add(as_user(rival.staff), email="carla@acme.test").status_code == 303
    emails = db.session.scalars(db.select(Client.org_id).filter_by(email="carla@acme.test")).all()
    assert sorted(emails) == sorted([acme.org.id, rival.org.id])


def test_staff_edit_a_client(acme, as_user) -> None:
    http = as_user(acme.staff)
    form = http.get(f"/clients/{acme.client.id}/edit").get_data(as_text=True)
    assert 'value="carla@acme.test"' in form
    response = http.post(
        f"/clients/{acme.client.id}/edit",
        data={
            "name": "Carla C. Client",
            "email": "carla@acme.test",
            "phone": "555",
            "notes": "Prefers mornings",
        },
    )
    assert response.status_code == 303
    db.session.refresh(acme.client)
    assert (acme.client.name, acme.client.phone, acme.client.notes) == (
        "Carla C. Client",
        "555",
        "Prefers mornings",
    )
    detail = http.get(f"/clients/{acme.client.id}").get_data(as_text=True)
    assert "Prefers mornings" in detail and "Create portal invite link" in detail


def test_editing_to_another_clients_email_is_refused(acme, as_user) -> None:
    response = as_user(acme.admin).post(
        f"/clients/{acme.client.id}/edit",
        data={"name": "Carla Client", "email": acme.other_client.email, "phone": "", "notes": ""},
    )
    assert response.status_code == 422
    assert "already has this email" in response.get_data(as_text=True)
    db.session.refresh(acme.client)
    assert acme.client.email == "carla@acme.test"


def test_another_organizations_clients_do_not_exist(acme, rival, as_user) -> None:
    http = as_user(rival.admin)
    assert http.get(f"/clients/{acme.client.id}").status_code == 404
    assert http.get(f"/clients/{acme.client.id}/edit").status_code == 404
    edit = http.post(
        f"/clients/{acme.client.id}/edit",
        data={"name": "Hijacked", "email": "h@rival.test", "phone": "", "notes": ""},
    )
    assert edit.status_code == 404
    assert http.post(f"/clients/{acme.client.id}/invite").status_code == 404
    db.session.refresh(acme.client)
    assert acme.client.name == "Carla Client"


def test_invite_link_without_htmx_is_shown_once_after_the_redirect(acme, as_user) -> None:
    http = as_user(acme.staff)
    created = http.post(f"/clients/{acme.client.id}/invite")
    assert created.status_code == 303
    first = http.get(created.location).get_data(as_text=True)
    assert "/portal/invite/" in first and "http://localhost/portal/invite/" in first
    assert "/portal/invite/" not in http.get(created.location).get_data(as_text=True)
