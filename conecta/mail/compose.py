"""Compose client emails at send time, from the current state of what they are about.

Nothing about Zoom is copied into the outbox: the Join link, meeting ID and passcode are read from the
appointment when the message is built, so a retried or delayed message is never stale. The host's
start URL is never read here at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from zoneinfo import ZoneInfo

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from conecta.clinic import clinic_of
from conecta.dates import format_instant, zone_name
from conecta.extensions import db
from conecta.mail.ics import Invite, appointment_uid, build_ics
from conecta.mail.readers import Reader, client_reader, reader_for
from conecta.mail.subjects import subject_for
from conecta.models import Appointment, Organization
from conecta.models.email import APPOINTMENT_KINDS, DELIVERED, SERIES_KINDS, EmailKind, OutboxEmail
from conecta.models.types import utcnow
from conecta.models.zoom_meeting import format_meeting_id


@dataclass(frozen=True)
class ZoomDetails:
    """What a client needs to join; `passcode` is optional (Zoom may not return one)."""

    join_url: str
    meeting_id: str | None
    passcode: str | None

    @property
    def meeting_id_display(self) -> str | None:
        return format_meeting_id(self.meeting_id) or None

    def digest(self) -> str:
        """Tells whether the client already has these details, without storing them in clear."""
        raw = "\x1f".join([self.join_url, self.meeting_id or "", self.passcode or ""])
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Facts:
    """The appointment as the client should read it."""

    org_name: str
    timezone: str
    service_name: str
    staff_name: str
    client_name: str
    starts_at: datetime
    ends_at: datetime
    cancelled: bool

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.timezone))

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(ZoneInfo(self.timezone))

    @property
    def zone_name(self) -> str:
        """The reader's zone, named in their language ("hora de Estados Unidos (Nueva York)")."""
        return zone_name(self.timezone)

    @property
    def when(self) -> str:
        """e.g. "Monday 7 January 2030, 09:00–10:00 (Mexico (Tijuana) Time)", "martes, 16 de marzo de
        2027, 10:00–11:00 (hora de España (Madrid))": Babel, in the language being rendered."""
        start, end = self.local_start, self.local_end
        same_day = end.date() == start.date()
        return _(
            "%(day)s, %(start)s–%(end)s (%(zone)s)",
            day=format_instant(start, self.timezone, "long_day"),
            start=format_instant(start, self.timezone, "time"),
            end=format_instant(end, self.timezone, "time" if same_day else "weekday_day")
            + ("" if same_day else ", " + format_instant(end, self.timezone, "time")),
            zone=self.zone_name,
        )

    @property
    def when_short(self) -> str:
        return _(
            "%(when)s (%(zone)s)",
            when=format_instant(self.starts_at, self.timezone, "subject"),
            zone=self.zone_name,
        )


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str
    ics: bytes | None = None
    ics_method: str | None = None
    zoom_details_hash: str | None = None


def _clean(value: str | None) -> str | None:
    """Treat empty values as absent, so a template never prints an empty, "None" or "undefined" line."""
    text = (value or "").strip()
    return text or None


def zoom_details_for(appointment: Appointment) -> ZoomDetails | None:
    """The Join details a client may see now (`ZoomMeeting.shareable`), or None."""
    zoom = appointment.zoom
    if zoom is None or not zoom.shareable or _clean(zoom.join_url) is None:
        return None
    return ZoomDetails(
        join_url=_clean(zoom.join_url), meeting_id=_clean(zoom.meeting_id), passcode=_clean(zoom.passcode)
    )


def facts_for(appointment: Appointment, client_name: str | None = None, zone: str | None = None) -> Facts:
    """The appointment as `client_name` (its only client, by default) reads it, in `zone` (default: that
    client's own). A group session's participants each get their own facts: nothing in them names
    another participant."""
    return Facts(
        org_name=appointment.org.name,
        timezone=zone or client_reader(appointment.client, appointment.org).zone,
        service_name=appointment.service.name,
        staff_name=appointment.staff.name,
        client_name=client_name if client_name is not None else appointment.client.name,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        cancelled=appointment.is_cancelled,
    )


