"""The pages around client emails: Settings → Emails, "Resend details", "Send invite by email", the
dev mail catcher and the Dev mailbox page — over real HTTP test clients and a real SMTP server."""

from __future__ import annotations

import re
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from html import unescape

import pytest

from conecta.extensions import db
from conecta.mail.catcher import MailboxHandler, list_messages
from conecta.mail.compose import ORG_HEADER
from tests.support import smtp as mail
from tests.support.factories import build_org
from tests.support.smtp import book, event_of, outbox, run_mail_worker, spare_port, text_parts

smtp_server = mail.smtp_server  # the fixture, for this module's tests

MONDAY_9AM = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)


@pytest.fixture
def app(make_app, smtp_server, tmp_path):
    app = make_app(**smtp_server.config(), ENV_NAME="development", MAIL_CATCHER_DIR=str(tmp_path / "mailbox"))
    with app.app_context():
        yield app


def test_settings_emails_lists_the_organizations_outbox_only(acme, smtp_server, as_user):
    book(acme, MONDAY_9AM)
    rival = build_org("Rival Studio", "Europe/Madrid", "rival")
    book(rival, MONDAY_9AM)
    run_mail_worker()

    page = as_user(acme.admin).get("/settings/emails")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "carla@acme.test" in html
    assert "carla@rival.test" not in html
    assert "Confirmation" in html and "Sent" in html
    assert 'aria-current="page">Emails</a>' in html  # the Settings tab

    fragment = as_user(acme.admin).get("/settings/emails", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="email-outbox"' in fragment.get_data(as_text=True)


def test_the_outbox_keeps_polling_while_a_message_is_on_its_way(acme, as_user):
    book(acme, MONDAY_9AM, zoom=True)  # waits for the Zoom meeting
    html = as_user(acme.admin).get("/settings/emails").get_data(as_text=True)
    assert "Waiting for Zoom" in html
    assert 'hx-trigger="load delay:2s"' in html


def test_resend_details_sends_the_current_details_again(acme, smtp_server, as_user):
    appointment = book(acme, MONDAY_9AM)
    run_mail_worker()

    response = as_user(acme.staff).post(f"/bookings/{appointment.id}/resend-details")
    assert response.status_code == 303
    fragment = as_user(acme.staff).post(
        f"/bookings/{appointment.id}/resend-details", headers={"HX-Request": "true"}
    )
    assert "Details are on their way to carla@acme.test." in fragment.get_data(as_text=True)
    run_mail_worker()

    assert [r.message["Subject"].split(":")[0] for r in smtp_server.messages] == [
        "Confirmed",
        "Your booking",
        "Your booking",
    ]
    sequences = [int(event_of(r.message)[1]["SEQUENCE"]) for r in smtp_server.messages]
    assert sequences == [0, 1, 2]
    assert [r.kind for r in outbox(appointment)] == ["confirmation", "details", "details"]


def test_send_invite_by_email_delivers_a_working_portal_link(acme, smtp_server, as_user, client):
    acme.client.password_hash = None  # not invited yet
    db.session.commit()
    response = as_user(acme.staff).post(f"/clients/{acme.client.id}/invite-email")
    assert response.status_code == 303
    run_mail_worker()

    [received] = smtp_server.messages
    message = received.message
    assert message["Subject"] == "Acme Clinic invited you to the client portal"
    assert received.envelope_to == ["carla@acme.test"]
    text = text_parts(message)["text/plain"]
    link = re.search(r"http://localhost/portal/invite/\S+", text).group(0)
    assert link in unescape(text_parts(message)["text/html"])
    assert client.get(link.removeprefix("http://localhost")).status_code == 200
    [row] = outbox()
    assert (row.kind, row.status) == ("portal_invite", "sent")


def test_the_catcher_stores_messages_the_dev_mailbox_shows(app, acme, rival, as_user, tmp_path):
    from aiosmtpd.controller import Controller

    mailbox = tmp_path / "mailbox"
    port = spare_port()
    catcher = Controller(MailboxHandler(mailbox), hostname="127.0.0.1", port=port)
    catcher.start()
    try:
        app.config["MAIL_PORT"] = port  # the app sends to the catcher, as in `scripts/run`
        book(acme, MONDAY_9AM)
        run_mail_worker()
        hostile = EmailMessage()
        hostile["From"], hostile["To"], hostile["Subject"] = "x@example.test", "y@example.test", "Hostile"
        hostile[ORG_HEADER] = str(acme.org.id)
        hostile.set_content("plain")
        hostile.add_alternative(
            '<p id="boom">hi</p><script>parent.document.title="owned"</script>', subtype="html"
        )
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(hostile)
    finally:
        catcher.stop()

    files = sorted(p.name for p in mailbox.iterdir())
    assert len(files) == 2 and all(name.endswith(".eml") for name in files)
    caught = list_messages(mailbox)
    confirmation = next(m for m in caught if m.subject.startswith("Confirmed"))
    assert "X-Envelope-To: carla@acme.test" in (mailbox / confirmation.name).read_text()

    staff = as_user(acme.staff)
    listing = staff.get("/dev/mailbox").get_data(as_text=True)
    assert confirmation.subject in unescape(listing)
    assert "invite.ics" in listing
    assert 'hx-get="/dev/mailbox"' in listing

    page = staff.get(f"/dev/mailbox/{confirmation.name}").get_data(as_text=True)
    frame = f'src="/dev/mailbox/{confirmation.name}/html"'
    assert 'sandbox=""' in page and frame in page
    assert "Monday 7 January 2030, 09:00–10:00 (Mexico (Tijuana) Time)" in page
    assert "invite.ics" in page and "application/ics" in page
    download = staff.get(f"/dev/mailbox/{confirmation.name}/attachments/0")
    assert download.status_code == 200
    assert b"BEGIN:VCALENDAR" in download.data
    assert "attachment" in download.headers["Content-Disposition"]

    hostile_name = next(m.name for m in caught if m.subject == "Hostile")
    body = staff.get(f"/dev/mailbox/{hostile_name}").get_data(as_text=True)
    # The HTML part is never part of our page: only its own URL serves it, into a sandboxed frame,
    # under a policy that runs no script, fetches nothing and lets only this site frame it.
    assert "<script>parent" not in body and "parent.document" not in body
    html_part = staff.get(f"/dev/mailbox/{hostile_name}/html")
    assert html_part.status_code == 200 and b'<p id="boom">' in html_part.data
    policy = html_part.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "frame-ancestors 'self'" in policy
    assert "script-src" not in policy

    # Another organization's staff see none of it (not even that it exists).
    other = as_user(rival.staff)
    assert confirmation.subject not in unescape(other.get("/dev/mailbox").get_data(as_text=True))
    for path in ("", "/html", "/attachments/0"):
        assert other.get(f"/dev/mailbox/{confirmation.name}{path}").status_code == 404

    assert staff.get("/dev/mailbox/..%2Fsecret.key").status_code == 404
    assert staff.get("/dev/mailbox/../secret.key").status_code == 404


def test_the_dev_mailbox_exists_only_in_development(make_app):
    production = make_app(ENV_NAME="production")
    assert "dev.mailbox" not in production.view_functions
    assert "settings.emails" in production.view_functions


def test_the_client_page_and_the_booking_modal_offer_the_email_actions(acme, as_user):
    appointment = book(acme, MONDAY_9AM)
    staff = as_user(acme.staff)

    client_page = staff.get(f"/clients/{acme.client.id}").get_data(as_text=True)
    assert f'action="/clients/{acme.client.id}/invite-email"' in client_page
    assert ">Send invite by email</button>" in client_page

    modal = staff.get(f"/bookings/{appointment.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'hx-post="/bookings/{appointment.id}/resend-details"' in modal
    assert ">Resend details</button>" in modal
    assert 'id="resend-status"' in modal
