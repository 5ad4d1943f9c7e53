"""Settings → Emails: the organization's email outbox, for admins — what went out, what is waiting,
what failed and why, with a Retry for messages that gave up."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from conecta.auth.permissions import admin_required, same_org_or_404
from conecta.extensions import db
from conecta.mail import outbox
from conecta.models.email import OutboxEmail
from conecta.settings import bp
from conecta.web import fragment_or_redirect, render_page_or_fragment

SHOWN = 200
# Rows still moving: the fragment keeps re-fetching itself while any is on screen.
IN_FLIGHT = ("waiting", "queued", "sending", "retrying")


def outbox_context() -> dict:
    """The outbox table's context: the latest rows, and whether any is still moving."""
    query = (
        select(OutboxEmail)
        .where(OutboxEmail.org_id == current_user.org_id)
        .order_by(OutboxEmail.id.desc())
        .limit(SHOWN)
    )
    rows = list(db.session.scalars(query))
    return {"rows": rows, "polling": any(r.status in IN_FLIGHT for r in rows), "shown": SHOWN}


@bp.route("/emails")
@admin_required
def emails():
    from conecta.settings.reminders import reminder_form

    return render_page_or_fragment(
        "settings/emails.html",
        "partials/_email_outbox.html",
        active_tab="emails",
        reminder_form=reminder_form(current_user.org),
        **outbox_context(),
    )


@bp.route("/emails/<int:email_id>/retry", methods=["POST"])
@admin_required
def retry_email(email_id: int):
    row = same_org_or_404(db.session.get(OutboxEmail, email_id))
    retried = outbox.retry(row)
    message = (
        gettext("Retrying the email to %(address)s.", address=row.to_address)
        if retried
        else gettext("That email is not failed: nothing to retry.")
    )
    return fragment_or_redirect(
        "partials/_email_outbox.html", url_for("settings.emails"), message, **outbox_context()
    )
