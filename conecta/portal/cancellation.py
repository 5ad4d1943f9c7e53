"""A client cancels an upcoming appointment in the portal, up to the organization's cutoff.

The rule is stated once here and asked twice: by the page (which offers Cancel, or says why not) and
by the POST (which refuses a late or repeated cancellation however it was sent). The cancellation is
staff's cancellation (`conecta.bookings.service.cancel_by_client`): the same transaction, so the Zoom
meeting is deleted through the pipeline and the client gets the cancellation email, plus an email to
the staff member with what the client wrote.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext, ngettext

from conecta.models import Appointment
from conecta.models.types import utcnow

# Settings → Organization: how many hours before the start clients may still cancel (0: until it starts).
MIN_CUTOFF_HOURS = 0
MAX_CUTOFF_HOURS = 720  # 30 days
MAX_MESSAGE_LENGTH = 2000


class CancelRefused(Exception):
    """The portal may not cancel this appointment (any more); `str(exc)` says why, for the client."""


def deadline(appointment: Appointment) -> datetime:
    """The last moment a client may cancel it in the portal."""
    return appointment.starts_at - timedelta(hours=appointment.org.portal_cancel_cutoff_hours)


def refusal(appointment: Appointment, now: datetime | None = None) -> str | None:
    """Why the client may not cancel it in the portal now, or None when they may."""
    now = now or utcnow()
    org = appointment.org
    if appointment.is_cancelled:
        return gettext("This booking is already cancelled.")
    if appointment.is_group:
        # Cancelling a group session would cancel it for everyone in it: a place is given up by staff.
        return gettext(
            "This is a group session, so it cannot be cancelled here. "
            "Please contact %(clinic)s to give up your place.",
            clinic=org.name,
        )
    if appointment.starts_at <= now:
        return gettext(
            "This appointment has already started, so it can no longer be cancelled here. "
            "Please contact %(clinic)s.",
            clinic=org.name,
        )
    if now >= deadline(appointment):
        hours = org.portal_cancel_cutoff_hours
        return ngettext(
            "Cancellations close %(num)d hour before the appointment. "
            "Please contact %(clinic)s to cancel or change it.",
            "Cancellations close %(num)d hours before the appointment. "
            "Please contact %(clinic)s to cancel or change it.",
            hours,
            clinic=org.name,
        )
    return None


def cancel(appointment: Appointment, message: str | None, now: datetime | None = None) -> Appointment:
    """Cancel it for the client, with their optional message to the clinic; raises `CancelRefused`."""
    from conecta.bookings import service

    why = refusal(appointment, now)
    if why is not None:
        raise CancelRefused(why)
    return service.cancel_by_client(appointment, (message or "").strip() or None)
