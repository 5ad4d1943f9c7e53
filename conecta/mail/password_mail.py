"""Emails that carry a password link (conecta.auth.links): a team member's invite, a portal client's
invite, and Forgot password for either. They go through the outbox like every other email (retries,
Settings → Emails), but the row never holds the link: it is signed when the message is composed, so
its hour (or week) starts at delivery, and a password set meanwhile kills it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from email.utils import make_msgid

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from conecta.auth import links
from conecta.extensions import db
from conecta.jobs import app_job, enqueue
from conecta.mail.readers import Reader
from conecta.mail.send import enqueue_send
from conecta.models import Client, User
from conecta.models.email import EmailKind, EmailStatus, OutboxEmail
from conecta.models.types import utcnow

log = logging.getLogger(__name__)


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
        return _("%(org)s invited you to the client portal", org=org_name)
    return _("Reset your password · %(org)s", org=org_name)


def _provisional_subject(kind: EmailKind, who: User | Client) -> str:
    """Shown under Settings → Emails until the message is composed, in its recipient's language."""
    with force_locale(who.locale):
        return subject(kind, who.org.name)


def queue(who: User | Client, kind: EmailKind) -> OutboxEmail:
    """Add the outbox row for `who` and commit; the send job is enqueued after the commit."""
    row = OutboxEmail(
        org_id=who.org_id,
        client_id=who.id if who.kind == "client" else None,
        user_id=who.id if who.kind == "user" else None,
        kind=kind,
        to_address=who.email,
        subject=_provisional_subject(kind, who),
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


def compose(row: OutboxEmail, reader: Reader | None = None):
    """The invite or reset message of `row`, with a link signed now, for `reader` (its recipient's
    language, forced by `conecta.mail.compose`, and zone)."""
    from conecta.clinic import clinic_of
    from conecta.dates import format_instant, zone_name
    from conecta.mail.compose import Composed

    who: User | Client = row.user if row.user_id is not None else row.client
    org = who.org
    purpose = links.RESET if row.kind == EmailKind.PASSWORD_RESET else links.INVITE
    expires = utcnow() + timedelta(seconds=links.max_age(purpose))
    zone = reader.zone if reader is not None else org.timezone
    context = {
        "kind": row.kind.value,
        "org_name": org.name,
        "name": who.name,
        "email": who.email,
        "url": link_url(who, purpose),
        "expires": _(
            "%(when)s (%(zone)s)",
            when=format_instant(expires, zone, "datetime"),
            zone=zone_name(zone),
        ),
        "staff": who.kind == "user",
        # A client's email ends with the clinic's contact block and the portal link (conecta.clinic).
        "clinic": clinic_of(org) if who.kind == "client" else None,
    }
    return Composed(
        subject=subject(row.kind, org.name),
        text=render_template("mail/password_link.txt", **context),
        html=render_template("mail/password_link.html", **context),
    )


def accounts_for_reset(email: str, kind: str) -> list[User | Client]:
    """Who a Forgot password for `email` reaches: an active staff member ("user"), or clients of any
    organization who already use the portal ("client") -- a reset never grants portal access that staff
    have not offered with an invite. Deactivated staff get nothing: they could not sign in anyway."""
    if kind == "user":
        query = select(User).where(User.email == email, User.active.is_(True))
    else:
        query = select(Client).where(Client.email == email, Client.password_hash.is_not(None))
    return list(db.session.scalars(query))


@app_job
def send_resets(email: str, kind: str) -> int:
    """The worker's half of Forgot password: find the accounts and queue their reset emails."""
    found = accounts_for_reset(email, kind)
    for who in found:
        queue(who, EmailKind.PASSWORD_RESET)
    return len(found)


def request_reset(email: str, kind: str) -> None:
    """Forgot password, from the request: the lookup runs in the worker, so the request does the same
    work -- and takes the same time -- whether or not an account uses `email`. Without Redis it runs
    here (the answer stays the same; only its timing could differ)."""
    try:
        enqueue(send_resets, email, kind, job_id=f"password-reset-{uuid.uuid4().hex}", queue_name="mail")
    except Exception as exc:  # Redis down or misconfigured
        log.warning("could not enqueue a password reset (%s); handled in the request", exc)
        send_resets(email, kind)
