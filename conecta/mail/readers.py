"""Who reads an email: its recipient's language and time zone, chosen explicitly for each message.

A job composing an email has no request to guess from, so every message is rendered for the reader the
outbox row names, as they are when it is sent: a client's own language and zone (else the
organization's), an admin's own UI language in the organization's zone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from conecta.extensions import db
from conecta.models import Client, Organization, User
from conecta.models.email import EmailKind, OutboxEmail


@dataclass(frozen=True)
class Reader:
    """Who reads a message: its language and time zone, chosen explicitly (a job has no request)."""

    locale: str
    zone: str


def client_reader(client: Client | None, org: Organization) -> Reader:
    """A client reads their own language and zone, else the organization's."""
    if client is None:
        return Reader(org.language, org.timezone)
    return Reader(client.language or org.language, client.timezone or org.timezone)


def staff_reader(email: str, org: Organization) -> Reader:
    """A staff member (an admin's alert) reads their UI language, in the organization's zone."""
    user = db.session.scalar(select(User).where(User.email == email, User.org_id == org.id))
    return Reader((user.language if user else None) or org.language, org.timezone)


def reader_for(row: OutboxEmail) -> Reader:
    """The recipient of an outbox row, as they are now (a language changed since booking counts)."""
    if row.appointment is not None:
        org = row.appointment.org
    elif row.client is not None:
        org = row.client.org
    elif row.user is not None:
        org = row.user.org
    else:
        org = db.session.get(Organization, row.org_id)
    if row.kind == EmailKind.ZOOM_RECONNECT:
        return staff_reader(row.to_address, org)
    if row.user is not None:  # a team member's invite or password reset
        return Reader(row.user.language or org.language, org.timezone)
    return client_reader(row.client, org)
