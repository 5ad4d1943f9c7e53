"""The one Zoom rule as a property: whatever staff and admins do, once the jobs settle Zoom holds exactly
the meetings the rule says.

Hypothesis generates sequences of bookings, edits (time, service, client, notes), cancellations,
services switched on and off, Add and Remove Zoom meeting, disconnects and reconnects, with the worker
catching up at random points. Everything goes through the real paths: the booking pipeline, the
switch's and the Integrations card's views (OAuth against the sandbox), a real RQ worker and the
sandbox over HTTP. Then, with the connection as the sequence left it, for every appointment:

- the rule covers it (`rule.covers`) → exactly one meeting in the sandbox carries its tracking key,
  and it is the meeting the appointment shows (`ready`);
- the rule does not cover it, but its meeting may stay: "never taken away without an explicit action"
  (`rule.keeps_meeting`: its service was switched off, or Zoom is disconnected) or it was cancelled or
  removed while Zoom was disconnected (`left`, for the cleanup after a reconnect to offer) → exactly
  that one meeting, the one the appointment shows;
- otherwise → no meeting in the sandbox at all.
So every meeting in the sandbox belongs to exactly one appointment that is allowed to have it, and no
appointment has two.

The default profile is small and deterministic (CI, about ten seconds); HYPOTHESIS_PROFILE=deep
searches longer, at random.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conecta.bookings import service as bookings
from conecta.bookings import zoom_actions
from conecta.extensions import db
from conecta.models import Appointment, ZoomState
from conecta.models.types import utcnow
from conecta.models.zoom import zoom_connection_for
from conecta.scheduling import BookingDetails
from conecta.zoom import replan, rule
from conecta.zoom.cleanup import TRACKING_KEY
from conecta.zoom.decide import zoom_time
from tests.support.factories import build_org
from tests.support.worker import fresh_namespace
from tests.support.zoom_side import run_until_quiet
from tests.support.zoom_sync import FAST_SYNC, START, edit, fresh, meetings

DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
PROFILE = settings(
    max_examples=200 if DEEP else 2,
    derandomize=not DEEP,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

INDEX = st.integers(0, 7)  # which appointment (modulo how many there are)
SERVICE = st.sampled_from(["video", "in_person"])
BOOKING = st.tuples(st.just("book"), SERVICE, st.booleans())  # (…, for the other client)
OPERATION = st.one_of(
    BOOKING,
    st.tuples(st.just("move"), INDEX),
    st.tuples(st.just("change_service"), INDEX),
    st.tuples(st.just("change_client"), INDEX),
    st.tuples(st.just("edit_notes"), INDEX),
    st.tuples(st.just("cancel"), INDEX),
    st.tuples(st.just("add"), INDEX),
    st.tuples(st.just("remove"), INDEX),
    st.tuples(st.just("switch_on"), SERVICE),
    st.tuples(st.just("switch_off"), SERVICE),
    st.tuples(st.just("disconnect")),
    st.tuples(st.just("reconnect")),
    st.tuples(st.just("work")),  # the worker catches up now
)
# A few bookings first, so that what follows has appointments to act on.
OPERATIONS = st.tuples(
    st.lists(BOOKING, min_size=2, max_size=4), st.lists(OPERATION, min_size=3, max_size=12)
).map(lambda parts: parts[0] + parts[1])

# The paths the rule must reach, always tried (besides the generated sequences).
RECONNECT = [
    ("book", "video", False), ("book", "video", True), ("work",), ("disconnect",),
    ("book", "video", False),  # booked while disconnected: gets its meeting after the reconnect
    ("move", 0),  # a change that cannot reach Zoom: caught up after the reconnect
    ("cancel", 1),  # cancelled while disconnected: left in Zoom, for the cleanup to offer
    ("reconnect",),
]  # fmt: skip
SWITCHES = [
    ("book", "in_person", False), ("book", "in_person", True), ("book", "video", False),
    ("switch_on", "in_person"), ("work",), ("switch_off", "in_person"),
    ("move", 0),  # switched off: the meeting stays and follows
    ("change_service", 2),  # moved to a service without Zoom: an explicit action, the meeting goes
    ("book", "in_person", False),  # switched off: no meeting
]  # fmt: skip
CHOICES = [
    ("book", "in_person", False), ("add", 0), ("work",), ("change_client", 0), ("book", "video", True),
    ("remove", 1), ("work",), ("move", 1), ("remove", 0), ("add", 1),
]  # fmt: skip
ENDS_DISCONNECTED = [
    ("book", "video", False), ("work",), ("switch_off", "video"), ("disconnect",), ("move", 0),
    ("book", "video", True), ("remove", 0),
]  # fmt: skip


class World:
    """One organization, connected to a fresh sandbox, and the operations staff and admins can do."""

    def __init__(self, app: Any, sandbox: Any, connect_zoom: Any, as_user: Any) -> None:
        self.app, self.sandbox, self.connect_zoom, self.as_user = app, sandbox, connect_zoom, as_user
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        fresh_namespace(app)
        sandbox.reset()
        self.org = build_org()
        self.services = {"video": self.org.zoom_service, "in_person": self.org.service}
        self.appointments: list[int] = []
        self.slot = 0
        connect_zoom(self.org)

    def next_slot(self):
        self.slot += 1
        return START + timedelta(hours=self.slot)

    def appointment(self, index: int) -> Appointment | None:
        """A booked appointment of the sequence (None when there is none to act on)."""
        if not self.appointments:
            return None
        appointment = fresh(self.appointments[index % len(self.appointments)])
        return None if appointment.is_cancelled else appointment

    @property
    def connected(self) -> bool:
        return zoom_connection_for(self.org.org.id) is not None

    def do(self, operation: tuple) -> None:
        name, *args = operation
        getattr(self, name)(*args)

    # ---- the operations ---------------------------------------------------------------------------

    def book(self, service: str, other_client: bool) -> None:
        client = self.org.other_client if other_client else self.org.client
        details = BookingDetails(
            client=client, service=self.services[service], staff=self.org.staff, starts_at=self.next_slot()
        )
        self.appointments.append(bookings.save_new(self.org.org, details).id)

    def move(self, index: int) -> None:
        if appointment := self.appointment(index):
            edit(appointment, starts_at=self.next_slot())

    def change_service(self, index: int) -> None:
        if appointment := self.appointment(index):
            other = "in_person" if appointment.service_id == self.services["video"].id else "video"
            edit(appointment, service=fresh_service(self.services[other]))

    def change_client(self, index: int) -> None:
        if appointment := self.appointment(index):
            other = self.org.other_client if appointment.client_id == self.org.client.id else self.org.client
            edit(appointment, client=other)

    def edit_notes(self, index: int) -> None:
        if appointment := self.appointment(index):
            edit(appointment, notes=f"note {self.slot}")

    def cancel(self, index: int) -> None:
        if appointment := self.appointment(index):
            bookings.cancel(appointment)

    def add(self, index: int) -> None:
        appointment = self.appointment(index)
        if appointment and not rule.add_refusal(appointment, connected=self.connected, now=utcnow()):
            zoom_actions.add_zoom_meeting(appointment)

    def remove(self, index: int) -> None:
        appointment = self.appointment(index)
        if appointment and not rule.remove_refusal(appointment, connected=self.connected):
            zoom_actions.remove_zoom_meeting(appointment)

    def switch_on(self, service: str) -> None:
        """What the Events list's switch does once the admin confirmed (refused while disconnected)."""
        target = fresh_service(self.services[service])
        if self.connected and not target.zoom_auto_create:
            replan.switch_on(target)

    def switch_off(self, service: str) -> None:
        answer = self.as_user(self.org.admin).post(
            f"/settings/calendar/events/{self.services[service].id}/zoom"
        )
        assert answer.status_code == 303

    def disconnect(self) -> None:
        answer = self.as_user(self.org.admin).post("/settings/integrations/zoom/disconnect")
        assert answer.status_code == 303

    def reconnect(self) -> None:
        self.connect_zoom(self.org)  # the OAuth flow and its callback, as the admin clicks it

    def work(self) -> None:
        run_until_quiet(self.app)


