"""The email outbox: one row per message we owe a client, written in the same transaction as its cause.

A row is the promise; the RQ job (`conecta.mail.send`) keeps it. The body is composed when the job runs,
from the appointment's state at that moment, so the row holds no Zoom link or passcode — only what the
Settings → Emails page shows (to, subject, kind, status, attempts, last error) and the bookkeeping that
makes sending idempotent and calendar invites ordered.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.extensions import db
from conecta.models.appointment import Appointment
from conecta.models.client import Client
from conecta.models.types import UTCDateTime, string_enum, utcnow
from conecta.models.user import User


class EmailKind(StrEnum):
    """What a message is about."""

    CONFIRMATION = "confirmation"  # the appointment was booked
    UPDATE = "update"  # it changed in a way the email shows (time, duration, service, staff)
    CANCELLATION = "cancellation"
    ZOOM_LINK = "zoom_link"  # the Join link follows a message that went without it
    DETAILS = "details"  # staff asked to resend the details
    PORTAL_INVITE = "portal_invite"  # the portal sign-up link
    REMINDER = "reminder"  # before the appointment (conecta.mail.reminders), after its Zoom check
    ZOOM_RECONNECT = "zoom_reconnect"  # to an admin: Zoom needs reconnecting and appointments depend on it
    STAFF_INVITE = "staff_invite"  # a new team member's link to set their password (conecta.auth.links)
    PASSWORD_RESET = "password_reset"  # Forgot password: a staff member's or a portal client's link
    # One message about several occurrences of a weekly series (conecta.mail.series), in place of one each.
    SERIES_CONFIRMATION = "series_confirmation"
    SERIES_UPDATE = "series_update"
    SERIES_CANCELLATION = "series_cancellation"
    CLIENT_CANCELLED = "client_cancelled"  # to the staff member: the client cancelled in the portal


class EmailStatus(StrEnum):
    """Where a message stands in the outbox."""

    WAITING = "waiting"  # held until the appointment's Zoom meeting settles (so it carries the link)
    QUEUED = "queued"  # a send job is due
    SENDING = "sending"  # claimed by a job
    RETRYING = "retrying"  # the last attempt failed; RQ retries later
    SENT = "sent"
    FAILED = "failed"  # gave up; an admin may Retry
    SUPERSEDED = "superseded"  # a newer message about the same appointment replaced it before it went out
    FOLDED = "folded"  # told as one date of a series email (conecta.mail.series), not on its own


SERIES_KINDS = (EmailKind.SERIES_CONFIRMATION, EmailKind.SERIES_UPDATE, EmailKind.SERIES_CANCELLATION)
# Messages to a client about an appointment (they share its calendar UID and SEQUENCE).
APPOINTMENT_KINDS = tuple(
    k
    for k in EmailKind
    if k
    not in (
        EmailKind.PORTAL_INVITE,
        EmailKind.ZOOM_RECONNECT,
        EmailKind.STAFF_INVITE,
        EmailKind.PASSWORD_RESET,
        EmailKind.CLIENT_CANCELLED,
        *SERIES_KINDS,
    )
)
UNSENT = (EmailStatus.WAITING, EmailStatus.QUEUED, EmailStatus.RETRYING, EmailStatus.FAILED)
# The client was (or is being) told: a folded row's news travels in its series email.
DELIVERED = (EmailStatus.SENT, EmailStatus.SENDING, EmailStatus.FOLDED)


class OutboxEmail(db.Model):
    __tablename__ = "email_outbox"
    __table_args__ = (
        # The calendar SEQUENCE of an appointment's invite grows with every message about it.
        UniqueConstraint("appointment_id", "ics_sequence", name="uq_email_outbox_appointment_sequence"),
        Index("ix_email_outbox_org_created", "org_id", "created_at"),
        Index("ix_email_outbox_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    # The recipient; the address is refreshed from the client when the message is sent.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    # Or a staff member (their invite or password reset); None for everything else.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[EmailKind] = mapped_column(string_enum(EmailKind, 20))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[EmailStatus] = mapped_column(string_enum(EmailStatus, 12))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Idempotence: one row per (appointment, change sequence), or per invite request.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    ics_sequence: Mapped[int | None]
    # Fixed when the row is made, so a retried send carries the same Message-ID.
    message_id: Mapped[str] = mapped_column(String(255))
    # JSON of what the message is about (time, service, staff, client) — compared to tell a reschedule
    # from a notes-only edit; a cancellation to a former client of the appointment is composed from it.
    details_snapshot: Mapped[str | None] = mapped_column(Text)
    # A digest of the Zoom details that went out (None: the message had no Join link).
    zoom_details_hash: Mapped[str | None] = mapped_column(String(64))
    # External root of the app (e.g. "https://app.holaconecta.com/") for links built at send time.
    link_base: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    appointment: Mapped[Appointment | None] = relationship()
    client: Mapped[Client | None] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def snapshot(self) -> dict[str, Any]:
        return json.loads(self.details_snapshot) if self.details_snapshot else {}

    @property
    def can_retry(self) -> bool:
        return self.status == EmailStatus.FAILED
