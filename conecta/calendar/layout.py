"""Where appointments sit on the calendar: days, minutes from local midnight, and side-by-side lanes.

Pure functions (no Flask, no database) so the geometry is unit-tested on its own, DST days included.
Positions are wall-clock minutes in the organization's zone: a 10:00 booking is drawn at 10:00 on the
day after a clock change, whatever its UTC offset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from heapq import heappop, heappush
from typing import Any
from zoneinfo import ZoneInfo

VIEWS = ("week", "day")
DEFAULT_FIRST_HOUR = 7
DEFAULT_LAST_HOUR = 19
SLOT_MINUTES = 30
MIN_DRAWN_MINUTES = 15  # shorter items still get a clickable height
DEFAULT_COLOR = "#3b82f6"
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# Team members without a chosen colour get one of these, by id: eight hues far apart. Whatever the
# colour, events are drawn as a light tint of it under dark text, so contrast never depends on it.
STAFF_PALETTE = ("#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#dc2626", "#65a30d")
MIDNIGHT = time(0)


@dataclass(frozen=True)
class Period:
    """The days a view shows, and the neighbouring anchors for previous / next."""

    view: str
    anchor: date
    days: tuple[date, ...]

    @property
    def previous(self) -> date:
        return self.anchor - timedelta(days=len(self.days))

    @property
    def next(self) -> date:
        return self.anchor + timedelta(days=len(self.days))

    @property
    def first(self) -> date:
        return self.days[0]

    @property
    def last(self) -> date:
        return self.days[-1]


class WallClock:
    """Where appointments fall on the wall clock of one zone, worked out once per distinct time.

    A busy week repeats the same few dozen slot times across its staff, and each zone conversion is
    the costliest step per appointment, so one clock per render remembers each (start, length) it has
    converted. Start and end are converted separately: adding minutes to a local time would be
    wall-clock arithmetic, wrong across a DST change.
    """

    __slots__ = ("_spans", "zone")

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._spans: dict[tuple[datetime, int], tuple[int, int, int, int, bool, str]] = {}

    def span(self, starts_at: datetime, duration_minutes: int) -> tuple[int, int, int, int, bool, str]:
        """(start day ordinal, start wall minute, end day ordinal, end wall minute, ends exactly at
        local midnight, "09:00–10:00") of an appointment; `starts_at` is UTC, naive or aware."""
        key = (starts_at, duration_minutes)
        found = self._spans.get(key)
        if found is None:
            utc = starts_at if starts_at.tzinfo is not None else starts_at.replace(tzinfo=UTC)
            local_start = utc.astimezone(self.zone)
            local_end = (utc + timedelta(minutes=duration_minutes)).astimezone(self.zone)
            start_hour, start_minute = local_start.hour, local_start.minute
            end_hour, end_minute = local_end.hour, local_end.minute
            found = self._spans[key] = (
                local_start.toordinal(),
                start_hour * 60 + start_minute,
                local_end.toordinal(),
                end_hour * 60 + end_minute,
                local_end.time() == MIDNIGHT,
                # By hand: strftime a thousand times is measurable.
                f"{start_hour:02d}:{start_minute:02d}–{end_hour:02d}:{end_minute:02d}",
            )
        return found


class CalendarEntry:
    """What the grid draws of one appointment: plain values read in one query, no ORM objects
    (building a thousand ORM objects with three relationships costs more than drawing them).
    Day ordinals and wall-clock minutes in the organization's zone come from the render's WallClock."""

    __slots__ = (
        "attendance",
        "cancelled",
        "client_name",
        "color",
        "end_day",
        "end_wall",
        "ends_at_midnight",
        "id",
        "meeting_id",
        "meta_label",
        "start_day",
        "start_wall",
        "starts_at",
        "time_label",
        "zoom_state",
    )

    def __init__(
        self,
        id: int,
        starts_at: datetime,
        duration_minutes: int,
        status: str,
        client_name: str,
        service_name: str,
        staff_name: str,
        color: str,
        clock: WallClock,
        zoom_state: str | None = None,
        meeting_id: str | None = None,
        attendance: str | None = None,
    ) -> None:
        self.id, self.starts_at, self.color = id, starts_at, color
        self.attendance = attendance  # "attended", "no_show" or None
        self.zoom_state, self.meeting_id = zoom_state, meeting_id
        self.cancelled = status == "cancelled"
        self.client_name = client_name
        # One label, one escape instead of two (a busy week has thousands of events).
        self.meta_label = f"{service_name} · {staff_name}"
        (
            self.start_day,
            self.start_wall,
            self.end_day,
            self.end_wall,
            self.ends_at_midnight,
            self.time_label,
        ) = clock.span(starts_at, duration_minutes)


class Placed:
    """One entry drawn in one day column (an overnight one appears in both days).

    A plain slotted class rather than a dataclass: one is built per event per render, and a
    `__post_init__` call plus `max()` for the drawn height are measurable at a thousand events."""

    __slots__ = ("drawn_minutes", "end_minute", "entry", "lane", "lanes", "start_minute")

    def __init__(self, entry: Any, start_minute: int, end_minute: int, lane: int = 0, lanes: int = 1) -> None:
        self.entry = entry
        self.start_minute = start_minute  # wall-clock minutes from local midnight
        self.end_minute = end_minute
        self.lane, self.lanes = lane, lanes
        length = end_minute - start_minute  # the drawn height: short items stay clickable
        self.drawn_minutes = length if length > MIN_DRAWN_MINUTES else MIN_DRAWN_MINUTES

    def __repr__(self) -> str:
        return f"Placed(entry={self.entry.id}, {self.start_minute}–{self.end_minute}, lane {self.lane}/{self.lanes})"

    @property
    def style(self) -> str:
        """CSS custom properties the stylesheet positions the event with (all numbers or a checked hex)."""
        return (
            f"--start:{self.start_minute};--len:{self.drawn_minutes};--lane:{self.lane};"
            f"--lanes:{self.lanes};--color:{safe_color(self.entry.color)}"
        )


@dataclass
class DayColumn:
    day: date
    items: list[Placed] = field(default_factory=list)


@dataclass
class Grid:
    columns: list[DayColumn]
    first_hour: int
    last_hour: int

    @property
    def hours(self) -> range:
        return range(self.first_hour, self.last_hour)

    @property
    def slots(self) -> list[time]:
        """The empty-slot start times shown in every column (clicking one opens the booking modal)."""
        step = SLOT_MINUTES
        return [
            time(minute // 60, minute % 60)
            for minute in range(self.first_hour * 60, self.last_hour * 60, step)
        ]

    @property
    def first_minute(self) -> int:
        return self.first_hour * 60

    @property
    def total_minutes(self) -> int:
        return (self.last_hour - self.first_hour) * 60


def period_for(view: str, anchor: date) -> Period:
    """Week views start on Monday; a day view is just that day."""
    if view == "day":
        return Period("day", anchor, (anchor,))
    monday = anchor - timedelta(days=anchor.weekday())
    return Period("week", monday, tuple(monday + timedelta(days=i) for i in range(7)))


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day begins (midnight exists in every zone we accept, or its first minute)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def utc_bounds(period: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the period in UTC: the query window for what the view shows."""
    return local_midnight_utc(period.first, zone), local_midnight_utc(period.last + timedelta(days=1), zone)


