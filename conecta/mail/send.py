"""The RQ job that sends one outbox message over SMTP, and the one way it is enqueued.

The job claims its row with a conditional UPDATE (queued/retrying → sending), so duplicate jobs, the
sweep and an admin's Retry never send a message twice. It composes the message from the current state
(`conecta.mail.compose`), sends it, and records the outcome on the row: attempts, last error, status.
A failed attempt re-raises so RQ retries with backoff (MAIL_RETRY_INTERVALS, seconds); once the
retries are used up, or the server refuses the recipient for good, the row is "failed" and an admin
sees a Retry button under Settings → Emails.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from functools import cache

from flask import current_app
from rq import Retry, get_current_job
from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.orm import joinedload

from conecta.extensions import db
from conecta.jobs import app_job, enqueue
from conecta.mail import zoom_release
from conecta.mail.compose import build_message, compose
from conecta.models import Appointment, Organization
from conecta.models.email import EmailStatus, OutboxEmail
from conecta.models.types import utcnow

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 1000
# What composing a message reads, in one statement rather than one per relationship.
_EVERYTHING_COMPOSED = (
    joinedload(OutboxEmail.client),
    joinedload(OutboxEmail.user),
    joinedload(OutboxEmail.appointment).options(
        joinedload(Appointment.org),
        joinedload(Appointment.client),
        joinedload(Appointment.service),
        joinedload(Appointment.staff),
        joinedload(Appointment.zoom),
    ),
)


def retry_intervals() -> list[int]:
    return list(current_app.config["MAIL_RETRY_INTERVALS"])


def enqueue_send(outbox_id: int) -> bool:
    """Enqueue the send job; False when Redis is unreachable (the row stays queued: the sweep retries)."""
    intervals = retry_intervals()
    try:
        enqueue(
            send_outbox_email,
            outbox_id,
            job_id=f"mail-{outbox_id}",
            queue_name="mail",
            retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
            job_timeout=120,
        )
    except Exception as exc:  # Redis down or misconfigured
        log.warning("could not enqueue email %s (%s); the sweep will retry", outbox_id, exc)
        return False
    return True


def enqueue_queued(appointment_id: int | None = None) -> int:
    """Enqueue every queued message (of one appointment); returns how many were enqueued."""
    query = select(OutboxEmail.id).where(OutboxEmail.status == EmailStatus.QUEUED)
    if appointment_id is not None:
        query = query.where(OutboxEmail.appointment_id == appointment_id)
    ids = list(db.session.scalars(query.order_by(OutboxEmail.id)))
    return sum(enqueue_send(outbox_id) for outbox_id in ids)


def deliver(message: EmailMessage) -> None:
    """Hand one message to the configured SMTP server (MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, login)."""
    config = current_app.config
    timeout = float(config["MAIL_TIMEOUT"])
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=timeout) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def is_permanent(exc: BaseException) -> bool:
    """The server refused this message for good (bad recipient, rejected content): retrying won't help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False  # a configuration problem an admin can fix while we keep retrying
    code = getattr(exc, "smtp_code", None)
    return isinstance(exc, smtplib.SMTPResponseException) and isinstance(code, int) and 500 <= code < 600


def _claim(outbox_id: int) -> bool:
    claimed = db.session.execute(_claim_statement(), {"outbox_id": outbox_id, "now": utcnow()}).rowcount
    db.session.commit()
    return bool(claimed)


@cache
def _claim_statement() -> Update:
    """Built once: every email job runs it, and a statement built afresh pays for building its cache key
    again each time."""
    return (
        update(OutboxEmail)
        .where(
            OutboxEmail.id == bindparam("outbox_id"),
            OutboxEmail.status.in_((EmailStatus.QUEUED, EmailStatus.RETRYING)),
        )
        .values(
            status=EmailStatus.SENDING,
            attempts=OutboxEmail.attempts + 1,
            next_attempt_at=None,
            updated_at=bindparam("now"),
        )
        .execution_options(synchronize_session=False)
    )


@app_job
def send_outbox_email(outbox_id: int) -> str:
    """Send outbox row `outbox_id` if it is still due; returns "sent", "failed" or "skipped"."""
    if not _claim(outbox_id):
        return "skipped"  # sent already, superseded, or another job has it
    row = db.session.get(OutboxEmail, outbox_id, options=_EVERYTHING_COMPOSED)
    try:
        if row.client is not None:
            row.to_address = row.client.email  # the address as it is now
        elif row.user is not None:
            row.to_address = row.user.email
        composed = compose(row)
        org_name = db.session.get(Organization, row.org_id).name
        deliver(build_message(row, composed, org_name))
    except Exception as exc:
        return _record_failure(row, exc)
    row.status = EmailStatus.SENT
    row.sent_at = utcnow()
    row.subject = composed.subject
    row.zoom_details_hash = composed.zoom_details_hash
    # Read before the commit expires the row: after it, each read would load the row again.
    kind, attempts, appointment_id = row.kind, row.attempts, row.appointment_id
    db.session.commit()
    log.info("email %s (%s) sent after %s attempt(s)", outbox_id, kind, attempts)
    if zoom_release.after_sent(kind, appointment_id, composed.zoom_details_hash):
        enqueue_queued(appointment_id)
    return "sent"


def _record_failure(row: OutboxEmail, exc: Exception) -> str:
    db.session.rollback()
    row = db.session.get(OutboxEmail, row.id)
    job = get_current_job()
    if is_permanent(exc):
        will_retry = False
    elif job is not None:
        will_retry = bool(job.retries_left)
    else:  # called outside RQ (a shell, a test): the same budget of attempts
        will_retry = row.attempts <= len(retry_intervals())
    row.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
    if will_retry:
        delay = job.get_retry_interval() if job is not None else 0
        row.status = EmailStatus.RETRYING
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    else:
        row.status = EmailStatus.FAILED
    db.session.commit()
    log.warning(
        "email %s (%s) attempt %s failed: %s%s",
        row.id,
        row.kind,
        row.attempts,
        row.last_error,
        "; will retry" if will_retry else "; giving up",
    )
    if will_retry:
        raise exc  # RQ schedules the next attempt
    return "failed"
