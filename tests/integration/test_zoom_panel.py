"""The Zoom panel (drawer, modal, portal), the Start and Retry routes, and the service toggle.

The host's start URL must never reach a page a client can see; staff reach it only through
/bookings/<id>/zoom/start, which redirects.
"""

from __future__ import annotations

import html
import re
import time
from datetime import timedelta

import pytest

from conecta.extensions import db
from conecta.models import Appointment, Service
from conecta.models.types import utcnow
from tests.support.zoom_sync import START, api_calls, book, booking_form, edit, fresh, settle

HX = {"HX-Request": "true"}


@pytest.fixture
def ready(sync_app, connected, zoom_sandbox):
    """A booking of acme's client whose Zoom meeting is ready."""
    return settle(sync_app, book(connected).id)


def polls(page: str) -> bool:
    """The panel re-fetches itself: at once, to be answered when the job settles (conecta.zoom.panel_push)."""
    return '/zoom?wait=1"' in page and 'hx-trigger="load, zoom-panel-retry"' in page


def assert_no_start_url(page: str, appointment) -> None:
    assert appointment.zoom.start_url not in page
    assert html.escape(appointment.zoom.start_url) not in page
    assert "zak=" not in page


# ---- states --------------------------------------------------------------------------------------------


def test_after_booking_the_modal_shows_a_pending_panel_that_asks_for_news(sync_app, connected, as_user):
    answer = as_user(connected.staff).post(
        "/bookings/new",
        data=booking_form(connected),
        headers=HX,
    )
    assert answer.status_code == 200
    (appointment_id,) = db.session.scalars(db.select(Appointment.id)).all()
    assert "Creating Zoom meeting…" in answer.text
    assert 'class="spinner"' in answer.text
    assert f'hx-get="/bookings/{appointment_id}/zoom?wait=1"' in answer.text
    assert 'hx-trigger="load, zoom-panel-retry"' in answer.text

    # The fragment keeps asking while the job has not run…
    pending = as_user(connected.staff).get(f"/bookings/{appointment_id}/zoom", headers=HX).text
    assert "<html" not in pending and polls(pending)

    # …and, once it has, answers with the Join button and stops asking.
    assert settle(sync_app, appointment_id).zoom_state == "ready"
    done = as_user(connected.staff).get(f"/bookings/{appointment_id}/zoom", headers=HX).text
    assert not polls(done)
    assert "Join Zoom Meeting" in done


def test_ready_panel_for_staff(ready, connected, as_user):
    """The host (the appointment's staff member) starts the meeting: Start first, Join second. Other staff
    join: Join first."""
    page = as_user(connected.staff).get(f"/bookings/{ready.id}/zoom", headers=HX).text
    start = f'<a class="button primary" href="/bookings/{ready.id}/zoom/start" target="_blank"'
    join = re.search(
        r'<a class="button" href="([^"]+)" target="_blank" rel="noopener noreferrer">Join Zoom Meeting</a>',
        page,
    )
    assert start in page and page.index(start) < join.start()
    assert join and html.unescape(join.group(1)) == ready.zoom.join_url
    colleague = as_user(connected.admin).get(f"/bookings/{ready.id}/zoom", headers=HX).text
    assert re.search(r'<a class="button primary" href="[^"]+" [^>]*>Join Zoom Meeting</a>', colleague)
    assert f'<a class="button" href="/bookings/{ready.id}/zoom/start"' in colleague
    digits = ready.zoom.meeting_id
    assert f"{digits[:3]} {digits[3:7]} {digits[7:]}" in page  # Zoom's grouping of an 11-digit id
    assert f"<code>{ready.zoom.passcode}</code>" in page
    assert f'href="/bookings/{ready.id}/zoom/start" target="_blank"' in page and "Start meeting" in page
    assert_no_start_url(page, ready)


def test_the_drawer_and_the_modal_carry_the_panel(ready, connected, as_user):
    staff = as_user(connected.staff)
    for url in (f"/calendar/appointments/{ready.id}", f"/bookings/{ready.id}"):
        for headers in (HX, {}):
            page = staff.get(url, headers=headers).text
            assert "Join Zoom Meeting" in page and "Start meeting" in page, url
            assert_no_start_url(page, ready)


