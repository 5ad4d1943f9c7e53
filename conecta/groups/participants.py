"""Who is in a group session, and the saves that change it.

A group appointment is an ordinary appointment -- one staff member, one time, one Zoom meeting made and
kept by the usual pipeline -- whose clients are rows of `appointment_participants`. Booking and editing
go through `conecta.bookings.service` like any appointment (`enrol` and `follow_service` run inside
that transaction). Adding or removing a client is a smaller save: it never asks Zoom's plan anything
(the meeting stays exactly as it is: same id, same link, no call), and only the mail plan runs -- which,
per client, owes the one added a confirmation and the one removed a cancellation, and the others
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask_babel import gettext

from conecta.extensions import db
from conecta.mail import plan as mail_plan
from conecta.mail import send as mail_send
from conecta.models import Appointment, AppointmentParticipant, Client, Service
from conecta.models.participant import ACTIVE, REMOVED
from conecta.models.types import utcnow
from conecta.scheduling import BookingError


def _unique(clients: Sequence[Client | None]) -> list[Client]:
    seen: dict[int, Client] = {}
    for client in clients:
        if client is not None and client.id not in seen:
            seen[client.id] = client
    return list(seen.values())


def check_clients(
    service: Service | None, clients: Sequence[Client | None], field: str = "more_client_ids"
) -> None:
    """A booking's clients fit its service: one for an ordinary service, up to the capacity for a group.
    Raises `BookingError` naming `field` (the modal's "Other clients")."""
    chosen = _unique(clients)
    if service is None:
        return
    if not service.is_group and len(chosen) > 1:
        raise BookingError(
            {
                field: gettext(
                    "%(service)s is for one client; only group services take several.", service=service.name
                )
            }
        )
    if service.is_group and len(chosen) > service.capacity:
        raise BookingError(
            {
                field: gettext(
                    "%(service)s takes at most %(capacity)d clients.",
                    service=service.name,
                    capacity=service.capacity,
                )
            }
        )


def enrol(appointment: Appointment, clients: Sequence[Client | None]) -> None:
    """A new booking of a group service: every chosen client becomes a participant (its `client` first).
    For an ordinary service nothing is written: its client is `appointment.client`."""
    check_clients(appointment.service, clients)
    if not appointment.service.is_group:
        return
    org_id = appointment.org_id
    for client in _unique(clients):
        if client.org_id != org_id:
            raise BookingError({"more_client_ids": gettext("Choose clients of your organization.")})
        appointment.participants.append(
            AppointmentParticipant(client_id=client.id, client=client, status=ACTIVE)
        )


def follow_service(appointment: Appointment) -> None:
    """After an edit: a group session stays a group (its service must still take its participants); an
    ordinary appointment moved to a group service becomes a group of its one client."""
    service = appointment.service
    if appointment.participants:
        count = len([p for p in appointment.participants if p.active])
        if not service.is_group:
            raise BookingError(
                {
                    "service_id": gettext(
                        "A group session needs a group service: choose one, or cancel the session."
                    )
                }
            )
        if count > service.capacity:
            raise BookingError(
                {
                    "service_id": gettext(
                        "%(service)s takes at most %(capacity)d clients; this session has %(count)d.",
                        service=service.name,
                        capacity=service.capacity,
                        count=count,
                    )
                }
            )
    elif service.is_group:
        enrol(appointment, [appointment.client])


def ensure_group(appointment: Appointment) -> None:
    """A session of a service that became a group after it was booked: its client is its first
    participant (so Add client works on it)."""
    if appointment.is_group and not appointment.participants:
        enrol(appointment, [appointment.client])


def _save_membership(appointment: Appointment, change: Callable[[Appointment], None]) -> Appointment:
    """Lock the appointment, apply `change`, plan the emails it owes, commit; then queue them. No Zoom
    plan, no mark, no job: a membership change never touches the meeting."""
    try:
        locked = mail_plan.lock_appointment(db.session, appointment.id)
        if locked is None:
            raise BookingError({"status": gettext("This session no longer exists.")})
        if locked.is_cancelled:
            raise BookingError({"status": gettext("A cancelled session cannot change its clients.")})
        if not locked.is_group:
            raise BookingError({"status": gettext("Only a group session has clients to add or remove.")})
        ensure_group(locked)
        change(locked)
        db.session.flush()
        db.session.expire(locked, ["participants"])
        mail_plan.plan(locked)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    mail_send.enqueue_queued(locked.id)
    return locked


def add_client(appointment: Appointment, client: Client | None) -> Appointment:
    """Add a client to a group session (up to its service's capacity): they get a confirmation with the
    Join link (or "coming soon"); the others get nothing. Raises `BookingError` when refused."""

    def change(locked: Appointment) -> None:
        if client is None or client.org_id != locked.org_id:
            raise BookingError({"client_id": gettext("Choose a client.")})
        if locked.has_client(client.id):
            raise BookingError(
                {"client_id": gettext("%(name)s is already in this session.", name=client.name)}
            )
        if len(locked.clients) >= locked.service.capacity:
            raise BookingError(
                {
                    "client_id": gettext(
                        "This session is full (%(capacity)d clients).", capacity=locked.service.capacity
                    )
                }
            )
        row = next((p for p in locked.participants if p.client_id == client.id), None)
        if row is None:
            locked.participants.append(
                AppointmentParticipant(client_id=client.id, client=client, status=ACTIVE)
            )
        else:
            row.status, row.removed_at, row.added_at = ACTIVE, None, utcnow()

    return _save_membership(appointment, change)


def remove_client(appointment: Appointment, client_id: int | None) -> Appointment:
    """Remove a client from a group session: they get a cancellation; the others get nothing. The last
    client cannot be removed (cancel the session instead). Raises `BookingError` when refused."""

    def change(locked: Appointment) -> None:
        row = next((p for p in locked.participants if p.client_id == client_id and p.active), None)
        if row is None:
            raise BookingError({"client_id": gettext("That client is not in this session.")})
        if len(locked.clients) <= 1:
            raise BookingError(
                {"client_id": gettext("A session keeps at least one client: cancel the session instead.")}
            )
        row.status, row.removed_at = REMOVED, utcnow()

    return _save_membership(appointment, change)
