"""Each staff member hosts their own Zoom meetings, in a real browser with a real worker process and the
Zoom sandbox over HTTP: an admin connects for the whole Zoom account and maps a staff member to their
Zoom user; two appointments at the same hour for two staff get two hosts; reassigning one moves its
meeting to the other host."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from conecta.extensions import db
from conecta.models import Appointment
from tests.browser.axe import assert_accessible
from tests.support.factories import PASSWORD
from tests.support.worker import wait_until
from tests.support.zoom_hosts import add_member
from tests.support.zoom_sync import meetings

WEEK = "/calendar/?date=2030-03-11"


def book_in_the_modal(page: Page, client_id: int, staff_id: int) -> None:
    page.get_by_role("link", name="New booking", exact=True).click()
    modal = page.get_by_role("dialog", name="New booking")
    modal.get_by_label("Client", exact=True).select_option(str(client_id))
    modal.get_by_label("Service").select_option(label="Video call (30 min)")
    modal.get_by_label("Staff").select_option(str(staff_id))
    modal.get_by_label("Date").fill("2030-03-11")
    modal.get_by_label("Time").fill("10:00")
    modal.get_by_role("button", name="Save booking").click()


def hosts_by_client(sandbox) -> dict[str, str]:
    return {m["topic"].rsplit(" with ", 1)[1]: m["host_email"] for m in meetings(sandbox)}


def test_two_staff_get_two_hosts_and_a_reassigned_meeting_moves(
    acme, zoom_sandbox, zoom_live_app, worker_process, page: Page, sign_in
):
    diego = add_member(acme, "diego@acme.test", "Diego Dos")
    zoom_sandbox.add_user(acme.staff.email)  # matched by email
    diego_zoom = zoom_sandbox.add_user("d.dos@zoom.example", first_name="Diego", last_name="Dos")["id"]
    worker_process(zoom_live_app)

    # Connect for the whole Zoom account: the admin allows the admin scopes on Zoom's page.
    sign_in(page, acme.admin.email, PASSWORD)
    page.goto("/settings/integrations")
    page.get_by_role("button", name="Connect for the whole Zoom account (admin)").click()
    expect(page.get_by_text("user:read:list_users:admin")).to_be_visible()  # the consent page lists them
    page.get_by_role("button", name="Allow").click()
    expect(page.locator("#zoom-card")).to_contain_text("Whole Zoom account (admin)")
    expect(page.locator(f"#zoom-host-{acme.staff.id}")).to_contain_text("Matched by email")
    diego_row = page.locator(f"#zoom-host-{diego.id}")
    expect(diego_row).to_contain_text("No Zoom user")
    expect(diego_row).to_contain_text("Meetings for Diego Dos are hosted by host@example.com")

    # Map Diego to his Zoom user (another email than his Conecta one).
    diego_row.get_by_label("Zoom host of Diego Dos").select_option(diego_zoom)
    diego_row.get_by_role("button", name="Save host for Diego Dos").click()
    expect(page.locator(f"#zoom-host-{diego.id}")).to_contain_text("Chosen by an admin")
    expect(page.locator(f"#zoom-host-{diego.id}")).to_contain_text("d.dos@zoom.example")
    expect(page.get_by_role("status").filter(has_text="Zoom host for Diego Dos saved.")).to_be_visible()
    assert_accessible(page, "settings, Zoom hosts")

    # Two video appointments at the same hour, for Sam and for Diego: two hosts.
    page.goto(WEEK)
    book_in_the_modal(page, acme.client.id, acme.staff.id)
    panel = page.get_by_role("region", name="Zoom meeting")
    expect(panel.get_by_role("link", name="Join Zoom Meeting")).to_be_visible()
    expect(panel).to_contain_text("Hosted by staff@acme.test")
    page.keyboard.press("Escape")
    book_in_the_modal(page, acme.other_client.id, diego.id)
    expect(panel.get_by_role("link", name="Join Zoom Meeting")).to_be_visible()
    expect(panel).to_contain_text("Hosted by d.dos@zoom.example")
    expect(panel).not_to_contain_text("also hosts")  # two hosts: no clash
    assert hosts_by_client(zoom_sandbox) == {
        "Carla Client": "staff@acme.test",
        "Omar Other": "d.dos@zoom.example",
    }
    page.keyboard.press("Escape")

    # Reassign Omar's appointment to Sam: its meeting moves to Sam's host (a new meeting, a new link).
    (omar,) = _appointments(client_id=acme.other_client.id)
    old_link = omar.zoom.join_url
    page.locator("#calendar .event", has_text="Omar Other").click()
    drawer = page.locator("#event-drawer")
    expect(drawer).to_contain_text("Hosted by d.dos@zoom.example")
    drawer.get_by_role("link", name="Edit").click()
    modal = page.get_by_role("dialog", name="Edit booking")
    modal.get_by_label("Staff").select_option(str(acme.staff.id))
    modal.get_by_label("Time").fill("11:00")  # Sam is busy at 10:00
    modal.get_by_role("button", name="Save booking").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    expect(drawer).to_contain_text("Hosted by staff@acme.test")  # the drawer follows the edit

    wait_until(lambda: hosts_by_client(zoom_sandbox).get("Omar Other") == "staff@acme.test", timeout=20)
    assert len(meetings(zoom_sandbox)) == 2  # the meeting on Diego's host was deleted
    (omar,) = _appointments(client_id=acme.other_client.id)
    assert omar.zoom.join_url != old_link and omar.zoom.host_email == "staff@acme.test"


def _appointments(**filters):
    db.session.expire_all()
    return db.session.scalars(db.select(Appointment).filter_by(**filters)).all()
