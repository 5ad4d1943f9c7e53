"""Calendar invites (iTIP over email, RFC 5546) built with `icalendar`.

One UID per appointment and a SEQUENCE that grows with every message about it: the client's calendar
then updates (or removes, on METHOD:CANCEL) the one event instead of piling up copies. Times go out in
UTC, so no calendar has to guess a zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Conecta//Appointments//EN"


@dataclass(frozen=True)
class Invite:
    """What goes into one invite; `join_url` is the Zoom Join link (never the host's start URL)."""

    uid: str
    sequence: int
    cancelled: bool
    summary: str
    description: str
    starts_at: datetime
    ends_at: datetime
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str
    join_url: str | None = None

    @property
    def method(self) -> str:
        return "CANCEL" if self.cancelled else "REQUEST"


def appointment_uid(appointment_id: int, created_at: datetime, domain: str) -> str:
    """Stable for the appointment's life; the creation stamp keeps two Conecta installs apart."""
    stamp = created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"appointment-{appointment_id}-{stamp}@{domain}"


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def build_ics(invite: Invite, now: datetime | None = None) -> bytes:
    """The .ics bytes: METHOD:REQUEST (or CANCEL with STATUS:CANCELLED), DTSTART/DTEND in UTC."""
    return build_calendar([invite], invite.method, now)


def build_calendar(invites: list[Invite], method: str, now: datetime | None = None) -> bytes:
    """One calendar holding a VEVENT per invite (a series email's occurrences: each its own UID)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    for invite in invites:
        calendar.add_component(_event(invite, now))
    return calendar.to_ical()


def _event(invite: Invite, now: datetime | None) -> Event:
    event = Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", invite.starts_at.astimezone(UTC))
    event.add("dtend", invite.ends_at.astimezone(UTC))
    event.add("summary", invite.summary)
    event.add("description", invite.description)
    event.add("status", "CANCELLED" if invite.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(invite.organizer_email, invite.organizer_name))
    event.add(
        "attendee",
        _address(
            invite.attendee_email,
            invite.attendee_name,
            role="REQ-PARTICIPANT",
            partstat="NEEDS-ACTION",
            # We do not process replies; calendars should not offer to send one.
            rsvp="FALSE",
        ),
    )
    if invite.join_url and not invite.cancelled:
        event.add("location", invite.join_url)
        event.add("url", invite.join_url)
    return event
