"""Calendar geometry: periods, wall-clock minutes across DST changes, overnight items, lanes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from conecta.calendar.layout import (
    DEFAULT_COLOR,
    CalendarEntry,
    Placed,
    WallClock,
    assign_lanes,
    period_for,
    place,
    safe_color,
    utc_bounds,
)

TIJUANA = ZoneInfo("America/Tijuana")


def entry(id_: int, starts_at: datetime, duration_minutes: int = 60, color: str = "#10b981") -> CalendarEntry:
    return CalendarEntry(
        id_, starts_at, duration_minutes, "booked", "Client", "Service", "Staff", color, WallClock(TIJUANA)
    )


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
    before = entry(1, local(2030, 3, 9, 10))
    after = entry(2, local(2030, 3, 11, 10))
    assert before.starts_at.hour == 18 and after.starts_at.hour == 17  # different UTC instants
    grid = place([before, after], period_for("week", date(2030, 3, 11)))
    # Mar 11 is the Monday of its week: only `after` is in this week.
    (placed,) = grid.columns[0].items
    assert placed.entry is after and placed.start_minute == 600 and placed.end_minute == 660
    grid = place([before], period_for("day", date(2030, 3, 9)))
    assert grid.columns[0].items[0].start_minute == 600


def test_the_clock_change_day_itself():
    # 03:00 PDT exists on the change day; it is 180 wall-clock minutes after midnight.
    item = entry(1, local(2030, 3, 10, 3))
    grid = place([item], period_for("day", date(2030, 3, 10)))
    assert grid.columns[0].items[0].start_minute == 180
    assert grid.first_hour == 3


def test_overnight_appointments_appear_in_both_days_clipped():
    item = entry(1, local(2030, 1, 7, 23), duration_minutes=120)
    grid = place([item], period_for("week", date(2030, 1, 7)))
    monday, tuesday = grid.columns[0].items, grid.columns[1].items
    assert (monday[0].start_minute, monday[0].end_minute) == (23 * 60, 24 * 60)
    assert (tuesday[0].start_minute, tuesday[0].end_minute) == (0, 60)
    assert (grid.first_hour, grid.last_hour) == (0, 24)


def test_visible_hours_default_and_widen():
    grid = place([], period_for("day", date(2030, 1, 7)))
    assert (grid.first_hour, grid.last_hour) == (7, 19)
    assert grid.slots[0].strftime("%H:%M") == "07:00" and len(grid.slots) == 24
    early_late = [entry(1, local(2030, 1, 7, 6, 30)), entry(2, local(2030, 1, 7, 19, 15))]
    grid = place(early_late, period_for("day", date(2030, 1, 7)))
    assert (grid.first_hour, grid.last_hour) == (6, 21)  # 19:15 + 60 min ends 20:15 → up to 21:00


def test_short_items_stay_clickable():
    item = entry(1, local(2030, 1, 7, 9), duration_minutes=5)
    placed = place([item], period_for("day", date(2030, 1, 7))).columns[0].items[0]
    assert placed.drawn_minutes == 15


def test_lanes_share_width_only_within_a_cluster_of_overlaps():
    def p(id_, start, end):
        return Placed(entry(id_, local(2030, 1, 7, 0)), start, end)

    a, b, c, d = p(1, 540, 600), p(2, 570, 630), p(3, 600, 660), p(4, 720, 780)
    items = [d, c, b, a]
    assign_lanes(items)
    assert [x.entry.id for x in items] == [4, 3, 2, 1]  # the list keeps its order
    assert {x.entry.id: (x.lane, x.lanes) for x in items} == {
        1: (0, 2),
        2: (1, 2),
        3: (0, 2),  # starts when 1 ends: reuses lane 0
        4: (0, 1),  # no overlap: full width
    }


def test_only_hex_colours_reach_the_style_attribute():
    assert safe_color("#AbCdEf") == "#AbCdEf"
    assert safe_color("red;}") == DEFAULT_COLOR
    assert safe_color(None) == DEFAULT_COLOR


def test_midnight_ends_and_starts_before_the_period():
    ends_at_midnight = entry(1, local(2030, 1, 7, 23))
    from_sunday = entry(2, local(2030, 1, 6, 23), duration_minutes=120)
    grid = place([ends_at_midnight, from_sunday], period_for("week", date(2030, 1, 7)))
    monday = {p.entry.id: (p.start_minute, p.end_minute) for p in grid.columns[0].items}
    assert monday == {1: (23 * 60, 24 * 60), 2: (0, 60)}
    assert all(not column.items for column in grid.columns[1:])


def test_time_labels_are_local_on_both_sides_of_a_dst_change():
    assert entry(1, local(2030, 3, 11, 10), 90).time_label == "10:00–11:30"
    assert entry(2, local(2030, 3, 9, 10), 90).time_label == "10:00–11:30"
    # Across the change itself: 01:30 PST + 60 minutes is 03:30 PDT.
    assert entry(3, local(2030, 3, 10, 1, 30), 60).time_label == "01:30–03:30"


def test_the_wall_clock_reads_naive_utc_as_the_database_returns_it():
    clock = WallClock(TIJUANA)
    for aware in (local(2030, 3, 10, 1, 30), local(2030, 11, 3, 0, 30), local(2030, 1, 7, 23)):
        naive = aware.astimezone(UTC).replace(tzinfo=None)
        assert WallClock(TIJUANA).span(naive, 90) == clock.span(aware, 90)
    # 01:30 PST + 90 minutes is 04:00 PDT on the spring-forward day; 00:30 PDT + 90 is 01:00 PST in the fall.
    assert clock.span(local(2030, 3, 10, 1, 30), 90)[5] == "01:30–04:00"
    assert clock.span(local(2030, 11, 3, 0, 30), 90)[5] == "00:30–01:00"
    assert clock.span(local(2030, 1, 7, 23), 60)[4] is True  # ends exactly at midnight


def test_many_parallel_lanes_each_get_their_own():
    def p(id_, start, end):
        return Placed(entry(id_, local(2030, 1, 7, 0)), start, end)

    side_by_side = [p(i, 540, 570) for i in range(200)]
    later = p(999, 570, 600)  # starts as they all end: a cluster of its own, full width
    assign_lanes([*side_by_side, later])
    assert [x.lane for x in side_by_side] == list(range(200))
    assert {x.lanes for x in side_by_side} == {200}
    assert (later.lane, later.lanes) == (0, 1)
