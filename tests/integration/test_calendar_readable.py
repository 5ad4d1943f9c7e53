"""A calendar readable at a glance: in the Everyone view each event wears its staff member's colour
(chosen by an admin in Settings → Team, else the palette's), with a legend; one person's calendar keeps
the services' colours; each event carries its Zoom state and meeting ID for the list that phones and
printers get; and the page's language comes from one place."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from conecta.calendar.layout import STAFF_PALETTE, staff_color
from conecta.extensions import db
from conecta.models import Client, ZoomState
from tests.support.factories import with_zoom

MONDAY_NINE = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)  # 09:00 in America/Tijuana
WEEK = "/calendar/?date=2030-01-07"


def _style_color(html: str, appointment_id: int) -> str:
    found = re.search(rf'data-appointment-id="{appointment_id}" style="[^"]*--color:(#[0-9a-f]{{6}})', html)
    assert found, html
    return found.group(1)


def test_everyone_is_coloured_by_person_with_a_legend_and_one_person_by_service(acme, as_user) -> None:
    acme.service.color = "#0f766e"
    acme.staff.color = "#aa1111"
    db.session.commit()
    mine = acme.book(MONDAY_NINE)
    admins = acme.book(MONDAY_NINE, staff=acme.admin, client=acme.other_client)
    http = as_user(acme.staff)

    html = http.get(WEEK).get_data(as_text=True)
    assert _style_color(html, mine.id) == "#aa1111"
    assert _style_color(html, admins.id) == STAFF_PALETTE[acme.admin.id % len(STAFF_PALETTE)]
    legend = re.search(
        r'<ul class="staff-legend" aria-label="Colour of each team member">(.*?)</ul>', html, re.S
    )
    assert legend and "Sam Staff" in legend.group(1) and "background: #aa1111" in legend.group(1)

    one = http.get(f"{WEEK}&staff={acme.staff.id}").get_data(as_text=True)
    assert _style_color(one, mine.id) == "#0f766e"
    assert "staff-legend" not in one


def test_events_carry_their_zoom_state_and_empty_periods_say_so(acme, as_user) -> None:
    long_name = Client(org=acme.org, name="Maximiliana Bartholomew-Fitzgerald", email="max@acme.test")
    db.session.add(long_name)
    db.session.commit()
    video = acme.book(MONDAY_NINE + timedelta(days=1), client=long_name, service=acme.zoom_service)
    with_zoom(video, wanted=True, state=ZoomState.READY, meeting_id="81234567890")
    acme.book(MONDAY_NINE)
    db.session.commit()

    html = as_user(acme.staff).get(WEEK).get_data(as_text=True)
    assert (
        'Maximiliana Bartholomew-Fitzgerald</span> <span class="event-meta">Video call · Sam Staff</span>'
        in html
    )
    assert '<span class="event-zoom">Zoom ready · ID 812 3456 7890</span></a>' in html
    assert html.count('class="event-zoom"') == 1  # an appointment without Zoom says nothing of it
    assert "No appointments this week." not in html

    day = as_user(acme.staff).get("/calendar/?view=day&date=2030-01-09").get_data(as_text=True)
    assert "No appointments this day." in day


def test_an_admin_chooses_a_colour_and_nonsense_is_refused(acme, as_user) -> None:
    http = as_user(acme.admin)
    assert 'aria-label="Calendar colour of Sam Staff"' in http.get("/settings/team").get_data(as_text=True)
    response = http.post(f"/settings/team/{acme.staff.id}/color", data={"color": "#A1B2C3"})
    assert response.status_code == 303
    db.session.refresh(acme.staff)
    assert acme.staff.color == "#a1b2c3"
    for nonsense in ("red", "#12345g", "#1234567", "</style><script>", ""):
        refused = http.post(f"/settings/team/{acme.staff.id}/color", data={"color": nonsense})
        assert refused.status_code == 422
        assert "Pick a colour like #2563eb." in refused.get_data(as_text=True)
    db.session.refresh(acme.staff)
    assert acme.staff.color == "#a1b2c3"
    assert staff_color(acme.staff.id, "not a colour") == STAFF_PALETTE[acme.staff.id % len(STAFF_PALETTE)]


def test_pages_say_their_language_and_offer_a_skip_link(acme, as_user, client) -> None:
    for html in (
        client.get("/login").get_data(as_text=True),
        as_user(acme.staff).get(WEEK).get_data(as_text=True),
    ):
        assert '<html lang="en">' in html
        assert '<a class="skip-link" href="#main">Skip to main content</a>' in html
        assert '<main id="main" tabindex="-1">' in html
