"""Saving appointments: ONE function per action, each a single transaction.

Each function applies the booking rules (`conecta.scheduling`), flushes, sends `appointment_saving`
(receivers add their bookkeeping — the Zoom "sync needed" mark, an email outbox row — to the same
transaction), commits, then sends `appointment_committed` (receivers enqueue jobs). Views never
commit appointments themselves, so every save passes through here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from conecta import scheduling
from conecta.extensions import db
from conecta.models import Appointment, Client, Organization, Service, User
from conecta.signals import appointment_committed, appointment_saving


def _lock_staff(staff: User | None) -> None:
    """Serialize bookings per staff member (row lock on PostgreSQL) so the conflict check cannot race.

    Two requests booking the same person at the same time would otherwise both pass `find_conflict`.
    SQLite has no row locks, but it allows only one writer at a time anyway.
    """
    if staff is not None and staff.id is not None:
        db.session.execute(select(User.id).where(User.id == staff.id).with_for_update())


def _save(change: str, staff: User | None, apply: Callable[[], Appointment]) -> Appointment:
    """One transaction: lock the staff member, apply the rules, let receivers join, commit — or roll back."""
    try:
        _lock_staff(staff)
        appointment = apply()
        db.session.flush()
        appointment_saving.send(appointment, change=change)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    appointment_committed.send(appointment.id, change=change)
    return appointment


def save_new(
    org: Organization,
    *,
    client: Client | None,
    service: Service | None,
    staff: User | None,
    starts_at: datetime | None,
    duration_minutes: int | None = None,
    notes: str = "",
) -> Appointment:
    """Book a new appointment; raises `scheduling.BookingError` (nothing saved) when the rules refuse."""
    return _save(
        "created",
        staff,
        lambda: scheduling.create_appointment(
            db.session,
            org,
            client=client,
            service=service,
            staff=staff,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            notes=notes,
        ),
    )


def save_edit(
    appointment: Appointment,
    *,
    client: Client | None,
    service: Service | None,
    staff: User | None,
    starts_at: datetime | None,
    duration_minutes: int | None = None,
    notes: str = "",
) -> Appointment:
    """Apply an edit (time, service, staff, client, notes); raises `BookingError` when refused."""
    return _save(
        "updated",
        staff,
        lambda: scheduling.update_appointment(
            db.session,
            appointment,
            client=client,
            service=service,
            staff=staff,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            notes=notes,
        ),
    )


def cancel(appointment: Appointment) -> Appointment:
    """Cancel (the appointment stays, struck through); cancelling an already cancelled one is a no-op."""
    if appointment.is_cancelled:
        return appointment
    return _save("cancelled", None, lambda: scheduling.cancel_appointment(appointment))