def facts_from_snapshot(
    appointment: Appointment, snapshot: dict, client_name: str, zone: str | None = None
) -> Facts:
    """For a former client of a reassigned appointment: what they were last told."""
    starts_at = datetime.fromisoformat(snapshot["starts_at"])
    return Facts(
        org_name=appointment.org.name,
        timezone=zone or appointment.org.timezone,
        service_name=snapshot["service_name"],
        staff_name=snapshot["staff_name"],
        client_name=client_name,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=snapshot["duration_minutes"]),
        cancelled=True,
    )


def sender_address() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] or "no-reply@localhost"


def previous_facts(row: OutboxEmail, facts: Facts) -> Facts | None:
    """What the client was last told about the appointment (the latest message delivered before this
    one), when the time, service or staff member differ from `facts`; else None."""
    if row.id is None or row.appointment_id is None or row.client_id is None:
        return None  # a message not in the outbox (a preview): nothing was told before it
    earlier = db.session.scalars(
        select(OutboxEmail)
        .where(
            OutboxEmail.appointment_id == row.appointment_id,
            OutboxEmail.client_id == row.client_id,
            OutboxEmail.id < row.id,
            OutboxEmail.kind.in_(APPOINTMENT_KINDS),
            OutboxEmail.status.in_(DELIVERED),
        )
        .order_by(OutboxEmail.id.desc())
        .limit(1)
    ).first()
    if earlier is None or not earlier.snapshot:
        return None
    told = earlier.snapshot
    starts_at = datetime.fromisoformat(told["starts_at"])
    previous = replace(
        facts,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=told["duration_minutes"]),
        service_name=told.get("service_name", facts.service_name),
        staff_name=told.get("staff_name", facts.staff_name),
    )
    changed = (previous.when, previous.service_name, previous.staff_name)
    return previous if changed != (facts.when, facts.service_name, facts.staff_name) else None


def _compose_appointment(row: OutboxEmail, reader: Reader) -> Composed:
    appointment = row.appointment
    # A cancellation to someone who is no longer this appointment's client (reassigned, or removed from
    # a group) tells them what they knew.
    former_client = row.client_id is not None and not appointment.has_client(row.client_id)
    if former_client:
        facts = facts_from_snapshot(appointment, row.snapshot, row.client.name, reader.zone)
        cancelled = True
    else:
        facts = facts_for(appointment, row.client.name if row.client else None, reader.zone)
        cancelled = row.kind == EmailKind.CANCELLATION or appointment.is_cancelled
    zoom = None if cancelled else zoom_details_for(appointment)
    # No link yet: "Meeting link coming soon" while the meeting is due; an update after staff removed it
    # (or moved the appointment to a service without Zoom) says the link the client has is gone.
    zoom_row = None if cancelled or zoom is not None else appointment.zoom
    link_will_follow = zoom_row is not None and zoom_row.wanted
    zoom_removed = zoom_row is not None and not zoom_row.wanted and row.kind == EmailKind.UPDATE
    kind = EmailKind.CANCELLATION if cancelled else row.kind
    context = {
        "kind": kind,
        "facts": facts,
        "zoom": zoom,
        "link_will_follow": link_will_follow,
        "zoom_removed": zoom_removed,
        # An update shows what changed: what the client was last told, struck through, then the new.
        "previous": previous_facts(row, facts) if kind == EmailKind.UPDATE else None,
        "clinic": clinic_of(appointment.org, "portal.booking", appointment_id=appointment.id),
        # Staff's reason reaches the client only when they ticked "Include the reason in the email".
        "cancel_reason": (
            appointment.cancel_reason
            if kind == EmailKind.CANCELLATION and not former_client and appointment.cancel_reason_in_email
            else None
        ),
    }
    text = render_template("mail/appointment.txt", **context)
    html = render_template("mail/appointment.html", **context)
    description = render_template("mail/appointment_ics.txt", **context)
    sender = sender_address()
    invite = Invite(
        uid=appointment_uid(appointment.id, appointment.created_at, sender.rpartition("@")[2] or "conecta"),
        sequence=row.ics_sequence or 0,
        cancelled=cancelled,
        summary=_(
            "%(service)s with %(staff)s · %(org)s",
            service=facts.service_name,
            staff=facts.staff_name,
            org=facts.org_name,
        ),
        description=description,
        starts_at=facts.starts_at,
        ends_at=facts.ends_at,
        organizer_name=facts.org_name,
        organizer_email=sender,
        attendee_name=row.client.name if row.client else facts.client_name,
        attendee_email=row.to_address,
        join_url=zoom.join_url if zoom else None,
    )
    return Composed(
        subject=subject_for(kind, facts),
        text=text,
        html=html,
        ics=build_ics(invite),
        ics_method=invite.method,
        zoom_details_hash=zoom.digest() if zoom else None,
    )


