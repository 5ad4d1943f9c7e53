"""The booking rules: validation, conflicts and time zones. No Flask here — callers pass a session."""

from conecta.scheduling.rules import (
    MAX_BOOKING_YEAR,
    MAX_DURATION_MINUTES,
    MIN_BOOKING_YEAR,
    BookingDetails,
    BookingError,
    cancel_appointment,
    create_appointment,
    find_conflict,
    overlaps,
    to_utc,
    update_appointment,
)

__all__ = [
    "MAX_BOOKING_YEAR",
    "MAX_DURATION_MINUTES",
    "MIN_BOOKING_YEAR",
    "BookingDetails",
    "BookingError",
    "cancel_appointment",
    "create_appointment",
    "find_conflict",
    "overlaps",
    "to_utc",
    "update_appointment",
]
