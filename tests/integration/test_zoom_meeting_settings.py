"""Meeting settings per service: sent on create, PATCHed onto upcoming meetings when they change, read back
from Zoom afterwards -- and the drawer says when the account's policies kept something else."""

from __future__ import annotations

from datetime import timedelta

from conecta.extensions import db
from conecta.models.types import utcnow
from conecta.zoom.client import ZoomClient
from tests.support.zoom_sync import START, api_calls, audit_events, book, fresh, meetings, settle

HX = {"HX-Request": "true"}
FORM = {
    "name": "Video call",
    "duration_minutes": "30",
    "description": "",
    "color": "#3b82f6",
    "active": "y",
    "zoom_auto_create": "y",
    "zoom_auto_recording": "none",
}


def save_service(as_user, org, **settings):
    answer = as_user(org.admin).post(
        f"/settings/calendar/events/{org.zoom_service.id}/edit", data={**FORM, **settings}
    )
    assert answer.status_code == 303, answer.text
    return answer


def test_a_services_settings_are_sent_on_create_and_read_back(sync_app, connected, zoom_sandbox, as_user):
    save_service(
        as_user, connected, zoom_waiting_room="y", zoom_mute_upon_entry="y", zoom_auto_recording="cloud"
    )
    appointment = settle(sync_app, book(connected).id)

    (meeting,) = meetings(zoom_sandbox)
    settings = meeting["settings"]
    assert settings["waiting_room"] and settings["mute_upon_entry"] and settings["auto_recording"] == "cloud"
    assert not settings["join_before_host"]
    assert api_calls(zoom_sandbox) == [("POST", connected.create_path)]  # its answer is the read-back
    assert appointment.zoom.applied_settings == {
        "waiting_room": True,
        "join_before_host": False,
        "mute_upon_entry": True,
        "auto_recording": "cloud",
        "passcode": True,
    }
    panel = as_user(connected.staff).get(f"/bookings/{appointment.id}/zoom", headers=HX).text
    assert "zoom-warnings" not in panel  # Zoom applied what was asked


def test_a_create_answer_without_settings_is_read_back(sync_app, connected, zoom_sandbox, monkeypatch):
    zoom_sandbox.set_policies(locked_settings={"mute_upon_entry": True})
    create = ZoomClient.create_meeting

    def without_settings(self, body, **kwargs):
        return {k: v for k, v in create(self, body, **kwargs).items() if k != "settings"}

    monkeypatch.setattr(ZoomClient, "create_meeting", without_settings)
    appointment = settle(sync_app, book(connected).id)
    meeting_id = appointment.zoom.meeting_id
    assert api_calls(zoom_sandbox) == [("POST", connected.create_path), ("GET", f"/v2/meetings/{meeting_id}")]
    assert appointment.zoom.applied_settings["mute_upon_entry"] is True


def test_the_account_policy_wins_and_the_drawer_says_so(sync_app, connected, zoom_sandbox, as_user):
    zoom_sandbox.set_policies(locked_settings={"waiting_room": True, "auto_recording": "local"})
    appointment = settle(sync_app, book(connected).id)  # the service asks for neither
    assert appointment.zoom.applied_settings["waiting_room"] is True
    panel = as_user(connected.staff).get(f"/bookings/{appointment.id}/zoom", headers=HX).text
    assert "Your Zoom account requires a waiting room." in panel
    assert "Your Zoom account records meetings on the host&#39;s computer." in panel
    client_panel = as_user(connected.client).get(f"/portal/bookings/{appointment.id}/zoom", headers=HX).text
    assert "waiting room" not in client_panel


def test_changed_settings_are_patched_onto_upcoming_meetings_only(sync_app, connected, zoom_sandbox, as_user):
    upcoming = settle(sync_app, book(connected).id)
    past = settle(sync_app, book(connected, starts_at=START + timedelta(days=1)).id)
    past.starts_at = utcnow() - timedelta(days=2)  # as if it had happened (Zoom keeps it as it was)
    db.session.commit()
    answer = save_service(as_user, connected, zoom_join_before_host="y")
    assert fresh(upcoming.id).zoom_state == "pending" and fresh(past.id).zoom_state == "ready"

    upcoming = settle(sync_app, upcoming.id)
    meeting = next(m for m in meetings(zoom_sandbox) if str(m["id"]) == upcoming.zoom.meeting_id)
    assert meeting["settings"]["join_before_host"] is True
    calls = api_calls(zoom_sandbox)
    assert calls[-2:] == [
        ("PATCH", f"/v2/meetings/{meeting['id']}"),
        ("GET", f"/v2/meetings/{meeting['id']}"),
    ]
    assert not any(
        path == f"/v2/meetings/{past.zoom.meeting_id}" for method, path in calls if method == "PATCH"
    )
    assert upcoming.zoom.applied_settings["join_before_host"] is True
    assert "Zoom meeting updated: settings." in " ".join(audit_events_details(upcoming.id))
    assert answer.headers["Location"].endswith("/settings/calendar/events")


def test_an_unchanged_service_save_patches_nothing(sync_app, connected, zoom_sandbox, as_user):
    appointment = settle(sync_app, book(connected).id)
    before = api_calls(zoom_sandbox)
    save_service(as_user, connected, description="Now with a description")
    assert (
        fresh(appointment.id).zoom_state == "ready" and fresh(appointment.id).zoom.sync_requested_at is None
    )
    assert api_calls(zoom_sandbox) == before
    assert audit_events(appointment.id)[-1] == "zoom_meeting_created"


def test_require_a_passcode_asks_zoom_to_generate_one(sync_app, connected, zoom_sandbox, as_user):
    zoom_sandbox.configure(REQUIRE_PASSCODE=False)  # the account does not insist on passcodes
    without = settle(sync_app, book(connected).id)
    assert without.zoom.passcode is None

    save_service(as_user, connected, zoom_require_passcode="y")
    assert fresh(without.id).zoom_state == "ready"  # a passcode cannot be PATCHed on: nothing to do
    panel = as_user(connected.staff).get(f"/bookings/{without.id}/zoom", headers=HX).text
    assert "This meeting has no passcode" in panel
    with_passcode = settle(sync_app, book(connected, starts_at=START + timedelta(days=1)).id)
    assert with_passcode.zoom.passcode  # Zoom generated it (default_password), per the account's rules


def test_the_service_form_shows_and_validates_the_settings(sync_app, connected, as_user):
    page = as_user(connected.admin).get(f"/settings/calendar/events/{connected.zoom_service.id}/edit").text
    for label in ("Waiting room", "Participants may join before the host", "Mute participants on entry",
                  "Automatic recording", "Require a passcode"):  # fmt: skip
        assert label in page
    refused = as_user(connected.admin).post(
        f"/settings/calendar/events/{connected.zoom_service.id}/edit",
        data={**FORM, "zoom_auto_recording": "tape"},
    )
    assert refused.status_code == 422 and "Not a valid choice" in refused.text
    assert fresh_service(connected).zoom_auto_recording == "none"


def audit_events_details(appointment_id: int) -> list[str]:
    from conecta.models.audit import AuditEvent

    return list(
        db.session.scalars(db.select(AuditEvent.detail).where(AuditEvent.appointment_id == appointment_id))
    )


def fresh_service(org):
    db.session.expire_all()
    return db.session.get(type(org.zoom_service), org.zoom_service.id)
