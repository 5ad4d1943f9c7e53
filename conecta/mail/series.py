"""One email for many occurrences of a weekly series, instead of one email per occurrence.

Each occurrence is saved like any appointment, so the mail plan (`conecta.mail.plan`) writes its row as
usual -- a confirmation, an update, a cancellation -- with its own calendar SEQUENCE. A series save then
`fold`s those rows: they become "folded" (the client counts as told, so later changes of one date are
updates and cancellations as for any appointment, and no per-occurrence "Zoom link" follow-up is owed)
and one series row goes out in their place. That row lists the occurrences in its snapshot; it is
composed at send time, like every message, from the occurrences as they are then: each date with its
Join link, or "Meeting link coming soon" for a meeting not made yet, and one .ics with a VEVENT per
occurrence (each the occurrence's own UID and SEQUENCE, so later single-date updates land on it).

A confirmation or update waits (like an appointment's) until every listed occurrence's meeting settled
(`release_for`, called when one does); the outbox sweep releases it after MAIL_ZOOM_WAIT_SECONDS
anyway, e.g. while a host's daily Zoom limit holds some meetings back: those read "coming soon" and
their links reach the client in each occurrence's reminder and in the portal.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_babel import gettext, ngettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from conecta.clinic import clinic_of
from conecta.extensions import db
from conecta.mail import plan as mail_plan
from conecta.mail.compose import Composed, Facts, ZoomDetails, facts_for, sender_address, zoom_details_for
from conecta.mail.ics import Invite, appointment_uid, build_calendar
from conecta.models import Appointment, Client
from conecta.models.email import SERIES_KINDS, EmailKind, EmailStatus, OutboxEmail
from conecta.models.types import utcnow

_FRESH = (EmailStatus.WAITING, EmailStatus.QUEUED)
# What each occurrence's own message becomes in the series email (a client new to the dates is
# confirmed, a former one told they are cancelled, whatever the change was).
FOLDED_AS = {
    EmailKind.CONFIRMATION: EmailKind.SERIES_CONFIRMATION,
    EmailKind.UPDATE: EmailKind.SERIES_UPDATE,
    EmailKind.CANCELLATION: EmailKind.SERIES_CANCELLATION,
}


def occurrence_ids(row: OutboxEmail) -> list[int]:
    return [appointment_id for appointment_id, _ in row.snapshot.get("occurrences", [])]


def fold(
    session: Session, series_id: int, kind: EmailKind, saved: Iterable[tuple[Appointment, list]]
) -> list[OutboxEmail]:
    """In the series save's transaction: fold the rows each occurrence's mail plan just made into one
    series row per client (and one cancellation for a former client of the dates, if the edit changed
    the client). `saved` is (appointment, its new outbox rows) per occurrence."""
    by_client: dict[tuple[int, EmailKind], list[tuple[int, int]]] = {}
    waits: dict[tuple[int, EmailKind], bool] = {}
    for appointment, rows in saved:
        for row in rows:
            if row.status not in _FRESH or row.client_id is None:
                continue
            row.status = EmailStatus.FOLDED
            key = (row.client_id, FOLDED_AS.get(row.kind, kind))
            by_client.setdefault(key, []).append((appointment.id, row.ics_sequence or 0))
            waits[key] = waits.get(key, False) or mail_plan.waits_for_zoom(appointment)
    made = []
    for (client_id, key_kind), occurrences in by_client.items():
        row_kind = _replace_unsent(session, series_id, client_id, key_kind, occurrences)
        held = waits[(client_id, key_kind)] and row_kind != EmailKind.SERIES_CANCELLATION
        client = session.get(Client, client_id)
        row = OutboxEmail(
            org_id=client.org_id,
            appointment_id=None,
            client_id=client_id,
            kind=row_kind,
            to_address=client.email,
            subject=_provisional_subject(row_kind, len(occurrences)),
            status=EmailStatus.WAITING if held else EmailStatus.QUEUED,
            attempts=0,
            dedupe_key=f"series:{series_id}:{uuid.uuid4().hex}",
            ics_sequence=None,
            message_id=mail_plan.new_message_id(),
            details_snapshot=json.dumps({"series_id": series_id, "occurrences": occurrences}),
        )
        session.add(row)
        made.append(row)
    session.flush()
    return made


def _replace_unsent(
    session: Session, series_id: int, client_id: int, kind: EmailKind, occurrences: list[tuple[int, int]]
) -> EmailKind:
    """An earlier series email to the client that has not gone out yet is replaced by the new one, which
    then covers its dates too (and stays a confirmation if that one was). Cancellations replace nothing."""
    if kind == EmailKind.SERIES_CANCELLATION:
        return kind
    earlier = session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.client_id == client_id,
            OutboxEmail.kind.in_((EmailKind.SERIES_CONFIRMATION, EmailKind.SERIES_UPDATE)),
            OutboxEmail.status.in_(_FRESH),
            OutboxEmail.dedupe_key.like(f"series:{series_id}:%"),
        )
    ).all()
    for row in earlier:
        row.status = EmailStatus.SUPERSEDED
        if row.kind == EmailKind.SERIES_CONFIRMATION:
            kind = EmailKind.SERIES_CONFIRMATION
        known = {appointment_id for appointment_id, _ in occurrences}
        occurrences.extend((a, s) for a, s in row.snapshot["occurrences"] if a not in known)
    occurrences.sort()
    return kind


def _provisional_subject(kind: EmailKind, count: int) -> str:
    # Shown under Settings → Emails until the message is composed at send time.
    if kind == EmailKind.SERIES_CONFIRMATION:
        return ngettext("Confirmed: %(num)d date", "Confirmed: %(num)d dates", count)
    if kind == EmailKind.SERIES_UPDATE:
        return ngettext("Updated: %(num)d date", "Updated: %(num)d dates", count)
    return ngettext("Cancelled: %(num)d date", "Cancelled: %(num)d dates", count)


def release_for(session: Session, appointment: Appointment) -> list[int]:
    """An occurrence's meeting settled: release each waiting series email listing it whose occurrences
    have all settled. Returns the ids now queued (the caller commits and enqueues)."""
    waiting = session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.org_id == appointment.org_id,
            OutboxEmail.kind.in_(SERIES_KINDS),
            OutboxEmail.status == EmailStatus.WAITING,
        )
    ).all()
    released = []
    for row in waiting:
        ids = occurrence_ids(row)
        if appointment.id not in ids:
            continue
        occurrences = session.scalars(
            select(Appointment).options(joinedload(Appointment.zoom)).where(Appointment.id.in_(ids))
        ).unique()
        if any(mail_plan.waits_for_zoom(occurrence) for occurrence in occurrences):
            continue
        done = session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == row.id, OutboxEmail.status == EmailStatus.WAITING)
            .values(status=EmailStatus.QUEUED, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if done:
            released.append(row.id)
    return released


# ---- composing (at send time) -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesDate:
    """One occurrence as the series email shows it."""

    facts: Facts
    zoom: ZoomDetails | None
    link_will_follow: bool
    cancelled: bool


def compose_series(row: OutboxEmail, zone: str | None = None) -> Composed:
    """The series email: every listed date with its Join link (or "coming soon"), and one calendar with
    a VEVENT per occurrence (METHOD:CANCEL with the cancelled ones, for a cancellation). `zone`: the
    recipient's (`conecta.mail.compose` renders it in their language too)."""
    sequences = dict(row.snapshot.get("occurrences", []))
    occurrences = db.session.scalars(
        select(Appointment)
        .options(
            joinedload(Appointment.org),
            joinedload(Appointment.service),
            joinedload(Appointment.staff),
            joinedload(Appointment.client),
            joinedload(Appointment.zoom),
        )
        .where(Appointment.id.in_(list(sequences)))
        .order_by(Appointment.starts_at)
    ).unique()
    cancelling = row.kind == EmailKind.SERIES_CANCELLATION
    dates = []
    for appointment in occurrences:
        cancelled = cancelling or appointment.is_cancelled
        zoom = None if cancelled else zoom_details_for(appointment)
        will_follow = (
            not cancelled and zoom is None and appointment.zoom is not None and appointment.zoom.wanted
        )
        # Each recipient's own name (a weekly group's clients each get their own email), in their zone.
        facts = facts_for(appointment, row.client.name if row.client else None, zone)
        dates.append((appointment, SeriesDate(facts, zoom, will_follow, cancelled)))
    if not dates:
        raise LookupError(f"series email {row.id} lists no appointment")
    first = dates[0][1].facts
    context: dict[str, Any] = {
        "kind": row.kind,
        "facts": first,
        "client_name": row.client.name if row.client else first.client_name,
        "dates": [date for _, date in dates],
        "clinic": clinic_of(dates[0][0].org),  # the contact block and the portal link (its list)
    }
    subject = _subject(row.kind, first, len(dates))
    sender = sender_address()
    domain = sender.rpartition("@")[2] or "conecta"
    invites = [
        Invite(
            uid=appointment_uid(appointment.id, appointment.created_at, domain),
            sequence=sequences.get(appointment.id, 0),
            cancelled=date.cancelled,
            summary=gettext(
                "%(service)s with %(staff)s · %(org)s",
                service=date.facts.service_name,
                staff=date.facts.staff_name,
                org=date.facts.org_name,
            ),
            description=render_template("mail/series_ics.txt", date=date),
            starts_at=date.facts.starts_at,
            ends_at=date.facts.ends_at,
            organizer_name=date.facts.org_name,
            organizer_email=sender,
            attendee_name=context["client_name"],
            attendee_email=row.to_address,
            join_url=date.zoom.join_url if date.zoom else None,
        )
        for appointment, date in dates
        if date.cancelled == cancelling  # a request leaves out dates cancelled since; a cancel, the rest
    ]
    method = "CANCEL" if cancelling else "REQUEST"
    return Composed(
        subject=subject,
        text=render_template("mail/series.txt", **context),
        html=render_template("mail/series.html", **context),
        ics=build_calendar(invites, method) if invites else None,
        ics_method=method,
    )


def _subject(kind: EmailKind, first: Facts, count: int) -> str:
    values = {"service": first.service_name, "start": first.when_short, "org": first.org_name}
    if kind == EmailKind.SERIES_CONFIRMATION:
        return ngettext(
            "Confirmed: %(service)s, %(num)d date from %(start)s · %(org)s",
            "Confirmed: %(service)s, %(num)d dates from %(start)s · %(org)s",
            count,
            **values,
        )
    if kind == EmailKind.SERIES_UPDATE:
        return ngettext(
            "Updated: %(service)s, %(num)d date from %(start)s · %(org)s",
            "Updated: %(service)s, %(num)d dates from %(start)s · %(org)s",
            count,
            **values,
        )
    return ngettext(
        "Cancelled: %(service)s, %(num)d date from %(start)s · %(org)s",
        "Cancelled: %(service)s, %(num)d dates from %(start)s · %(org)s",
        count,
        **values,
    )
