"""What a Zoom meeting's settling means for the outbox (`conecta.mail.plan` writes the rows).

- `release_after_zoom(appointment_id)`: the meeting settled (the reconcile job calls it). What waited is
  released -- with the link, or without it saying it will follow if creating the meeting failed -- or,
  when the client was already told without the current link, a "zoom_link" follow-up is added.
- `after_sent(kind, appointment_id, sent_digest)`: a message went out; if Zoom settled while it was
  being composed, the link follows.
Nothing here sends or enqueues: `conecta.mail.send` does, after the commit.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from conecta.extensions import db
from conecta.mail.compose import zoom_details_for
from conecta.mail.plan import IN_FLIGHT, add_current_details, appointment_rows, lock_appointment, read_afresh
from conecta.models import Appointment, ZoomState
from conecta.models.email import EmailKind, EmailStatus, OutboxEmail
from conecta.models.types import utcnow


def _release_waiting(session: Session, appointment_id: int) -> list[int]:
    return list(
        session.scalars(
            update(OutboxEmail)
            .where(OutboxEmail.appointment_id == appointment_id, OutboxEmail.status == EmailStatus.WAITING)
            .values(status=EmailStatus.QUEUED, updated_at=utcnow())
            .returning(OutboxEmail.id)
            .execution_options(synchronize_session="fetch")
        )
    )


def _link_due(appointment: Appointment) -> str | None:
    """The digest of the Join details its clients should have now, or None when none are due."""
    if appointment.is_cancelled or appointment.zoom_state not in (ZoomState.READY, ZoomState.DRIFTED):
        return None  # (drifted: moved in Zoom, yet its link works; a passcode changed there changes it)
    zoom = zoom_details_for(appointment)
    return zoom.digest() if zoom is not None else None


def _follow_up_if_link_missing(session: Session, appointment: Appointment) -> list[OutboxEmail]:
    """Clients told about the booking without the current Join link: send it to each of them now."""
    digest = _link_due(appointment)
    if digest is None:
        return []
    rows = appointment_rows(session, appointment.id)
    made = []
    for client in appointment.clients:
        mine = [r for r in rows if r.client_id == client.id]
        if any(r.status in IN_FLIGHT for r in mine):
            continue  # composed at send time, it will carry the link (a sending one re-checks after)
        delivered = [r for r in mine if r.status == EmailStatus.SENT]
        if not delivered or delivered[-1].kind == EmailKind.CANCELLATION:
            continue
        if delivered[-1].zoom_details_hash == digest:
            continue
        made.append(add_current_details(session, appointment, EmailKind.ZOOM_LINK, client=client))
        session.flush()  # the next one's sequence follows this one's
    return made


def _sent_what_is_current(session: Session, appointment_id: int, sent_digest: str | None) -> bool:
    """Without the lock: the message just sent carries the details a client may see now, or there are
    none to send. Then `after_sent` has nothing to add, and skips the locked look (a fifth of an email
    job's CPU). Safe to read unlocked because the message's row is already committed as sent: a settle
    that commits from now on sees it sent and sends the link itself (`release_after_zoom`); one that
    saw it still in flight had committed its meeting first, so this read sees that meeting."""
    appointment = read_afresh(session, appointment_id, lock=False)
    digest = _link_due(appointment) if appointment is not None else None
    return digest is None or digest == sent_digest


def release_after_zoom(appointment_id: int) -> list[int]:
    """The meeting settled: send what waited for it, or the link that was missing. Commits; returns the
    outbox ids now queued (the caller enqueues them)."""
    session = db.session
    appointment = lock_appointment(session, appointment_id)
    if appointment is None or appointment.zoom_state == ZoomState.PENDING:
        session.rollback()
        return []  # gone, or a newer change is on its way to Zoom: its own settle releases the message
    released = _release_waiting(session, appointment_id)
    if not released:
        follow_ups = _follow_up_if_link_missing(session, appointment)
        if follow_ups:
            session.flush()
            released = [row.id for row in follow_ups]
    if appointment.series_id is not None:  # a series email may have waited for this occurrence too
        from conecta.mail import series as series_mail

        released += series_mail.release_for(session, appointment)
    session.commit()
    return released


def after_sent(kind: EmailKind, appointment_id: int | None, sent_digest: str | None) -> bool:
    """A message (of `kind`, about `appointment_id`, carrying the Zoom details of `sent_digest`) just
    went out, and its row is committed as sent: if Zoom settled while it was being composed, add the
    link's follow-up. Commits; True if one was added (the caller enqueues it)."""
    session = db.session
    if appointment_id is None or kind == EmailKind.CANCELLATION:
        return False
    if _sent_what_is_current(session, appointment_id, sent_digest):
        session.rollback()
        return False
    appointment = lock_appointment(session, appointment_id)
    if appointment is not None and _follow_up_if_link_missing(session, appointment):
        session.commit()
        return True
    session.rollback()
    return False
