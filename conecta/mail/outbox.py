"""Email actions outside the booking pipeline, and the outbox's safety net.

- `resend_details` ("Resend details" in the booking modal), `send_portal_invite` ("Send invite by email"
  on a client) and `retry` (an admin's Retry under Settings → Emails) add or requeue a row and enqueue it.
- `sweep()` catches up on what a Redis outage or a lost job left behind; the worker runs it periodically
  (`conecta.periodic`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import select, update

from conecta.extensions import db
from conecta.mail.plan import add_current_details, lock_appointment, new_message_id
from conecta.mail.send import enqueue_queued, enqueue_send
from conecta.mail.subjects import portal_invite_subject
from conecta.models import Appointment, Client
from conecta.models.email import EmailKind, EmailStatus, OutboxEmail
from conecta.models.types import utcnow

ABANDONED_AFTER = timedelta(minutes=15)  # a "sending" claim older than this lost its worker
STALE_RETRY_AFTER = timedelta(minutes=5)  # a retry this far past its time lost its scheduled job


def resend_details(appointment: Appointment) -> list[OutboxEmail]:
    """The current details (and invite) to the appointment's client -- each of a group's participants,
    each their own message -- now."""
    locked = lock_appointment(db.session, appointment.id)
    rows = []
    for client in locked.clients:
        rows.append(add_current_details(db.session, locked, EmailKind.DETAILS, client=client))
        db.session.flush()  # the next one's sequence follows this one's
    db.session.commit()
    for row in rows:
        enqueue_send(row.id)
    return rows


def send_portal_invite(client: Client, link_base: str) -> OutboxEmail:
    """Email the client a portal invitation; the signed link is made when the message is sent."""
    row = OutboxEmail(
        org_id=client.org_id,
        client_id=client.id,
        kind=EmailKind.PORTAL_INVITE,
        to_address=client.email,
        subject=portal_invite_subject(client.org.name, client.locale),
        status=EmailStatus.QUEUED,
        attempts=0,
        dedupe_key=f"client:{client.id}:invite:{make_msgid().strip('<>')}"[:120],
        message_id=new_message_id(),
        link_base=link_base,
    )
    db.session.add(row)
    db.session.commit()
    enqueue_send(row.id)
    return row


def retry(row: OutboxEmail) -> bool:
    """An admin's Retry of a message that gave up; False when it is not failed (nothing to do)."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == row.id, OutboxEmail.status == EmailStatus.FAILED)
        .values(status=EmailStatus.QUEUED, next_attempt_at=None, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    db.session.commit()
    if not result.rowcount:
        return False
    enqueue_send(row.id)
    return True


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Catch up on what a lost job or a Redis outage left behind; safe to run at any time.

    Releases messages that waited for Zoom longer than MAIL_ZOOM_WAIT_SECONDS (they go without the
    link, saying it follows), returns abandoned "sending" claims to "retrying", and enqueues every
    queued message and every retry whose time is well past.
    """
    now = now or utcnow()
    session = db.session
    wait = timedelta(seconds=float(current_app.config["MAIL_ZOOM_WAIT_SECONDS"]))
    released = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == EmailStatus.WAITING, OutboxEmail.created_at < now - wait)
        .values(status=EmailStatus.QUEUED, updated_at=now)
    ).rowcount
    reclaimed = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == EmailStatus.SENDING, OutboxEmail.updated_at < now - ABANDONED_AFTER)
        .values(status=EmailStatus.RETRYING, next_attempt_at=now, updated_at=now)
    ).rowcount
    stale_retries = select(OutboxEmail.id).where(
        OutboxEmail.status == EmailStatus.RETRYING, OutboxEmail.next_attempt_at < now - STALE_RETRY_AFTER
    )
    session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(stale_retries.scalar_subquery()))
        .values(status=EmailStatus.QUEUED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    enqueued = enqueue_queued()
    return {"released": released or 0, "reclaimed": reclaimed or 0, "enqueued": enqueued}