def test_ready_panel_for_the_client_has_join_and_passcode_but_nothing_of_the_host(ready, connected, as_user):
    page = as_user(connected.client).get(f"/portal/bookings/{ready.id}").text
    assert "Join Zoom Meeting" in page and f"<code>{ready.zoom.passcode}</code>" in page
    assert "Start meeting" not in page and "/zoom/start" not in page
    assert_no_start_url(page, ready)


def test_no_portal_page_contains_a_start_url(ready, connected, as_user, sync_app):
    """Every GET route of the portal, as the client who owns the booking, page and fragment alike."""
    client = as_user(connected.client)
    checked = 0
    for rule in sync_app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal.") or "GET" not in rule.methods:
            continue
        if set(rule.arguments) - {"appointment_id"}:
            continue  # e.g. the invite token page: it shows no booking at all
        url = rule.build({"appointment_id": ready.id} if rule.arguments else {})[1]
        for headers in (HX, {}):
            answer = client.get(url, headers=headers)
            assert answer.status_code == 200, url
            assert_no_start_url(answer.text, ready)
            checked += 1
    assert checked >= 6  # index, booking detail and the Zoom panel, each as page and fragment


def test_passcode_is_left_out_when_zoom_gives_none(sync_app, connected, zoom_sandbox, as_user):
    zoom_sandbox.configure(REQUIRE_PASSCODE=False)
    appointment = settle(sync_app, book(connected).id)
    for page in (
        as_user(connected.client).get(f"/portal/bookings/{appointment.id}").text,
        as_user(connected.staff).get(f"/bookings/{appointment.id}").text,
    ):
        assert "Join Zoom Meeting" in page
        assert "Passcode" not in page and "None" not in page and "undefined" not in page


def test_failed_shows_the_reason_and_retry_to_staff_and_coming_soon_to_the_client(
    sync_app, connected, zoom_sandbox, as_user
):
    zoom_sandbox.set_faults(
        errors=[
            {
                "method": "POST",
                "path": connected.create_path,
                "status": 400,
                "code": 300,
                "message": "Invalid field: topic.",
            }
        ]
    )
    appointment = settle(sync_app, book(connected).id)
    staff_page = as_user(connected.staff).get(f"/bookings/{appointment.id}/zoom", headers=HX).text
    assert "Zoom meeting failed" in staff_page and "Invalid field: topic." in staff_page
    assert ">Retry</button>" in staff_page and not polls(staff_page)
    client_page = as_user(connected.client).get(f"/portal/bookings/{appointment.id}").text
    assert "Meeting link coming soon" in client_page
    assert "Invalid field" not in client_page and "Retry" not in client_page

    zoom_sandbox.clear_faults()
    retried = as_user(connected.staff).post(f"/bookings/{appointment.id}/zoom/retry", headers=HX)
    assert retried.status_code == 200
    assert "Creating Zoom meeting…" in retried.text and polls(retried.text)
    assert fresh(appointment.id).zoom_state == "pending"
    appointment = settle(sync_app, appointment.id)
    assert appointment.zoom_state == "ready"
    assert (
        "Join Zoom Meeting"
        in as_user(connected.staff).get(f"/bookings/{appointment.id}/zoom", headers=HX).text
    )


def test_retry_without_htmx_redirects_and_does_nothing_when_nothing_failed(ready, connected, as_user):
    answer = as_user(connected.staff).post(f"/bookings/{ready.id}/zoom/retry")
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/bookings/{ready.id}/zoom")
    assert fresh(ready.id).zoom_state == "ready" and fresh(ready.id).zoom.sync_requested_at is None


def test_cancelled_shows_zoom_meeting_deleted(sync_app, ready, connected, as_user):
    answer = as_user(connected.staff).post(f"/bookings/{ready.id}/cancel", headers=HX)
    assert "Deleting Zoom meeting…" in answer.text
    settle(sync_app, ready.id)
    for page in (
        as_user(connected.staff).get(f"/bookings/{ready.id}/zoom", headers=HX).text,
        as_user(connected.client).get(f"/portal/bookings/{ready.id}/zoom", headers=HX).text,
    ):
        assert "Zoom meeting deleted" in page and "Join Zoom Meeting" not in page


