"""Which emails a client is owed, and when they may go out. Connected to the domain signals.

- `appointment_saving` (inside the booking transaction): booking, reschedule (time, duration, service
  or staff — what the email shows) and cancellation add one outbox row in the same transaction.
  A notes-only edit adds nothing: each row keeps a snapshot of what it is about and an edit that leaves
  it unchanged owes no email. Unsent rows about the same appointment are superseded: one email, not two.
- A confirmation or update is written "waiting". After the commit (`appointment_committed`) it is
  released at once unless the appointment wants Zoom and a sync is under way; then it waits for the
  meeting to settle (`zoom_settled`), so it goes out once, with the Join link — or without it, saying
  it will follow, if creating the meeting failed; when a later retry succeeds a "zoom_link" follow-up
  goes out. (The decision waits for the commit because `zoom_wanted` is decided by another receiver
  of `appointment_saving`.)
- Released rows are enqueued after the commit. Redis may be down: we log, and `sweep()` (run it
  periodically) enqueues them later; it also releases anything that waited for Zoom too long.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from conecta.extensions import db
from conecta.mail.compose import (
    facts_for,
    facts_from_snapshot,
    portal_invite_subject,
    sender_address,
    subject_for,
    zoom_details_for,
)
from conecta.models import Appointment, Client
from conecta.models.email import UNSENT, OutboxEmail
from conecta.models.types import utcnow
from conecta.signals import appointment_committed, appointment_saving, zoom_settled

log = logging.getLogger(__name__)

APPOINTMENT_KINDS = ("confirmation", "update", "cancellation", "zoom_link", "details")
# What the email shows about the booking; a change to anything else (notes) owes no email.
SHOWN_FIELDS = ("starts_at", "duration_minutes", "service_id", "staff_id")
DELIVERED = ("sent", "sending")
DEFAULT_ZOOM_WAIT_SECONDS = 300


# --- what each client has been told -------------------------------------------------------------


def snapshot_of(appointment: Appointment) -> dict[str, Any]:
    return {
        "starts_at": appointment.starts_at.isoformat(),
        "duration_minutes": appointment.duration_minutes,
        "service_id": appointment.service_id,
        "service_name": appointment.service.name,
        "staff_id": appointment.staff_id,
        "staff_name": appointment.staff.name,
        "client_id": appointment.client_id,
    }


def _differs(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return any(old.get(name) != new.get(name) for name in SHOWN_FIELDS)


def _appointment_rows(session: Session, appointment_id: int) -> list[OutboxEmail]:
    query = (
        select(OutboxEmail)
        .where(OutboxEmail.appointment_id == appointment_id, OutboxEmail.kind.in_(APPOINTMENT_KINDS))
        .order_by(OutboxEmail.id)
    )
    return list(session.scalars(query))


def _knows_of_booking(rows: list[OutboxEmail], client_id: int) -> bool:
    """The client received (or is receiving) a message about it, and the last one was not a cancellation."""
    delivered = [r for r in rows if r.client_id == client_id and r.status in DELIVERED]
    return bool(delivered) and delivered[-1].kind != "cancellation"


def _latest_for(rows: list[OutboxEmail], client_id: int) -> OutboxEmail | None:
    mine = [r for r in rows if r.client_id == client_id]
    return mine[-1] if mine else None


def _zoom_sync_in_flight(appointment: Appointment) -> bool:
    return appointment.zoom_state == "pending" or appointment.zoom_sync_requested_at is not None


def _waits_for_zoom(appointment: Appointment) -> bool:
    """A meeting (and so a Join link) is on its way: the confirmation or update waits for it."""
    return appointment.zoom_wanted and not appointment.is_cancelled and _zoom_sync_in_flight(appointment)


# --- making rows -----------------------------------------------------------------------------


def _new_message_id() -> str:
    return make_msgid(domain=sender_address().rpartition("@")[2] or "localhost")


def _add_row(
    session: Session,
    appointment: Appointment,
    *,
    kind: str,
    client: Client,
    status: str,
    sequence: int,
    snapshot: dict[str, Any],
) -> OutboxEmail:
    if client.id == appointment.client_id:
        facts = facts_for(appointment)
    else:
        facts = facts_from_snapshot(appointment, snapshot, client.name)
    row = OutboxEmail(
        org_id=appointment.org_id,
        appointment_id=appointment.id,
        client_id=client.id,
        kind=kind,
        to_address=client.email,
        # Provisional (the Settings page shows it until the message is composed at send time).
        subject=subject_for(kind, facts),
        status=status,
        attempts=0,
        dedupe_key=f"appointment:{appointment.id}:{sequence}",
        ics_sequence=sequence,
        message_id=_new_message_id(),
        details_snapshot=json.dumps(snapshot),
    )
    session.add(row)
    return row


def _next_sequence(rows: list[OutboxEmail]) -> int:
    sequences = [r.ics_sequence for r in rows if r.ics_sequence is not None]
    return max(sequences) + 1 if sequences else 0


def _supersede_unsent(session: Session, appointment_id: int) -> None:
    # A conditional UPDATE: a row a job has already claimed ("sending") is left to finish.
    session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.appointment_id == appointment_id,
            OutboxEmail.kind.in_(APPOINTMENT_KINDS),
            OutboxEmail.status.in_(UNSENT),
        )
        .values(status="superseded", updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


def plan_for_change(session: Session, appointment: Appointment) -> list[OutboxEmail]:
    """Add the rows this saved appointment owes its client(s); none for a change the email does not show."""
    rows = _appointment_rows(session, appointment.id)
    current = snapshot_of(appointment)
    informed = {r.client_id for r in rows if r.client_id and _knows_of_booking(rows, r.client_id)}
    plans: list[tuple[str, int, dict[str, Any]]] = []
    if appointment.is_cancelled:
        # Only people who heard of the booking hear of its cancellation.
        for client_id in sorted(informed):
            latest = _latest_for(rows, client_id)
            snapshot = current if client_id == appointment.client_id else latest.snapshot
            plans.append(("cancellation", client_id, snapshot))
    else:
        # Reassigned to another client: whoever had it is told it is off for them.
        for client_id in sorted(informed - {appointment.client_id}):
            plans.append(("cancellation", client_id, _latest_for(rows, client_id).snapshot))
        latest = _latest_for(rows, appointment.client_id)
        if latest is None or latest.kind == "cancellation" or _differs(latest.snapshot, current):
            kind = "update" if appointment.client_id in informed else "confirmation"
            plans.append((kind, appointment.client_id, current))
    if not plans and not appointment.is_cancelled:
        return []

    # Whatever had not gone out yet is replaced (a cancellation also stops an unsent confirmation).
    _supersede_unsent(session, appointment.id)
    sequence = _next_sequence(rows)
    made = []
    for kind, client_id, snapshot in plans:
        # Held until the commit decides: `zoom_wanted` is decided by another receiver of this same
        # signal (conecta.zoom.sync), in an order we do not control.
        status = "queued" if kind == "cancellation" else "waiting"
        client = session.get(Client, client_id)
        made.append(
            _add_row(
                session,
                appointment,
                kind=kind,
                client=client,
                status=status,
                sequence=sequence,
                snapshot=snapshot,
            )
        )
        sequence += 1
    session.flush()
    return made


def _release_waiting(session: Session, appointment_id: int) -> int:
    result = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.appointment_id == appointment_id, OutboxEmail.status == "waiting")
        .values(status="queued", updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def _follow_up_if_link_missing(session: Session, appointment: Appointment) -> OutboxEmail | None:
    """The client was told about the booking without the current Join link: send it now."""
    if appointment.is_cancelled or appointment.zoom_state != "ready":
        return None
    zoom = zoom_details_for(appointment)
    if zoom is None:
        return None
    rows = _appointment_rows(session, appointment.id)
    mine = [r for r in rows if r.client_id == appointment.client_id]
    if any(r.status in ("waiting", "queued", "retrying", "sending") for r in mine):
        return None  # composed at send time, it will carry the link (a sending one re-checks after)
    delivered = [r for r in mine if r.status == "sent"]
    if not delivered or delivered[-1].kind == "cancellation":
        return None
    if delivered[-1].zoom_details_hash == zoom.digest():
        return None
    return _add_row(
        session,
        appointment,
        kind="zoom_link",
        client=appointment.client,
        status="queued",
        sequence=_next_sequence(rows),
        snapshot=snapshot_of(appointment),
    )


def _lock_appointment(session: Session, appointment_id: int) -> Appointment | None:
    """Serialize row-making per appointment (PostgreSQL row lock), so two sequences never collide."""
    query = (
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one_or_none()


# --- sending ---------------------------------------------------------------------------------


def enqueue_send(outbox_id: int) -> bool:
    """Enqueue the send job; False when Redis is unreachable (the sweep enqueues it later)."""
    from conecta.mail.send import enqueue_send_job

    try:
        enqueue_send_job(outbox_id)
    except Exception as exc:  # Redis down or misconfigured: the row stays queued
        log.warning("could not enqueue email %s (%s); the sweep will retry", outbox_id, exc)
        return False
    return True


def enqueue_queued(session: Session, appointment_id: int | None = None) -> int:
    query = select(OutboxEmail.id).where(OutboxEmail.status == "queued")
    if appointment_id is not None:
        query = query.where(OutboxEmail.appointment_id == appointment_id)
    ids = list(session.scalars(query.order_by(OutboxEmail.id)))
    return sum(enqueue_send(outbox_id) for outbox_id in ids)


# --- actions people take ---------------------------------------------------------------------


def resend_details(appointment: Appointment) -> OutboxEmail:
    """ "Resend details" on the booking modal: the current details (and invite) to the client, now."""
    session = db.session
    locked = _lock_appointment(session, appointment.id)
    rows = _appointment_rows(session, locked.id)
    row = _add_row(
        session,
        locked,
        kind="details",
        client=locked.client,
        status="queued",
        sequence=_next_sequence(rows),
        snapshot=snapshot_of(locked),
    )
    session.commit()
    enqueue_send(row.id)
    return row


def send_portal_invite(client: Client, link_base: str) -> OutboxEmail:
    """Email the client a portal invitation; the signed link is made when the message is sent."""
    row = OutboxEmail(
        org_id=client.org_id,
        client_id=client.id,
        kind="portal_invite",
        to_address=client.email,
        subject=portal_invite_subject(client.org.name),
        status="queued",
        attempts=0,
        dedupe_key=f"client:{client.id}:invite:{make_msgid().strip('<>')}"[:120],
        message_id=_new_message_id(),
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
        .where(OutboxEmail.id == row.id, OutboxEmail.status == "failed")
        .values(status="queued", next_attempt_at=None, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    db.session.commit()
    if not result.rowcount:
        return False
    enqueue_send(row.id)
    return True


# --- the safety net --------------------------------------------------------------------------


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Catch up on what a lost signal or a Redis outage left behind; safe to run at any time.

    Releases messages that waited for Zoom longer than MAIL_ZOOM_WAIT_SECONDS (they go without the
    link, saying it follows), returns abandoned "sending" claims to "retrying", and enqueues every
    queued message and every retry whose time is well past.
    """
    now = now or utcnow()
    session = db.session
    wait = timedelta(seconds=current_app.config.get("MAIL_ZOOM_WAIT_SECONDS", DEFAULT_ZOOM_WAIT_SECONDS))
    released = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == "waiting", OutboxEmail.created_at < now - wait)
        .values(status="queued", updated_at=now)
    ).rowcount
    reclaimed = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == "sending", OutboxEmail.updated_at < now - timedelta(minutes=15))
        .values(status="retrying", next_attempt_at=now, updated_at=now)
    ).rowcount
    session.commit()
    stale_retries = session.scalars(
        select(OutboxEmail.id).where(
            OutboxEmail.status == "retrying", OutboxEmail.next_attempt_at < now - timedelta(minutes=5)
        )
    ).all()
    session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(stale_retries))
        .values(status="queued", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    enqueued = enqueue_queued(session)
    return {"released": released or 0, "reclaimed": reclaimed or 0, "enqueued": enqueued}


# --- signal receivers ------------------------------------------------------------------------


def on_appointment_saving(appointment: Appointment, change: str | None = None, **_: Any) -> None:
    """In the booking transaction: add the rows the change owes (committed or rolled back with it)."""
    session = object_session(appointment) or db.session
    plan_for_change(session, appointment)


def on_appointment_committed(sender: Any = None, change: str | None = None, **extra: Any) -> None:
    """After the commit: release what need not wait for Zoom, enqueue what is ready. Never raises."""
    appointment_id = extra.get("appointment_id", getattr(sender, "id", sender))
    session = db.session
    try:
        appointment = session.get(Appointment, appointment_id, populate_existing=True)
        if appointment is None:
            return
        if not _waits_for_zoom(appointment):
            # No meeting is on its way (no Zoom wanted, or nothing for Zoom to do): do not wait.
            _release_waiting(session, appointment_id)
            session.commit()
        enqueue_queued(session, appointment_id)
    except Exception:
        session.rollback()
        log.exception(
            "email bookkeeping after saving appointment %s failed; the sweep catches up", appointment_id
        )


def on_zoom_settled(sender: Any = None, zoom_state: str | None = None, **extra: Any) -> None:
    """The meeting reached a settled state: send what waited for it, or the link that was missing."""
    appointment_id = extra.get("appointment_id", getattr(sender, "id", sender))
    session = db.session
    try:
        appointment = _lock_appointment(session, appointment_id)
        if appointment is None:
            session.rollback()
            return
        if appointment.zoom_state == "pending":
            session.rollback()
            return  # a newer change is on its way to Zoom; its own settle releases the message
        released = _release_waiting(session, appointment_id)
        if not released:
            _follow_up_if_link_missing(session, appointment)
        session.commit()
        enqueue_queued(session, appointment_id)
    except Exception:
        session.rollback()
        log.exception(
            "email follow-up of Zoom state for appointment %s failed; the sweep catches up", appointment_id
        )


def after_sent(outbox_id: int) -> None:
    """A message just went out: if Zoom settled while it was being composed, send the link now."""
    session = db.session
    row = session.get(OutboxEmail, outbox_id)
    if row is None or row.appointment_id is None or row.kind == "cancellation":
        return
    appointment = _lock_appointment(session, row.appointment_id)
    if appointment is not None and _follow_up_if_link_missing(session, appointment) is not None:
        session.commit()
        enqueue_queued(session, appointment.id)
    else:
        session.rollback()


appointment_saving.connect(on_appointment_saving)
appointment_committed.connect(on_appointment_committed)
zoom_settled.connect(on_zoom_settled)
