"""Settings → Emails: the organization's email outbox, for admins — what went out, what is waiting,
what failed and why, with a Retry for messages that gave up."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from conecta.auth.permissions import admin_required, same_org_or_404
from conecta.extensions import db, htmx
from conecta.mail import outbox
from conecta.models.email import OutboxEmail
from conecta.settings import bp

SHOWN = 200
# Rows still moving: the fragment keeps re-fetching itself while any is on screen.
IN_FLIGHT = ("waiting", "queued", "sending", "retrying")


def _outbox() -> list[OutboxEmail]:
    query = (
        select(OutboxEmail)
        .where(OutboxEmail.org_id == current_user.org_id)
        .order_by(OutboxEmail.id.desc())
        .limit(SHOWN)
    )
    return list(db.session.scalars(query))


def _render(template: str, **extra):
    rows = _outbox()
    polling = any(r.status in IN_FLIGHT for r in rows)
    return render_template(template, rows=rows, polling=polling, shown=SHOWN, **extra)


@bp.route("/emails")
@admin_required
def emails():
    if htmx and not htmx.history_restore_request:
        return _render("partials/_email_outbox.html")
    return _render("settings/emails.html", active_tab="emails")


@bp.route("/emails/<int:email_id>/retry", methods=["POST"])
@admin_required
def retry_email(email_id: int):
    row = same_org_or_404(db.session.get(OutboxEmail, email_id))
    retried = outbox.retry(row)
    message = (
        f"Retrying the email to {row.to_address}."
        if retried
        else "That email is not failed: nothing to retry."
    )
    if htmx:
        return _render("partials/_email_outbox.html", message=message)
    flash(message)
    return redirect(url_for("settings.emails"), code=303)