def _compose_zoom_reconnect(row: OutboxEmail, reader: Reader) -> Composed:
    """To an admin: Zoom needs reconnecting, and these upcoming appointments depend on it."""
    from conecta.models.zoom import zoom_connection_for
    from conecta.zoom.alerts import count_upcoming, current_incident, subject, upcoming_zoom_appointments

    org = db.session.get(Organization, row.org_id)
    now = utcnow()
    with current_app.test_request_context(base_url=current_app.config["CONECTA_BASE_URL"] + "/"):
        integrations_url = url_for("settings.integrations", _external=True)
    incident = current_incident(org.id)
    context = {
        "org_name": org.name,
        "timezone": reader.zone,
        "reconnected": zoom_connection_for(org.id) is not None,
        "why": incident.detail if incident is not None else "",
        "appointments": upcoming_zoom_appointments(org.id, now),
        "total": count_upcoming(org.id, now),
        "integrations_url": integrations_url,
    }
    return Composed(
        subject=subject(org.name),
        text=render_template("mail/zoom_reconnect.txt", **context),
        html=render_template("mail/zoom_reconnect.html", **context),
    )


def compose(row: OutboxEmail) -> Composed:
    """The subject and bodies (and invite) of an outbox row, from the current state of the data, in its
    recipient's language and zone (`reader_for`), whoever enqueued it and whenever it runs."""
    reader = reader_for(row)
    with force_locale(reader.locale):
        if row.kind == EmailKind.ZOOM_RECONNECT:
            return _compose_zoom_reconnect(row, reader)
        if row.kind == EmailKind.CLIENT_CANCELLED:
            from conecta.mail.staff_notice import compose_client_cancelled

            return compose_client_cancelled(row)
        if row.kind in SERIES_KINDS:
            from conecta.mail.series import compose_series

            return compose_series(row, reader.zone)
        if row.kind in (EmailKind.PORTAL_INVITE, EmailKind.STAFF_INVITE, EmailKind.PASSWORD_RESET):
            from conecta.mail import password_mail  # every password link, one way (conecta.auth.links)

            return password_mail.compose(row, reader)
        return _compose_appointment(row, reader)


ORG_HEADER = "X-Conecta-Organization"


def one_line(text: str) -> str:
    """A header value from names people typed: line breaks (and other control characters) become
    spaces, so a header can never be split or refused by the mail library."""
    return "".join(" " if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)


def build_message(row: OutboxEmail, composed: Composed, org_name: str) -> EmailMessage:
    """A multipart message: text and HTML alternatives (+ text/calendar), the .ics attached."""
    message = EmailMessage()
    sender = sender_address()
    username, _, domain = sender.partition("@")
    # "In the organization's name": the org is the display name of our sending address.
    message["From"] = Address(
        display_name=one_line(org_name), username=username, domain=domain or "localhost"
    )
    message["To"] = row.to_address
    message["Subject"] = one_line(composed.subject)
    message[ORG_HEADER] = str(row.org_id)  # the Dev mailbox shows each organization its own mail
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(composed.text)
    message.add_alternative(composed.html, subtype="html")
    if composed.ics is not None:
        ics_text = composed.ics.decode()
        # Inline for mail apps that show invites with Accept buttons; attached for everything else.
        message.add_alternative(ics_text, subtype="calendar", params={"method": composed.ics_method})
        message.add_attachment(
            composed.ics,
            maintype="application",
            subtype="ics",
            filename="invite.ics" if composed.ics_method == "REQUEST" else "cancel.ics",
        )
    return message
