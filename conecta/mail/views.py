"""Staff actions that email a client: "Resend details" (booking modal) and "Send invite by email"
(client page). Both go through the outbox like every other client email."""

from __future__ import annotations

from flask import Blueprint, current_app, url_for
from flask_babel import gettext

from conecta.auth import throttle
from conecta.auth.permissions import same_org_or_404, staff_required
from conecta.extensions import db
from conecta.mail import outbox
from conecta.models import Appointment, Client
from conecta.web import fragment_or_redirect

bp = Blueprint("mail", __name__)


def _done(message: str, fallback: str):
    """htmx: a status line swapped in place; otherwise a flash and a 303 back."""
    return fragment_or_redirect("partials/_email_queued.html", fallback, message)


@bp.route("/bookings/<int:appointment_id>/resend-details", methods=["POST"])
@staff_required
def resend_details(appointment_id: int):
    appointment = same_org_or_404(db.session.get(Appointment, appointment_id))
    rows = outbox.resend_details(appointment)
    back = url_for("bookings.show", appointment_id=appointment.id)
    if len(rows) == 1:
        return _done(gettext("Details are on their way to %(address)s.", address=rows[0].to_address), back)
    return _done(gettext("Details are on their way to %(count)d clients.", count=len(rows)), back)


@bp.route("/clients/<int:client_id>/invite-email", methods=["POST"])
@staff_required
@throttle.sends_invite
def send_invite(client_id: int):
    client = same_org_or_404(db.session.get(Client, client_id))
    # The link in the email is on CONECTA_BASE_URL, whatever Host the request came with.
    row = outbox.send_portal_invite(client, current_app.config["CONECTA_BASE_URL"] + "/")
    return _done(
        f"Portal invite is on its way to {row.to_address}.", url_for("clients.detail", client_id=client.id)
    )
