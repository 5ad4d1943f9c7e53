"""A group session in a real browser, with a real worker process, the Zoom sandbox and real SMTP: staff
book three clients in the modal; Zoom gets one meeting, titled with the service's name; each client gets
their own email with the link, naming nobody else; removing one client in the drawer sends exactly one
email (theirs) and leaves the meeting alone; a participant sees the session with Join in the portal."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.test_zoom_meeting import zoom_ready_acme  # noqa: F401
from tests.browser.test_zoom_rule import mail_to  # noqa: F401
from tests.support.factories import PASSWORD
from tests.support.groups import add_group_clinic
from tests.support.smtp import outbox, text_parts
from tests.support.worker import wait_until
from tests.support.zoom_sync import api_calls, fresh, meetings


def test_a_group_of_three_has_one_meeting_each_client_gets_the_link_and_a_removal_sends_one_email(
    zoom_ready_acme,  # noqa: F811
    zoom_live_app,
    zoom_sandbox,
    mail_to,  # noqa: F811
    worker_process,
    browser,
    live_server,
    page,
    sign_in,
):
    clinic = add_group_clinic(zoom_ready_acme)
    carla, omar, pia = clinic.clients[:3]
    worker_process(zoom_live_app)
    sign_in(page, zoom_ready_acme.staff.email, PASSWORD)
    page.goto("/calendar/?date=2030-03-11")

    page.get_by_role("link", name="New booking", exact=True).click()
    modal = page.get_by_role("dialog", name="New booking")
    modal.get_by_label("Client", exact=True).select_option(str(carla.id))
    modal.get_by_label("Other clients (group sessions)").select_option([str(omar.id), str(pia.id)])
    modal.get_by_label("Service").select_option(label="Group therapy (60 min)")
    modal.get_by_label("Date").fill("2030-03-11")
    modal.get_by_label("Time").fill("10:00")
    assert_accessible(page, "booking modal, a group's clients")
    modal.get_by_role("button", name="Save booking").click()
    expect(page.locator("#booking-modal")).to_contain_text("Booking saved")

    # One meeting, titled with the service's name; each client their own email with its link.
    wait_until(lambda: len(mail_to.messages) >= 3, timeout=40, what="the three confirmations")
    (meeting,) = meetings(zoom_sandbox)
    assert meeting["topic"] == "Group therapy"
    session_id = outbox()[0].appointment_id
    join_url = fresh(session_id).zoom.join_url
    everyone = clinic.clients
    for client in (carla, omar, pia):
        (message,) = [m.message for m in mail_to.messages if m.message["To"] == client.email]
        assert join_url in text_parts(message)["text/plain"]
        for other in everyone:
            if other.id != client.id:
                assert other.name not in message.as_string() and other.email not in message.as_string()

    # The drawer lists the clients; Remove one: exactly one email, theirs, and no Zoom call.
    calls = len(api_calls(zoom_sandbox))
    page.goto(f"/calendar/appointments/{session_id}")
    drawer = page.get_by_role("dialog", name="Group therapy · 3/3")
    expect(drawer.get_by_role("region", name=re.compile("Clients"))).to_contain_text(omar.name)
    assert_accessible(page, "event drawer, a group session's clients")
    drawer.get_by_role("button", name=f"Remove {omar.name}").click()
    expect(page.locator("#booking-modal")).to_contain_text("The client is removed")
    expect(page.get_by_role("dialog", name="Group therapy · 2/3")).to_be_visible()
    wait_until(
        lambda: all(row.status == "sent" for row in outbox()) and len(mail_to.messages) >= 4,
        timeout=30,
        what="the removal's email",
    )
    assert len(mail_to.messages) == 4
    removal = mail_to.messages[3].message
    assert removal["To"] == omar.email and removal["Subject"].startswith("Cancelled: Group therapy")
    assert len(api_calls(zoom_sandbox)) == calls
    assert [m["id"] for m in meetings(zoom_sandbox)] == [meeting["id"]]

    # Pia sees the session with Join in her portal, and nobody else in it.
    portal = browser.new_context(base_url=live_server.url).new_page()
    portal.goto("/portal/login")
    portal.get_by_label("Email").fill(pia.email)
    portal.get_by_label("Password").fill(PASSWORD)
    portal.get_by_role("button", name="Sign in").click()
    portal.goto(f"/portal/bookings/{session_id}")
    expect(portal.get_by_role("link", name="Join Zoom Meeting")).to_have_attribute("href", join_url)
    assert carla.name not in portal.content() and omar.email not in portal.content()
    portal.context.close()