def fresh_service(service: Any) -> Any:
    return db.session.get(type(service), service.id)


def check_the_rule(world: World) -> None:
    run_until_quiet(world.app)
    now, connected = utcnow(), world.connected
    in_zoom: dict[int, list[dict]] = {}  # the sandbox's meetings, by the appointment their key names
    for meeting in meetings(world.sandbox):
        key = TRACKING_KEY.search(meeting.get("agenda") or "")
        assert key is not None, f"a meeting Conecta did not make: {meeting}"
        in_zoom.setdefault(int(key.group(1)), []).append(meeting)
    assert set(in_zoom) <= set(world.appointments)
    for appointment_id in world.appointments:
        appointment = fresh(appointment_id)
        zoom = appointment.zoom
        held = sorted(str(meeting["id"]) for meeting in in_zoom.get(appointment_id, []))
        if rule.covers(appointment, connected=connected, now=now):
            assert zoom.state == ZoomState.READY, (appointment_id, zoom.state, zoom.error)
            assert held == [zoom.meeting_id], (appointment_id, held)
            (meeting,) = in_zoom[appointment_id]  # ...and it follows the appointment
            expected = (zoom_time(appointment.starts_at), appointment.duration_minutes)
            assert (meeting["start_time"], meeting["duration"]) == expected, appointment_id
        elif (
            zoom is not None
            and zoom.meeting_id
            and (rule.keeps_meeting(appointment) or zoom.state == ZoomState.LEFT)
        ):
            assert held == [zoom.meeting_id], (appointment_id, held, zoom.state)
        else:
            assert held == [], (appointment_id, held, zoom and zoom.state)


@PROFILE
@given(operations=OPERATIONS)
@example(operations=RECONNECT)
@example(operations=SWITCHES)
@example(operations=CHOICES)
@example(operations=ENDS_DISCONNECTED)
def test_after_any_sequence_zoom_holds_exactly_the_meetings_the_rule_says(
    sync_app, acme, zoom_sandbox, connect_zoom, as_user, mailbox, operations
):
    sync_app.config.update(FAST_SYNC)
    world = World(sync_app, zoom_sandbox, connect_zoom, as_user)
    for operation in operations:
        world.do(operation)
    check_the_rule(world)