@lru_cache(maxsize=256)
def safe_color(value: str | None) -> str:
    """Service colours go into a style attribute: only #rrggbb gets through."""
    return value if value and _HEX_COLOR.fullmatch(value) else DEFAULT_COLOR


@lru_cache(maxsize=256)
def staff_color(user_id: int, chosen: str | None) -> str:
    """A team member's calendar colour: the admin's choice, else the palette's colour for their id."""
    if chosen and _HEX_COLOR.fullmatch(chosen):
        return chosen
    return STAFF_PALETTE[user_id % len(STAFF_PALETTE)]


def place(
    entries: Iterable[CalendarEntry],
    period: Period,
    *,
    default_hours: tuple[int, int] = (DEFAULT_FIRST_HOUR, DEFAULT_LAST_HOUR),
) -> Grid:
    """Lay entries (CalendarEntry: start_day/end_day ordinals, start_wall/end_wall minutes) out in
    the period's columns.

    The visible hours widen beyond `default_hours` to show every appointment; overlapping ones share
    their column side by side (cancelled ones too: they stay visible for the record).
    """
    columns = [DayColumn(d) for d in period.days]
    column_items = [column.items for column in columns]
    first_ordinal, last_index = period.first.toordinal(), len(columns) - 1
    day_end = 24 * 60
    # The earliest start and latest drawn end, in minutes; turned into whole hours once at the end.
    earliest, latest = default_hours[0] * 60, default_hours[1] * 60
    for entry in entries:
        start_index, end_index = entry.start_day - first_ordinal, entry.end_day - first_ordinal
        end_wall = entry.end_wall
        if end_index > start_index and entry.ends_at_midnight:
            end_index, end_wall = end_index - 1, day_end  # ends at midnight: nothing on the next day
        for index in range(max(start_index, 0), min(end_index, last_index) + 1):
            start = entry.start_wall if index == start_index else 0
            end = end_wall if index == end_index else day_end
            if end < start:  # a DST fall-back can make the wall-clock end precede the start
                end = start
            placed = Placed(entry, start, end)
            column_items[index].append(placed)
            if start < earliest:
                earliest = start
            if start + placed.drawn_minutes > latest:
                latest = start + placed.drawn_minutes
    for items in column_items:
        assign_lanes(items)
    return Grid(columns, earliest // 60, min(24, -(-latest // 60)))


def assign_lanes(items: Sequence[Placed]) -> None:
    """Side-by-side lanes for overlapping items: each cluster of overlaps shares its width evenly.

    Greedy interval partitioning: items sorted by start go to the lowest-numbered lane that is free
    again. Lanes in use and lanes freed are kept in heaps, so a day with a hundred parallel lanes
    still costs O(n log n), not O(n × lanes). The list itself keeps its order (the query's: by start
    time), which is the reading order.
    """
    ordered = sorted(items, key=lambda p: (p.start_minute, -p.drawn_minutes, p.entry.id))
    cluster: list[Placed] = []
    in_use: list[tuple[int, int]] = []  # (end minute, lane) of the items still running
    free: list[int] = []  # lanes of the cluster whose item has ended
    cluster_end = -1
    for item in ordered:
        start = item.start_minute
        if start >= cluster_end:  # nothing running: the previous cluster is complete
            for member in cluster:
                member.lanes = len(in_use) + len(free)
            cluster, in_use, free = [], [], []
        while in_use and in_use[0][0] <= start:
            heappush(free, heappop(in_use)[1])
        lane = heappop(free) if free else len(in_use)
        item.lane, end = lane, start + item.drawn_minutes
        heappush(in_use, (end, lane))
        cluster.append(item)
        if end > cluster_end:
            cluster_end = end
    for member in cluster:
        member.lanes = len(in_use) + len(free)
