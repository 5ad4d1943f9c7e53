"""The staff member is emailed when their client cancels in the portal, with what the client wrote.

The row is written in the cancellation's transaction (`conecta.bookings.service.cancel_by_client`), so
the notice goes out exactly when the cancellation stands; it is not one of the client's appointment
messages (no calendar invite, no sequence) and nothing supersedes it. Composed at send time like every
message (`conecta.mail.compose.compose` calls `compose_client_cancelled`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, render_template, url_for
from flask_babel import gettext

from conecta.extensions import db
from conecta.models import Appointment
from conecta.models.email import EmailKind, EmailStatus, OutboxEmail

if TYPE_CHECKING:
    from conecta.mail.compose import Composed


def subject(client_name: str, service_name: str, when: str) -> str:
    return gettext(
        "Cancelled by %(client)s: %(service)s on %(when)s",
        client=client_name,
        service=service_name,
        when=when,
    )


def plan_client_cancelled(appointment: Appointment) -> OutboxEmail:
    """In the cancellation's transaction: the staff member's notice, queued (sent after the commit)."""
    from conecta.mail.compose import facts_for
    from conecta.mail.plan import new_message_id

    facts = facts_for(appointment, zone=appointment.org.timezone)  # staff read the organization's zone
    row = OutboxEmail(
        org_id=appointment.org_id,
        appointment_id=appointment.id,
        client_id=None,
        kind=EmailKind.CLIENT_CANCELLED,
        to_address=appointment.staff.email,
        subject=subject(facts.client_name, facts.service_name, facts.when_short),
        status=EmailStatus.QUEUED,
        attempts=0,
        dedupe_key=f"client-cancelled:{appointment.id}",
        message_id=new_message_id(),
    )
    db.session.add(row)
    return row


def compose_client_cancelled(row: OutboxEmail) -> Composed:
    from conecta.mail.compose import Composed, facts_for

    appointment = row.appointment
    facts = facts_for(appointment, zone=appointment.org.timezone)  # staff read the organization's zone
    row.to_address = appointment.staff.email  # the address as it is now
    with current_app.test_request_context(base_url=current_app.config["CONECTA_BASE_URL"] + "/"):
        booking_url = url_for("bookings.show", appointment_id=appointment.id, _external=True)
    context = {
        "facts": facts,
        "staff_name": appointment.staff.name,
        "client_email": appointment.client.email,
        "message": appointment.cancel_message,
        "booking_url": booking_url,
    }
    return Composed(
        subject=subject(facts.client_name, facts.service_name, facts.when_short),
        text=render_template("mail/client_cancelled.txt", **context),
        html=render_template("mail/client_cancelled.html", **context),
    )
