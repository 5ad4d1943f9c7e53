"""Emails that carry a password link (conecta.auth.links): a team member's invite, a portal client's
invite, and Forgot password for either. They go through the outbox like every other email (retries,
Settings → Emails), but the row never holds the link: it is signed when the message is composed, so
its hour (or week) starts at delivery, and a password set meanwhile kills it.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import make_msgid

from flask import current_app, render_template, url_for
from flask_babel import gettext as _

from conecta.auth import links
from conecta.extensions import db
from conecta.mail.send import enqueue_send
from conecta.models import Client, User
from conecta.models.email import EmailKind, EmailStatus, OutboxEmail
from conecta.models.types import utcnow


def link_url(who: User | Client, purpose: str) -> str:
    """The absolute link (on CONECTA_BASE_URL) where `who` sets a password."""
    token = links.make_token(who, purpose)
    endpoint = "auth.set_password" if who.kind == "user" else "portal.accept_invite"
    with current_app.test_request_context(base_url=current_app.config["CONECTA_BASE_URL"] + "/"):
        return url_for(endpoint, token=token, _external=True)


def subject(kind: EmailKind, org_name: str) -> str:
    if kind == EmailKind.STAFF_INVITE:
        return _("%(org)s invited you to Conecta", org=org_name)
    if kind == EmailKind.PORTAL_INVITE:
        return f"{org_name} invited you to the client portal"
    return _("Reset your password · %(org)s", org=org_name)


def queue(who: User | Client, kind: EmailKind) -> OutboxEmail:
    """Add the outbox row for `who` and commit; the send job is enqueued after the commit."""
    row = OutboxEmail(
        org_id=who.org_id,
        client_id=who.id if who.kind == "client" else None,
        user_id=who.id if who.kind == "user" else None,
        kind=kind,
        to_address=who.email,
        subject=subject(kind, who.org.name),
        status=EmailStatus.QUEUED,
        attempts=0,
        dedupe_key=f"{who.kind}:{who.id}:{kind.value}:{make_msgid().strip('<>')}"[:120],
        message_id=make_msgid(domain="conecta"),
        link_base=current_app.config["CONECTA_BASE_URL"] + "/",
    )
    db.session.add(row)
    db.session.commit()
    enqueue_send(row.id)
    return row


def compose(row: OutboxEmail):
    """The invite or reset message of `row`, with a link signed now."""
    from conecta.mail.compose import Composed
    from conecta.templating import fmt_datetime

    who: User | Client = row.user if row.user_id is not None else row.client
    org = who.org
    purpose = links.RESET if row.kind == EmailKind.PASSWORD_RESET else links.INVITE
    expires = utcnow() + timedelta(seconds=links.max_age(purpose))
    context = {
        "kind": row.kind.value,
        "org_name": org.name,
        "name": who.name,
        "email": who.email,
        "url": link_url(who, purpose),
        "expires": f"{fmt_datetime(expires, org.timezone)} ({org.timezone})",
        "staff": who.kind == "user",
    }
    return Composed(
        subject=subject(row.kind, org.name),
        text=render_template("mail/password_link.txt", **context),
        html=render_template("mail/password_link.html", **context),
    )
