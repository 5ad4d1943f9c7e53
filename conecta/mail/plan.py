"""Which emails a client is owed, and when they may go out: rows in the email outbox.

- `plan(appointment)` runs inside the booking's transaction, right after Zoom's plan (the booking
  pipeline, `conecta.bookings.service`). A booking, a reschedule (time, duration, service or staff: what
  the email shows) or a cancellation adds one row; a notes-only edit adds nothing (each row keeps a
  snapshot of what it was about). Unsent rows about the same appointment are superseded: one email, not
  two. A confirmation or update of an appointment whose Zoom meeting is on its way is written "waiting",
  so it goes out once, with the Join link.

What a Zoom meeting's settling releases is `conecta.mail.zoom_release`. Nothing here sends or enqueues:
`conecta.mail.send` does, after the commit.
"""

from __future__ import annotations

import json
from email.utils import make_msgid
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from conecta.extensions import db
from conecta.mail.compose import (
    facts_for,
    facts_from_snapshot,
    sender_address,
    subject_for,
    zoom_details_for,
)
from conecta.mail.readers import client_reader
from conecta.models import Appointment, Client, ZoomState
from conecta.models.email import APPOINTMENT_KINDS, DELIVERED, UNSENT, EmailKind, EmailStatus, OutboxEmail
from conecta.models.types import utcnow

# What the email shows about the booking; a change to anything else (notes) owes no email.
SHOWN_FIELDS = ("starts_at", "duration_minutes", "service_id", "staff_id")
IN_FLIGHT = (EmailStatus.WAITING, EmailStatus.QUEUED, EmailStatus.RETRYING, EmailStatus.SENDING)


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


def appointment_rows(session: Session, appointment_id: int) -> list[OutboxEmail]:
    query = (
        select(OutboxEmail)
        .where(OutboxEmail.appointment_id == appointment_id, OutboxEmail.kind.in_(APPOINTMENT_KINDS))
        .order_by(OutboxEmail.id)
    )
    return list(session.scalars(query))


def _knows_of_booking(rows: list[OutboxEmail], client_id: int) -> bool:
    """The client received (or is receiving) a message about it, and the last one was not a cancellation."""
    delivered = [r for r in rows if r.client_id == client_id and r.status in DELIVERED]
    return bool(delivered) and delivered[-1].kind != EmailKind.CANCELLATION


def _latest_for(rows: list[OutboxEmail], client_id: int) -> OutboxEmail | None:
    mine = [r for r in rows if r.client_id == client_id]
    return mine[-1] if mine else None


def waits_for_zoom(appointment: Appointment) -> bool:
    """A meeting (and so a Join link) is on its way: a confirmation or update waits for it."""
    zoom = appointment.zoom
    if zoom is None or not zoom.wanted or appointment.is_cancelled:
        return False
    return zoom.state == ZoomState.PENDING or zoom.sync_requested_at is not None


def _next_sequence(rows: list[OutboxEmail]) -> int:
    sequences = [r.ics_sequence for r in rows if r.ics_sequence is not None]
    return max(sequences) + 1 if sequences else 0


def new_message_id() -> str:
    return make_msgid(domain=sender_address().rpartition("@")[2] or "localhost")


def _add_row(
    session: Session,
    appointment: Appointment,
    *,
    kind: EmailKind,
    client: Client,
    status: EmailStatus,
    sequence: int,
    snapshot: dict[str, Any],
) -> OutboxEmail:
    reader = client_reader(client, appointment.org)
    if appointment.has_client(client.id):
        facts = facts_for(appointment, client.name, reader.zone)
    else:
        facts = facts_from_snapshot(appointment, snapshot, client.name, reader.zone)
    row = OutboxEmail(
        org_id=appointment.org_id,
        appointment_id=appointment.id,
        client_id=client.id,
        kind=kind,
        to_address=client.email,
        # Provisional (the Settings page shows it until the message is composed at send time).
        subject=subject_for(kind, facts, reader.locale),
        status=status,
        attempts=0,
        dedupe_key=f"appointment:{appointment.id}:{sequence}",
        ics_sequence=sequence,
        message_id=new_message_id(),
        details_snapshot=json.dumps(snapshot),
    )
    session.add(row)
    return row


def add_current_details(
    session: Session,
    appointment: Appointment,
    kind: EmailKind,
    status: EmailStatus = EmailStatus.QUEUED,
    client: Client | None = None,
) -> OutboxEmail:
    """A message (queued, or waiting for Zoom) with the appointment's details as they are now, to one of
    its current clients (its only one, by default). Each participant of a group gets their own message."""
    return _add_row(
        session,
        appointment,
        kind=kind,
        client=client or appointment.clients[0],
        status=status,
        sequence=_next_sequence(appointment_rows(session, appointment.id)),
        snapshot=snapshot_of(appointment),
    )