def test_a_reschedule_keeps_showing_the_link_while_zoom_is_updated(sync_app, ready, connected, as_user):
    edit(ready, starts_at=START + timedelta(hours=1))
    page = as_user(connected.client).get(f"/portal/bookings/{ready.id}/zoom", headers=HX).text
    assert "Updating Zoom meeting…" in page and "Join Zoom Meeting" in page and polls(page)


def test_a_booking_without_zoom_offers_staff_add_and_shows_the_client_nothing(sync_app, connected, as_user):
    appointment = book(connected, service=connected.service)
    staff_view = as_user(connected.staff).get(f"/bookings/{appointment.id}").text
    assert "No Zoom meeting" in staff_view and "Add Zoom meeting" in staff_view
    assert "zoom-panel" not in as_user(connected.client).get(f"/portal/bookings/{appointment.id}").text


# ---- Start meeting -------------------------------------------------------------------------------------


def test_start_redirects_to_the_stored_url_while_it_is_fresh(ready, connected, zoom_sandbox, as_user):
    before = api_calls(zoom_sandbox)  # the create
    answer = as_user(connected.staff).get(f"/bookings/{ready.id}/zoom/start")
    assert answer.status_code == 302 and answer.headers["Location"] == ready.zoom.start_url
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert api_calls(zoom_sandbox) == before  # no call to Zoom


def test_start_fetches_a_fresh_url_when_the_stored_one_is_old(ready, connected, zoom_sandbox, as_user):
    stale = ready.zoom.start_url
    ready.zoom.start_url_issued_at = utcnow() - timedelta(minutes=101)
    db.session.commit()
    before = api_calls(zoom_sandbox)  # the create
    answer = as_user(connected.staff).get(f"/bookings/{ready.id}/zoom/start")
    assert answer.status_code == 302
    assert answer.headers["Location"] != stale and "zak=" in answer.headers["Location"]
    assert api_calls(zoom_sandbox) == [*before, ("GET", f"/v2/meetings/{ready.zoom.meeting_id}")]
    appointment = fresh(ready.id)
    assert appointment.zoom.start_url == answer.headers["Location"]
    assert utcnow() - appointment.zoom.start_url_issued_at < timedelta(minutes=1)


def test_start_says_so_when_zoom_does_not_answer_in_time(sync_app, ready, connected, zoom_sandbox, as_user):
    sync_app.config["ZOOM_START_TIMEOUT_SECONDS"] = 1
    ready.zoom.start_url_issued_at = utcnow() - timedelta(minutes=101)
    db.session.commit()
    zoom_sandbox.set_faults(
        errors=[{"method": "GET", "path": f"/v2/meetings/{ready.zoom.meeting_id}", "held": True, "count": 1}]
    )
    started = time.monotonic()
    answer = as_user(connected.staff).get(f"/bookings/{ready.id}/zoom/start")
    assert time.monotonic() - started < 2.5  # bounded by the timeout, not by Zoom
    assert answer.status_code == 502
    assert "Zoom did not answer" in answer.text
    assert f'href="/bookings/{ready.id}/zoom/start">Try again</a>' in answer.text
    assert_no_start_url(answer.text, ready)


def test_start_when_zoom_fails_shows_a_page_with_retry(ready, connected, zoom_sandbox, as_user):
    ready.zoom.start_url_issued_at = utcnow() - timedelta(minutes=101)
    db.session.commit()
    zoom_sandbox.set_faults(
        errors=[{"method": "GET", "path": f"/v2/meetings/{ready.zoom.meeting_id}", "status": 503}]
    )
    answer = as_user(connected.staff).get(f"/bookings/{ready.id}/zoom/start")
    assert answer.status_code == 502 and "Try again" in answer.text


def test_start_without_a_meeting_is_404_and_clients_cannot_start(sync_app, ready, connected, as_user):
    plain = book(connected, service=connected.service, starts_at=START + timedelta(days=1))
    assert as_user(connected.staff).get(f"/bookings/{plain.id}/zoom/start").status_code == 404
    assert as_user(connected.client).get(f"/bookings/{ready.id}/zoom/start").status_code == 403


