"""The booking rules: overlaps, durations, time zones across DST changes, double-booking."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from conecta.extensions import db
from conecta.scheduling import (
    MAX_DURATION_MINUTES,
    BookingDetails,
    BookingError,
    cancel_appointment,
    create_appointment,
    find_conflict,
    overlaps,
    to_utc,
    update_appointment,
)

T9 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return T9.replace(hour=hour, minute=minute)


# --- overlaps: half-open intervals [start, end) ------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "clash"),
    [
        ((at(9), at(10)), (at(10), at(11)), False),  # back to back: end == start is free
        ((at(10), at(11)), (at(9), at(10)), False),  # the same, the other way round
        ((at(9), at(10)), (at(9, 59), at(11)), True),  # one minute inside
        ((at(9), at(12)), (at(10), at(11)), True),  # containment
        ((at(10), at(11)), (at(9), at(12)), True),  # contained
        ((at(9), at(10)), (at(9), at(10)), True),  # identical
        ((at(9), at(10)), (at(11), at(12)), False),  # apart
    ],
)
def test_overlaps_treats_intervals_as_half_open(a, b, clash) -> None:
    assert overlaps(*a, *b) is clash
    assert overlaps(*b, *a) is clash  # symmetric


# --- to_utc across daylight-saving changes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected_utc"),
    [
        # America/Tijuana: PST (UTC-8) until 2026-03-08 02:00, then PDT (UTC-7); back on 2026-11-01.
        ("America/Tijuana", date(2026, 3, 7), time(9, 0), datetime(2026, 3, 7, 17, 0, tzinfo=UTC)),
        ("America/Tijuana", date(2026, 3, 9), time(9, 0), datetime(2026, 3, 9, 16, 0, tzinfo=UTC)),
        ("America/Tijuana", date(2026, 3, 8), time(1, 30), datetime(2026, 3, 8, 9, 30, tzinfo=UTC)),
        ("America/Tijuana", date(2026, 3, 8), time(3, 0), datetime(2026, 3, 8, 10, 0, tzinfo=UTC)),
        ("America/Tijuana", date(2026, 10, 31), time(9, 0), datetime(2026, 10, 31, 16, 0, tzinfo=UTC)),
        ("America/Tijuana", date(2026, 11, 2), time(9, 0), datetime(2026, 11, 2, 17, 0, tzinfo=UTC)),
        # Europe/Madrid: CET (UTC+1) until 2026-03-29 02:00, then CEST (UTC+2); back on 2026-10-25.
        ("Europe/Madrid", date(2026, 3, 28), time(9, 0), datetime(2026, 3, 28, 8, 0, tzinfo=UTC)),
        ("Europe/Madrid", date(2026, 3, 30), time(9, 0), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
        ("Europe/Madrid", date(2026, 3, 29), time(1, 59), datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        ("Europe/Madrid", date(2026, 3, 29), time(3, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        ("Europe/Madrid", date(2026, 10, 24), time(9, 0), datetime(2026, 10, 24, 7, 0, tzinfo=UTC)),
        ("Europe/Madrid", date(2026, 10, 26), time(9, 0), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),
    ],
)
def test_to_utc_on_both_sides_of_dst_changes(tz, day, wall, expected_utc) -> None:
    got = to_utc(day, wall, tz)
    assert got == expected_utc
    assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("tz", "day", "wall"),
    [
        ("America/Tijuana", date(2026, 3, 8), time(2, 0)),
        ("America/Tijuana", date(2026, 3, 8), time(2, 30)),
        ("Europe/Madrid", date(2026, 3, 29), time(2, 0)),
        ("Europe/Madrid", date(2026, 3, 29), time(2, 45)),
    ],
)
def test_to_utc_refuses_a_wall_time_skipped_by_spring_forward(tz, day, wall) -> None:
    with pytest.raises(BookingError) as refused:
        to_utc(day, wall, tz)
    assert "does not exist" in refused.value.errors["time"]
    assert tz in refused.value.errors["time"]


def test_to_utc_takes_the_first_of_a_repeated_fall_back_hour() -> None:
    # 01:30 happens twice in Tijuana on 2026-11-01: first in PDT (08:30 UTC), then in PST (09:30 UTC).
    assert to_utc(date(2026, 11, 1), time(1, 30), "America/Tijuana") == datetime(
        2026, 11, 1, 8, 30, tzinfo=UTC
    )


# --- durations ---------------------------------------------------------------------------------------


def test_duration_defaults_to_the_service(acme) -> None:
    appt = acme.book(T9)
    assert appt.duration_minutes == acme.service.duration_minutes == 60
    assert appt.ends_at == T9 + timedelta(minutes=60)


def test_duration_can_be_overridden(acme) -> None:
    appt = acme.book(T9, duration_minutes=25)
    assert appt.duration_minutes == 25
    assert appt.ends_at == T9 + timedelta(minutes=25)


@pytest.mark.parametrize("minutes", [5, MAX_DURATION_MINUTES])
def test_duration_limits_are_inclusive(acme, minutes) -> None:
    assert acme.book(T9, duration_minutes=minutes).duration_minutes == minutes


@pytest.mark.parametrize("minutes", [4, -30, MAX_DURATION_MINUTES + 1])
def test_duration_outside_the_limits_is_refused(acme, minutes) -> None:
    with pytest.raises(BookingError) as refused:
        acme.book(T9, duration_minutes=minutes)
    assert refused.value.errors["duration_minutes"] == "Duration must be between 5 and 720 minutes."


# --- validation --------------------------------------------------------------------------------------


def test_missing_pieces_are_named(acme) -> None:
    with pytest.raises(BookingError) as refused:
        create_appointment(
            db.session, acme.org, BookingDetails(client=None, service=None, staff=None, starts_at=None)
        )
    assert set(refused.value.errors) >= {"client_id", "service_id", "staff_id", "time"}


def test_another_organizations_people_and_services_are_refused(acme, rival) -> None:
    with pytest.raises(BookingError) as refused:
        create_appointment(
            db.session,
            acme.org,
            BookingDetails(client=rival.client, service=rival.service, staff=rival.staff, starts_at=T9),
        )
    assert set(refused.value.errors) == {"client_id", "service_id", "staff_id"}


def test_inactive_staff_and_service_are_refused(acme) -> None:
    acme.staff.active = False
    acme.service.active = False
    with pytest.raises(BookingError) as refused:
        acme.book(T9)
    assert "staff_id" in refused.value.errors
    assert refused.value.errors["service_id"] == "Consultation is no longer offered."


# --- double booking ----------------------------------------------------------------------------------


def test_double_booking_is_refused_with_the_conflict_named(acme) -> None:
    acme.book(T9)  # 09:00–10:00 UTC = 01:00–02:00 in Tijuana (PST)
    with pytest.raises(BookingError) as refused:
        acme.book(T9 + timedelta(minutes=30), client=acme.other_client)
    message = refused.value.errors["staff_id"]
    assert message == (
        "Sam Staff is already booked from 01:00 to 02:00 on Mon 07 Jan (Consultation with Carla Client)."
    )


def test_back_to_back_bookings_are_allowed(acme) -> None:
    acme.book(T9)
    second = acme.book(T9 + timedelta(hours=1))
    assert second.id is not None


def test_another_staff_member_is_free_at_the_same_time(acme) -> None:
    acme.book(T9)
    assert acme.book(T9, staff=acme.admin).staff_id == acme.admin.id


def test_a_cancelled_appointment_frees_its_slot(acme) -> None:
    first = acme.book(T9)
    cancel_appointment(first)
    db.session.commit()
    assert find_conflict(db.session, acme.staff.id, T9, 60) is None
    assert acme.book(T9).id != first.id


def test_a_long_appointment_that_started_earlier_is_found(acme) -> None:
    long_one = acme.book(T9, duration_minutes=MAX_DURATION_MINUTES)
    later = T9 + timedelta(minutes=MAX_DURATION_MINUTES - 5)
    assert find_conflict(db.session, acme.staff.id, later, 30) == long_one
    assert find_conflict(db.session, acme.staff.id, T9 + timedelta(minutes=MAX_DURATION_MINUTES), 30) is None


def test_an_edit_does_not_conflict_with_itself(acme) -> None:
    appt = acme.book(T9)
    update_appointment(
        db.session,
        appt,
        BookingDetails(
            client=acme.client, service=acme.service, staff=acme.staff, starts_at=T9 + timedelta(minutes=15)
        ),
    )
    db.session.commit()
    assert appt.starts_at == T9 + timedelta(minutes=15)


def test_a_cancelled_appointment_cannot_be_edited_and_cancelling_twice_changes_nothing(acme) -> None:
    appt = acme.book(T9)
    cancel_appointment(appt)
    cancelled_at = appt.cancelled_at
    cancel_appointment(appt)
    assert appt.cancelled_at == cancelled_at
    with pytest.raises(BookingError) as refused:
        update_appointment(
            db.session,
            appt,
            BookingDetails(client=acme.client, service=acme.service, staff=acme.staff, starts_at=T9),
        )
    assert "status" in refused.value.errors
