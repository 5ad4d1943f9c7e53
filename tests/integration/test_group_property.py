"""Group sessions as a property: whatever happens to their membership, Zoom holds exactly one meeting per
live session and none for anything else, and a membership change never touches the meeting.

The harness of the one Zoom rule's property test (`test_zoom_rule_property.World`: the real booking
pipeline, a real RQ worker, the sandbox over HTTP), with group operations added: booking a group of one
to three clients (once, or weekly: a series of two dates), a client joining, a client leaving, and everything the rule's test does (moves,
cancellations, switches, disconnects, the worker catching up at random points). Checked:

- right after each join or leave, before any job ran: the session's Zoom bookkeeping is exactly as it was
  (no mark, the same meeting, the same state) -- the change asked nothing of Zoom;
- once settled: the rule's check (exactly the meetings the rule says, one per live session, none for a
  cancelled one), and every live group session's meeting is titled with the service's name alone.

Small and deterministic by default; HYPOTHESIS_PROFILE=deep searches longer.
"""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from conecta.bookings import series
from conecta.bookings import service as bookings
from conecta.groups import participants
from conecta.scheduling import BookingDetails
from conecta.scheduling.series import Repeat
from tests.integration.test_zoom_rule_property import OPERATION, PROFILE, World, check_the_rule
from tests.support.groups import add_group_clinic
from tests.support.zoom_sync import fresh, meetings

WHO = st.integers(0, 4)  # which of the clinic's five clients
GROUP_OPERATION = st.one_of(
    st.tuples(st.just("book_group"), st.integers(1, 3), WHO),
    st.tuples(st.just("join"), st.integers(0, 3), WHO),
    st.tuples(st.just("leave"), st.integers(0, 3), WHO),
    st.tuples(st.just("cancel_group"), st.integers(0, 3)),
    st.tuples(st.just("book_weekly_group"), st.integers(1, 3), WHO),
)
OPERATIONS = st.tuples(
    st.lists(st.tuples(st.just("book_group"), st.integers(1, 3), WHO), min_size=1, max_size=2),
    st.lists(st.one_of(GROUP_OPERATION, GROUP_OPERATION, OPERATION), min_size=3, max_size=12),
).map(lambda parts: parts[0] + parts[1])

MEMBERSHIP = [
    ("book_group", 3, 0), ("work",), ("leave", 0, 1), ("join", 0, 3), ("book_group", 2, 2),
    ("join", 1, 0), ("leave", 0, 0), ("work",), ("join", 0, 0), ("cancel_group", 1), ("leave", 0, 3),
    ("book_weekly_group", 2, 1), ("join", 3, 4), ("work",), ("leave", 4, 1), ("cancel_group", 2),
]  # fmt: skip


class GroupWorld(World):
    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.clinic = add_group_clinic(self.org)
        self.groups: list[int] = []

    def session(self, index: int):
        if not self.groups:
            return None
        appointment = fresh(self.groups[index % len(self.groups)])
        return None if appointment.is_cancelled else appointment

    def book_group(self, size: int, first: int) -> None:
        clients = [self.clinic.clients[(first + i) % 5] for i in range(size)]
        details = BookingDetails(
            client=clients[0], service=self.clinic.group, staff=self.org.staff, starts_at=self.next_slot()
        )
        appointment = bookings.save_new(self.org.org, details, clients[1:])
        self.appointments.append(appointment.id)
        self.groups.append(appointment.id)

    def book_weekly_group(self, size: int, first: int) -> None:
        """A weekly group of two dates (a series, `conecta.bookings.series`): each date a session."""
        clients = [self.clinic.clients[(first + i) % 5] for i in range(size)]
        starts_at = self.next_slot()
        details = BookingDetails(
            client=clients[0], service=self.clinic.group, staff=self.org.staff, starts_at=starts_at
        )
        weekday = starts_at.astimezone(self.org.org.tz).weekday()
        plan = series.plan_series(self.org.org, details, Repeat(1, (weekday,), count=2))
        for appointment in series.book_series(self.org.org, details, plan, clients[1:]):
            self.appointments.append(appointment.id)
            self.groups.append(appointment.id)

    def _untouched(self, appointment, change) -> None:
        zoom = appointment.zoom
        before = zoom and (zoom.sync_requested_at, zoom.meeting_id, zoom.state, zoom.join_url)
        change()
        zoom = fresh(appointment.id).zoom
        assert (zoom and (zoom.sync_requested_at, zoom.meeting_id, zoom.state, zoom.join_url)) == before

    def join(self, index: int, who: int) -> None:
        appointment, client = self.session(index), self.clinic.clients[who]
        if appointment and not appointment.has_client(client.id) and len(appointment.clients) < 3:
            self._untouched(appointment, lambda: participants.add_client(appointment, client))

    def leave(self, index: int, who: int) -> None:
        appointment, client = self.session(index), self.clinic.clients[who]
        if appointment and appointment.has_client(client.id) and len(appointment.clients) > 1:
            self._untouched(appointment, lambda: participants.remove_client(appointment, client.id))

    def cancel_group(self, index: int) -> None:
        if appointment := self.session(index):
            bookings.cancel(appointment)

    def change_service(self, index: int) -> None:
        appointment = self.appointment(index)
        if appointment is not None and not appointment.is_group:  # a group's service stays a group's
            super().change_service(index)


@PROFILE
@given(operations=OPERATIONS)
@example(operations=MEMBERSHIP)
def test_after_any_membership_changes_each_live_session_has_its_one_meeting(
    sync_app, acme, zoom_sandbox, connect_zoom, as_user, mailbox, operations
):
    world = GroupWorld(sync_app, zoom_sandbox, connect_zoom, as_user)
    for operation in operations:
        world.do(operation)
    check_the_rule(world)
    by_id = {str(m["id"]): m for m in meetings(zoom_sandbox)}
    for session_id in world.groups:
        session = fresh(session_id)
        if session.is_cancelled:
            continue
        assert len(session.clients) >= 1
        if session.zoom is not None and session.zoom.meeting_id in by_id:
            assert by_id[session.zoom.meeting_id]["topic"] == "Group therapy"
