"""Settings → Calendar → Events: admins create, edit, deactivate and reactivate services; staff read."""

from __future__ import annotations

import re

import pytest

from conecta.extensions import db
from conecta.models import Service


def _form(**fields):
    data = {
        "name": "Group session",
        "duration_minutes": "90",
        "description": "Up to six people.",
        "color": "#D97706",
        "active": "y",
    }
    data.update(fields)
    return data


def test_staff_see_the_events_read_only(acme, rival, as_user) -> None:
    response = as_user(acme.staff).get("/settings/calendar/events")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Consultation" in html and "60 min" in html and "Video call" in html
    assert "Only admins can change events." in html
    assert "/edit" not in html and "New event" not in html
    assert "rival" not in html.lower()


def test_admins_see_edit_controls_and_the_zoom_column(acme, as_user) -> None:
    html = as_user(acme.admin).get("/settings/calendar/events").get_data(as_text=True)
    assert f"/settings/calendar/events/{acme.service.id}/edit" in html
    assert "New event" in html
    assert '<th scope="col">Zoom</th>' in html
    assert 'class="swatch" style="background: #3b82f6"' in html


def test_staff_cannot_create_or_edit(acme, as_user) -> None:
    http = as_user(acme.staff)
    assert http.get("/settings/calendar/events/new").status_code == 403
    assert http.post("/settings/calendar/events/new", data=_form()).status_code == 403
    assert http.post(f"/settings/calendar/events/{acme.service.id}/edit", data=_form()).status_code == 403
    assert http.post(f"/settings/calendar/events/{acme.service.id}/deactivate").status_code == 403
    assert db.session.scalar(db.select(Service).filter_by(name="Group session")) is None


def test_admin_creates_an_event(acme, as_user) -> None:
    http = as_user(acme.admin)
    form = http.get("/settings/calendar/events/new").get_data(as_text=True)
    assert 'type="color"' in form and 'for="duration_minutes"' in form
    response = http.post("/settings/calendar/events/new", data=_form())
    assert response.status_code == 303
    assert response.location.endswith("/settings/calendar/events")
    service = db.session.scalar(db.select(Service).filter_by(name="Group session"))
    assert (service.org_id, service.duration_minutes, service.color, service.active) == (
        acme.org.id,
        90,
        "#d97706",
        True,
    )
    assert service.description == "Up to six people."
    assert service.zoom_auto_create is False


def test_a_new_service_starts_with_a_waiting_room_and_a_passcode(acme, as_user) -> None:
    """Safe defaults for a clinic; the admin can turn them off; existing services keep their settings."""
    http = as_user(acme.admin)
    form = http.get("/settings/calendar/events/new").get_data(as_text=True)
    for name, on in (
        ("zoom_waiting_room", True),
        ("zoom_require_passcode", True),
        ("zoom_mute_upon_entry", False),
    ):
        checkbox = re.search(rf'<input[^>]*name="{name}"[^>]*>', form).group(0)
        assert ("checked" in checkbox) is on, name
    assert http.post("/settings/calendar/events/new", data=_form()).status_code == 303  # both unticked
    unticked = db.session.scalar(db.select(Service).filter_by(name="Group session"))
    assert (unticked.zoom_waiting_room, unticked.zoom_require_passcode) == (False, False)
    made_elsewhere = Service(org_id=acme.org.id, name="Follow-up")
    db.session.add(made_elsewhere)
    db.session.commit()
    assert (made_elsewhere.zoom_waiting_room, made_elsewhere.zoom_require_passcode) == (True, True)
    existing = http.get(f"/settings/calendar/events/{acme.service.id}/edit").get_data(as_text=True)
    assert "checked" not in re.search(r'<input[^>]*name="zoom_waiting_room"[^>]*>', existing).group(0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"duration_minutes": "4"}, "Duration must be between 5 and 720 minutes."),
        ({"duration_minutes": "721"}, "Duration must be between 5 and 720 minutes."),
        ({"duration_minutes": ""}, "Give a duration in minutes."),
        ({"duration_minutes": "an hour"}, "Not a valid integer value."),
        ({"color": "blue"}, "Pick a colour like #3b82f6."),
        ({"name": "   "}, "This field is required."),
    ],
)
def test_an_invalid_event_is_rerendered_with_messages(acme, as_user, fields, message) -> None:
    response = as_user(acme.admin).post("/settings/calendar/events/new", data=_form(**fields))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Service).filter_by(name="Group session")) is None


@pytest.mark.parametrize("minutes", ["5", "720"])
def test_duration_limits_are_inclusive(acme, as_user, minutes) -> None:
    response = as_user(acme.admin).post("/settings/calendar/events/new", data=_form(duration_minutes=minutes))
    assert response.status_code == 303


def test_admin_edits_an_event(acme, as_user) -> None:
    http = as_user(acme.admin)
    form = http.get(f"/settings/calendar/events/{acme.service.id}/edit").get_data(as_text=True)
    assert 'value="Consultation"' in form and 'value="60"' in form
    response = http.post(
        f"/settings/calendar/events/{acme.service.id}/edit",
        data=_form(name="Long consultation", duration_minutes="75", description=""),
    )
    assert response.status_code == 303
    db.session.refresh(acme.service)
    assert (acme.service.name, acme.service.duration_minutes, acme.service.description) == (
        "Long consultation",
        75,
        "",
    )


def test_an_invalid_edit_changes_nothing(acme, as_user) -> None:
    response = as_user(acme.admin).post(
        f"/settings/calendar/events/{acme.service.id}/edit", data=_form(duration_minutes="0")
    )
    assert response.status_code == 422
    db.session.refresh(acme.service)
    assert (acme.service.name, acme.service.duration_minutes) == ("Consultation", 60)


def test_unticking_active_in_the_form_deactivates(acme, as_user) -> None:
    data = _form()
    del data["active"]
    assert (
        as_user(acme.admin).post(f"/settings/calendar/events/{acme.service.id}/edit", data=data).status_code
        == 303
    )
    db.session.refresh(acme.service)
    assert acme.service.active is False


def test_deactivation_asks_first_and_reactivation_restores(acme, as_user) -> None:
    http = as_user(acme.admin)
    url = f"/settings/calendar/events/{acme.service.id}/deactivate"
    question = http.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Deactivate Consultation?" in question and "<html" not in question
    db.session.refresh(acme.service)
    assert acme.service.active is True

    assert http.post(url).status_code == 303
    db.session.refresh(acme.service)
    assert acme.service.active is False
    assert "Inactive" in http.get("/settings/calendar/events").get_data(as_text=True)

    assert http.post(f"/settings/calendar/events/{acme.service.id}/reactivate").status_code == 303
    db.session.refresh(acme.service)
    assert acme.service.active is True


def test_another_organizations_admin_cannot_see_or_change_acme_events(acme, rival, as_user) -> None:
    http = as_user(rival.admin)
    base = f"/settings/calendar/events/{acme.service.id}"
    assert http.get(f"{base}/edit").status_code == 404
    assert http.post(f"{base}/edit", data=_form(name="Hijacked")).status_code == 404
    assert http.get(f"{base}/deactivate").status_code == 404
    assert http.post(f"{base}/deactivate").status_code == 404
    assert http.post(f"{base}/reactivate").status_code == 404
    listing = http.get("/settings/calendar/events").get_data(as_text=True)
    assert f'id="service-{rival.service.id}"' in listing
    assert f'id="service-{acme.service.id}"' not in listing
    db.session.refresh(acme.service)
    assert (acme.service.name, acme.service.active) == ("Consultation", True)
