"""Calendar geometry: periods, wall-clock minutes across DST changes, overnight items, lanes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from conecta.calendar.layout import (
    DEFAULT_COLOR,
    Placed,
    assign_lanes,
    period_for,
    place,
    safe_color,
    utc_bounds,
)

TIJUANA = ZoneInfo("America/Tijuana")


@dataclass
class FakeService:
    color: str = "#10b981"


@dataclass
class FakeAppointment:
    id: int
    starts_at: datetime
    duration_minutes: int = 60
    service: FakeService = field(default_factory=FakeService)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


def local(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TIJUANA).astimezone(UTC)


def test_week_starts_on_monday_and_day_is_one_day():
    week = period_for("week", date(2030, 1, 10))  # a Thursday
    assert week.first == date(2030, 1, 7) and week.last == date(2030, 1, 13) and len(week.days) == 7
    assert week.previous == date(2029, 12, 31) and week.next == date(2030, 1, 14)
    day = period_for("day", date(2030, 1, 10))
    assert day.days == (date(2030, 1, 10),) and day.previous == date(2030, 1, 9)


def test_utc_bounds_follow_the_zone_including_a_dst_week():
    start, end = utc_bounds(
        period_for("week", date(2030, 3, 10)), TIJUANA
    )  # Mar 4–10, spring forward on 10th
    assert start == datetime(2030, 3, 4, 8, 0, tzinfo=UTC)  # midnight PST
    assert end == datetime(2030, 3, 11, 7, 0, tzinfo=UTC)  # midnight PDT


def test_ten_oclock_is_drawn_at_ten_on_both_sides_of_spring_forward():
    before = FakeAppointment(1, local(2030, 3, 9, 10))
    after = FakeAppointment(2, local(2030, 3, 11, 10))
    assert before.starts_at.hour == 18 and after.starts_at.hour == 17  # different UTC instants
    grid = place([before, after], period_for("week", date(2030, 3, 11)), TIJUANA)
    # Mar 11 is the Monday of its week: only `after` is in this week.
    (placed,) = grid.columns[0].items
    assert placed.appointment is after and placed.start_minute == 600 and placed.end_minute == 660
    grid = place([before], period_for("day", date(2030, 3, 9)), TIJUANA)
    assert grid.columns[0].items[0].start_minute == 600


def test_the_clock_change_day_itself():
    # 03:00 PDT exists on the change day; it is 180 wall-clock minutes after midnight.
    item = FakeAppointment(1, local(2030, 3, 10, 3))
    grid = place([item], period_for("day", date(2030, 3, 10)), TIJUANA)
    assert grid.columns[0].items[0].start_minute == 180
    assert grid.first_hour == 3


def test_overnight_appointments_appear_in_both_days_clipped():
    item = FakeAppointment(1, local(2030, 1, 7, 23), duration_minutes=120)
    grid = place([item], period_for("week", date(2030, 1, 7)), TIJUANA)
    monday, tuesday = grid.columns[0].items, grid.columns[1].items
    assert (monday[0].start_minute, monday[0].end_minute) == (23 * 60, 24 * 60)
    assert (tuesday[0].start_minute, tuesday[0].end_minute) == (0, 60)
    assert (grid.first_hour, grid.last_hour) == (0, 24)


def test_visible_hours_default_and_widen():
    grid = place([], period_for("day", date(2030, 1, 7)), TIJUANA)
    assert (grid.first_hour, grid.last_hour) == (7, 19)
    assert grid.slots[0].strftime("%H:%M") == "07:00" and len(grid.slots) == 24
    early_late = [FakeAppointment(1, local(2030, 1, 7, 6, 30)), FakeAppointment(2, local(2030, 1, 7, 19, 15))]
    grid = place(early_late, period_for("day", date(2030, 1, 7)), TIJUANA)
    assert (grid.first_hour, grid.last_hour) == (6, 21)  # 19:15 + 60 min ends 20:15 → up to 21:00


def test_short_items_stay_clickable():
    item = FakeAppointment(1, local(2030, 1, 7, 9), duration_minutes=5)
    placed = place([item], period_for("day", date(2030, 1, 7)), TIJUANA).columns[0].items[0]
    assert placed.drawn_minutes == 15


def test_lanes_share_width_only_within_a_cluster_of_overlaps():
    def p(id_, start, end):
        return Placed(FakeAppointment(id_, local(2030, 1, 7, 0)), start, end, DEFAULT_COLOR)

    a, b, c, d = p(1, 540, 600), p(2, 570, 630), p(3, 600, 660), p(4, 720, 780)
    items = [d, c, b, a]
    assign_lanes(items)
    assert [(x.appointment.id, x.lane, x.lanes) for x in items] == [
        (1, 0, 2),
        (2, 1, 2),
        (3, 0, 2),  # starts when a ends: reuses lane 0
        (4, 0, 1),  # no overlap: full width
    ]


def test_only_hex_colours_reach_the_style_attribute():
    assert safe_color("#AbCdEf") == "#AbCdEf"
    assert safe_color("red;}") == DEFAULT_COLOR
    assert safe_color(None) == DEFAULT_COLOR
