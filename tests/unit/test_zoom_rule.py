"""The one Zoom rule as a table: pure functions of the appointment, its service, staff's choice, the
connection and the time (no database: the models are built in memory)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conecta.models import Appointment, Service, StaffChoice, ZoomMeeting, ZoomState
from conecta.zoom import rule

NOW = datetime(2030, 3, 11, 12, 0, tzinfo=UTC)


def appointment(
    *,
    auto_create: bool = True,
    choice: StaffChoice | None = None,
    starts_in: timedelta = timedelta(days=1),
    cancelled: bool = False,
    meeting: bool = False,
    wanted: bool | None = None,
) -> Appointment:
    booked = Appointment(
        starts_at=NOW + starts_in,
        duration_minutes=30,
        status="cancelled" if cancelled else "booked",
        service=Service(name="Video", zoom_auto_create=auto_create),
    )
    if choice is not None or meeting or wanted is not None:
        booked.zoom = ZoomMeeting(
            state=ZoomState.READY if meeting else ZoomState.NONE,
            staff_choice=choice,
            wanted=meeting if wanted is None else wanted,
            meeting_id="81234567890" if meeting else None,
        )
    return booked


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (appointment(), True),
        (appointment(auto_create=False), False),
        (appointment(auto_create=False, choice=StaffChoice.ADDED), True),
        (appointment(choice=StaffChoice.REMOVED), False),
        (appointment(cancelled=True), False),
        (appointment(starts_in=-timedelta(minutes=10)), True),  # in progress: not yet ended
        (appointment(starts_in=-timedelta(minutes=30)), False),  # ended
    ],
    ids=["service-on", "service-off", "added", "removed", "cancelled", "in-progress", "ended"],
)
def test_the_rule_covers(case: Appointment, expected: bool) -> None:
    assert rule.covers(case, connected=True, now=NOW) is expected
    assert rule.covers(case, connected=False, now=NOW) is False  # never without a live connection


def test_switching_a_service_on_is_asked_without_changing_it() -> None:
    off = appointment(auto_create=False)
    assert rule.covers(off, connected=True, now=NOW, auto_create=True)
    assert rule.needs_meeting(off, connected=True, now=NOW, auto_create=True)
    assert off.service.zoom_auto_create is False


@pytest.mark.parametrize(
    ("case", "service_changed", "kept"),
    [
        (appointment(auto_create=False, meeting=True), False, True),  # the service was switched off
        (appointment(meeting=True, starts_in=-timedelta(hours=2)), False, True),  # ended
        (appointment(auto_create=False, meeting=True), True, False),  # moved to a service without Zoom
        (appointment(auto_create=False, meeting=True, choice=StaffChoice.ADDED), True, True),
        (appointment(meeting=True, choice=StaffChoice.REMOVED), False, False),
        (appointment(meeting=True, cancelled=True), False, False),
        (appointment(auto_create=False, wanted=True), False, False),  # nothing in Zoom: nothing to keep
    ],
    ids=["switched-off", "ended", "service-changed", "added-then-changed", "removed", "cancelled", "none"],
)
def test_a_link_is_never_taken_away_without_an_explicit_action(
    case: Appointment, service_changed: bool, kept: bool
) -> None:
    for connected in (True, False):  # disconnecting takes nothing away either
        assert rule.keeps_meeting(case, service_changed=service_changed) is kept
        wanted = rule.wanted(case, connected=connected, now=NOW, service_changed=service_changed)
        assert wanted is (kept or rule.covers(case, connected=connected, now=NOW))


def test_add_and_remove_apply_where_they_mean_something() -> None:
    plain = appointment(auto_create=False)
    assert rule.add_refusal(plain, connected=True, now=NOW) is None
    assert rule.add_refusal(plain, connected=False, now=NOW) == rule.NOT_CONNECTED
    assert rule.add_refusal(appointment(meeting=True), connected=True, now=NOW) == rule.ADD_REFUSED["has_one"]
    assert rule.add_refusal(appointment(cancelled=True), connected=True, now=NOW)
    assert rule.add_refusal(appointment(starts_in=-timedelta(days=1)), connected=True, now=NOW)
    assert rule.remove_refusal(appointment(meeting=True), connected=True) is None
    assert rule.remove_refusal(plain, connected=True) == rule.NOTHING_TO_REMOVE