def _owed(rows: list[OutboxEmail], appointment: Appointment) -> list[tuple[EmailKind, int, dict[str, Any]]]:
    """(kind, client id, snapshot) of each message the appointment's latest save owes. Its clients are
    `appointment.clients` (one, or a group's active participants): each is owed their own message."""
    current = snapshot_of(appointment)
    clients = [c.id for c in appointment.clients]
    informed = {r.client_id for r in rows if r.client_id and _knows_of_booking(rows, r.client_id)}
    if appointment.is_cancelled:
        if not appointment.cancel_email_client:
            return []  # staff unticked "Email the client": nobody hears of it from us
        # Only people who heard of the booking hear of its cancellation.
        return [
            (
                EmailKind.CANCELLATION,
                client_id,
                current if client_id in clients else _latest_for(rows, client_id).snapshot,
            )
            for client_id in sorted(informed)
        ]
    # Reassigned to another client, or removed from a group: whoever had it is told it is off for them.
    owed = [
        (EmailKind.CANCELLATION, client_id, _latest_for(rows, client_id).snapshot)
        for client_id in sorted(informed - set(clients))
    ]
    for client_id in clients:
        latest = _latest_for(rows, client_id)
        if (
            latest is None
            or latest.kind == EmailKind.CANCELLATION
            or _differs(latest.snapshot, current)
            or _link_withdrawn(rows, appointment, client_id)
        ):
            kind = EmailKind.UPDATE if client_id in informed else EmailKind.CONFIRMATION
            owed.append((kind, client_id, current))
    return owed


def _link_withdrawn(rows: list[OutboxEmail], appointment: Appointment, client_id: int) -> bool:
    """The client's last message carried a Join link the appointment no longer has: its meeting was
    deleted in Zoom and is being made anew (the update waits for the new link), or staff removed it
    (the update says so at once)."""
    zoom = appointment.zoom
    if zoom is None:
        return False
    delivered = [r for r in rows if r.client_id == client_id and r.status in DELIVERED]
    if not delivered or delivered[-1].zoom_details_hash is None:
        return False
    details = zoom_details_for(appointment)
    return details is None or details.digest() != delivered[-1].zoom_details_hash


def plan(appointment: Appointment, *, new: bool = False) -> list[OutboxEmail]:
    """In the booking's transaction (after Zoom's plan): add the rows this save owes its client(s).
    `new`: the appointment was inserted in this transaction, so it has no rows yet (two statements
    fewer per booking)."""
    session = db.session
    rows = [] if new else appointment_rows(session, appointment.id)
    owed = _owed(rows, appointment)
    if not owed and not appointment.is_cancelled:
        return []
    if not new:
        # Whatever had not gone out yet to those clients is replaced (a cancellation also stops an unsent
        # confirmation); a group's other participants keep theirs.
        _supersede_unsent(
            session, appointment.id, None if appointment.is_cancelled else {c for _, c, _ in owed}
        )
    sequence = _next_sequence(rows)
    hold = waits_for_zoom(appointment)
    made = []
    for kind, client_id, snapshot in owed:
        waits = hold and kind != EmailKind.CANCELLATION
        status = EmailStatus.WAITING if waits else EmailStatus.QUEUED
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


def _supersede_unsent(session: Session, appointment_id: int, client_ids: set[int] | None = None) -> None:
    """Unsent rows about the appointment (to `client_ids` only, if given) are superseded."""
    # A conditional UPDATE: a row a job has already claimed ("sending") is left to finish.
    statement = update(OutboxEmail).where(
        OutboxEmail.appointment_id == appointment_id,
        OutboxEmail.kind.in_(APPOINTMENT_KINDS),
        OutboxEmail.status.in_(UNSENT),
    )
    if client_ids is not None:
        statement = statement.where(OutboxEmail.client_id.in_(client_ids))
    session.execute(
        statement.values(status=EmailStatus.SUPERSEDED, updated_at=utcnow()).execution_options(
            synchronize_session="fetch"
        )
    )


def read_afresh(session: Session, appointment_id: int, *, lock: bool) -> Appointment | None:
    """The appointment and its Zoom meeting as committed, whatever the session held; with `lock`, under
    its row lock."""
    return session.scalars(_afresh_query(lock), {"id": appointment_id}).unique().one_or_none()


@cache
def _afresh_query(lock: bool) -> Select:
    """Built once per variant: every email and Zoom job reads its appointment this way, and a statement
    built afresh pays for building its cache key again each time."""
    query = (
        select(Appointment)
        .options(joinedload(Appointment.zoom))
        .where(Appointment.id == bindparam("id"))
        .execution_options(populate_existing=True)
    )
    return query.with_for_update(of=Appointment) if lock else query


def lock_appointment(session: Session, appointment_id: int) -> Appointment | None:
    """Serialize row-making per appointment (PostgreSQL row lock), so two sequences never collide.
    The appointment and its Zoom meeting are read afresh, whatever the session held."""
    return read_afresh(session, appointment_id, lock=True)