# ---- the "Auto-create Zoom meeting" toggle --------------------------------------------------------------


def test_toggle_is_disabled_with_a_hint_while_zoom_is_not_connected(sync_app, acme, as_user):
    admin = as_user(acme.admin)
    form = admin.get(f"/settings/calendar/events/{acme.service.id}/edit").text
    checkbox = re.search(r'<input[^>]*name="zoom_auto_create"[^>]*>', form).group(0)
    assert "disabled" in checkbox
    assert "Auto-create Zoom meeting" in form
    assert 'href="/settings/integrations">Connect Zoom in Settings → Integrations</a>' in form

    listing = admin.get("/settings/calendar/events").text
    row = listing.split(f'id="service-zoom-{acme.service.id}"')[1].split("</div>")[0]
    assert "disabled" in row and f'aria-label="Auto-create Zoom meeting for {acme.service.name}"' in row


def test_the_server_refuses_to_switch_zoom_on_without_a_connection(sync_app, acme, as_user):
    admin = as_user(acme.admin)
    answer = admin.post(
        f"/settings/calendar/events/{acme.service.id}/edit",
        data={
            "name": "Consultation",
            "duration_minutes": 60,
            "color": "#3b82f6",
            "active": "y",
            "zoom_auto_create": "y",
        },
    )
    assert answer.status_code == 422
    assert "Connect Zoom in Settings → Integrations before turning on automatic Zoom meetings." in answer.text
    toggled = admin.post(
        f"/settings/calendar/events/{acme.service.id}/zoom", data={"zoom_auto_create": "y"}, headers=HX
    )
    assert toggled.status_code == 422 and "Connect Zoom" in toggled.text
    db.session.expire_all()
    assert db.session.get(Service, acme.service.id).zoom_auto_create is False


def test_once_connected_each_service_is_switched_on_and_off_on_its_own(sync_app, acme, connect_zoom, as_user):
    connect_zoom(acme)
    admin = as_user(acme.admin)
    saved = admin.post(
        f"/settings/calendar/events/{acme.service.id}/edit",
        data={
            "name": "Consultation",
            "duration_minutes": 60,
            "color": "#3b82f6",
            "active": "y",
            "zoom_auto_create": "y",
        },
    )
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(Service, acme.service.id).zoom_auto_create is True

    # From the list: switch the other one off, in place.
    cell = admin.post(f"/settings/calendar/events/{acme.zoom_service.id}/zoom", data={}, headers=HX)
    assert cell.status_code == 200 and f'id="service-zoom-{acme.zoom_service.id}"' in cell.text
    assert "checked" not in re.search(r'<input[^>]*name="zoom_auto_create"[^>]*>', cell.text).group(0)
    db.session.expire_all()
    assert db.session.get(Service, acme.zoom_service.id).zoom_auto_create is False
    assert db.session.get(Service, acme.service.id).zoom_auto_create is True  # untouched


def test_switching_zoom_off_is_allowed_while_disconnected(sync_app, acme, as_user):
    # acme.zoom_service has the toggle on but Zoom is not connected: it stays switchable off.
    form = as_user(acme.admin).get(f"/settings/calendar/events/{acme.zoom_service.id}/edit").text
    checkbox = re.search(r'<input[^>]*name="zoom_auto_create"[^>]*>', form).group(0)
    assert "disabled" not in checkbox and "checked" in checkbox
    answer = as_user(acme.admin).post(f"/settings/calendar/events/{acme.zoom_service.id}/zoom", data={})
    assert answer.status_code == 303
    db.session.expire_all()
    assert db.session.get(Service, acme.zoom_service.id).zoom_auto_create is False


def test_staff_read_the_toggle_but_cannot_change_it(sync_app, acme, as_user):
    listing = as_user(acme.staff).get("/settings/calendar/events").text
    assert "Zoom meetings on" in listing and 'name="zoom_auto_create"' not in listing
    assert (
        as_user(acme.staff).post(f"/settings/calendar/events/{acme.service.id}/zoom", data={}).status_code
        == 403
    )
