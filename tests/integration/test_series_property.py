"""Weekly series and the one Zoom rule, as a property: whatever series are booked, edited with a scope
and cancelled (among single bookings, moves and cancellations), once the jobs settle Zoom holds exactly
one meeting per live occurrence, at its local wall-clock time, and none for anything else.

The harness is the Zoom rule's property test (`test_zoom_rule_property.World`: one organization connected
to a fresh sandbox, the real booking pipeline, a real RQ worker, the sandbox over HTTP, and its
`check_the_rule`). Series start two weeks before the clocks change in Tijuana, so they cross it; each
occurrence's expected wall-clock time is tracked here, apart from the code under test. Series are
booked for the admin (a second person on the calendar), so single bookings rarely collide with them;
a scoped edit the rules refuse (a slot taken) changes nothing, and that is checked too.

Small and deterministic by default; HYPOTHESIS_PROFILE=deep searches longer, at random.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from conecta.bookings import series as series_service
from conecta.models.types import utcnow
from conecta.scheduling import BookingDetails, BookingError
from conecta.scheduling.series import Repeat
from tests.integration.test_zoom_rule_property import PROFILE, World, check_the_rule
from tests.support.zoom_sync import FAST_SYNC, START, fresh

INDEX = st.integers(0, 11)
SCOPE = st.sampled_from(series_service.SCOPES)
OPERATION = st.one_of(
    st.tuples(st.just("series"), st.integers(2, 5)),
    st.tuples(st.just("series_move"), INDEX, SCOPE, st.sampled_from([1, 2, -1])),
    st.tuples(st.just("series_cancel"), INDEX, SCOPE),
    st.tuples(st.just("book"), st.just("video"), st.booleans()),
    st.tuples(st.just("cancel"), INDEX),
    st.tuples(
        st.just("work"),
    ),
)
OPERATIONS = st.tuples(
    st.lists(st.tuples(st.just("series"), st.integers(2, 5)), min_size=1, max_size=2),
    st.lists(OPERATION, min_size=2, max_size=8),
).map(lambda parts: parts[0] + parts[1])

# Always tried: a split, then the whole tail moved again, then one date cancelled, then the rest.
SPLIT_AND_CANCEL = [
    ("series", 4), ("work",), ("series_move", 2, "following", 1), ("series_move", 3, "all", -1),
    ("series_cancel", 0, "this"), ("work",), ("series_cancel", 1, "following"),
]  # fmt: skip


class SeriesWorld(World):
    """The rule's world, plus weekly series and the wall-clock time each occurrence should keep."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.occurrences: list[int] = []
        self.wall_clock: dict[int, tuple[int, int]] = {}  # occurrence id → (hour, minute) local

    def series(self, count: int) -> None:
        # Two weeks before the first Monday after Tijuana's spring change, at this operation's own hour.
        first = START - timedelta(days=14) + timedelta(hours=self.next_slot_hours())
        org = self.org.org
        details = BookingDetails(
            client=self.org.client, service=self.services["video"], staff=self.org.admin, starts_at=first
        )
        local = first.astimezone(org.tz)
        repeat = Repeat(interval_weeks=1, weekdays=(local.weekday(),), count=count)
        plan = series_service.plan_series(org, details, repeat)
        booked = series_service.book_series(org, details, plan)
        for appointment in booked:
            self.appointments.append(appointment.id)
            self.occurrences.append(appointment.id)
            self.wall_clock[appointment.id] = (local.hour, local.minute)

    def next_slot_hours(self) -> int:
        self.slot += 1
        return self.slot

    def occurrence(self, index: int):
        if not self.occurrences:
            return None
        appointment = fresh(self.occurrences[index % len(self.occurrences)])
        return None if appointment.is_cancelled or appointment.starts_at <= utcnow() else appointment

    def series_move(self, index: int, scope: str, hours: int) -> None:
        appointment = self.occurrence(index)
        if appointment is None:
            return
        targets = [a.id for a in series_service.upcoming(appointment, scope)]
        before = {i: fresh(i).starts_at for i in targets}
        moved = (appointment.starts_at + timedelta(hours=hours)).astimezone(self.org.org.tz)
        details = BookingDetails(
            client=appointment.client,
            service=appointment.service,
            staff=appointment.staff,
            starts_at=appointment.starts_at + timedelta(hours=hours),
            duration_minutes=appointment.duration_minutes,
        )
        try:
            series_service.edit(appointment, details, scope)
        except BookingError:
            assert {i: fresh(i).starts_at for i in targets} == before  # refused: nothing changed
            return
        for appointment_id in targets:
            self.wall_clock[appointment_id] = (moved.hour, moved.minute)

    def series_cancel(self, index: int, scope: str) -> None:
        if appointment := self.occurrence(index):
            series_service.cancel(appointment, scope)


def check_the_wall_clock(world: SeriesWorld) -> None:
    tz = world.org.org.tz
    for appointment_id, (hour, minute) in world.wall_clock.items():
        appointment = fresh(appointment_id)
        if not appointment.is_cancelled:
            local = appointment.starts_at.astimezone(tz)
            assert (local.hour, local.minute) == (hour, minute), (appointment_id, local)


@PROFILE
@given(operations=OPERATIONS)
@example(operations=SPLIT_AND_CANCEL)
def test_after_any_series_sequence_zoom_holds_one_meeting_per_live_occurrence(
    sync_app, acme, zoom_sandbox, connect_zoom, as_user, mailbox, operations
):
    sync_app.config.update(FAST_SYNC)
    world = SeriesWorld(sync_app, zoom_sandbox, connect_zoom, as_user)
    for operation in operations:
        world.do(operation)
    check_the_rule(world)  # one meeting per live occurrence, at its time; none for the rest
    check_the_wall_clock(world)
