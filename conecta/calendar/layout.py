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
from typing import Any
from zoneinfo import ZoneInfo

VIEWS = ("week", "day")
DEFAULT_FIRST_HOUR = 7
DEFAULT_LAST_HOUR = 19
SLOT_MINUTES = 30
MIN_DRAWN_MINUTES = 15  # shorter items still get a clickable height
DEFAULT_COLOR = "#3b82f6"
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
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


@lru_cache(maxsize=1024)
def _minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


class CalendarEntry:
    """What the grid draws of one appointment: plain values read in one query, no ORM objects
    (building a thousand ORM objects with three relationships costs more than drawing them).
    Local times are worked out once here, in the organization's zone, for the layout and the label."""

    __slots__ = (
        "client_name",
        "color",
        "duration_minutes",
        "ends_at",
        "href",
        "id",
        "local_end",
        "local_start",
        "service_name",
        "staff_name",
        "starts_at",
        "status",
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
        zone: ZoneInfo,
        zoom_state: str = "none",
        href: str = "",
    ) -> None:
        self.id, self.status, self.zoom_state, self.href = id, status, zoom_state, href
        self.client_name, self.service_name, self.staff_name = client_name, service_name, staff_name
        self.color = color
        self.starts_at, self.duration_minutes = starts_at, duration_minutes
        self.ends_at = starts_at + _minutes(duration_minutes)
        # Converted separately: adding minutes to a local time would be wall-clock arithmetic (wrong
        # across a DST change).
        self.local_start, self.local_end = starts_at.astimezone(zone), self.ends_at.astimezone(zone)
        self.time_label = (  # "09:00–10:00", by hand: strftime a thousand times is measurable
            f"{self.local_start.hour:02d}:{self.local_start.minute:02d}–"
            f"{self.local_end.hour:02d}:{self.local_end.minute:02d}"
        )

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass(slots=True)
class Placed:
    """One entry drawn in one day column (an overnight one appears in both days)."""

    entry: Any
    start_minute: int  # wall-clock minutes from local midnight
    end_minute: int
    lane: int = 0
    lanes: int = 1
    drawn_minutes: int = field(init=False)  # the drawn height: short items stay clickable

    def __post_init__(self) -> None:
        self.drawn_minutes = max(self.end_minute - self.start_minute, MIN_DRAWN_MINUTES)

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


def place(
    entries: Iterable[CalendarEntry],
    period: Period,
    *,
    default_hours: tuple[int, int] = (DEFAULT_FIRST_HOUR, DEFAULT_LAST_HOUR),
) -> Grid:
    """Lay entries (CalendarEntry: id, local_start, local_end) out in the period's columns.

    The visible hours widen beyond `default_hours` to show every appointment; overlapping ones share
    their column side by side (cancelled ones too: they stay visible for the record).
    """
    columns = [DayColumn(d) for d in period.days]
    first_day, day_count = period.first, len(columns)
    first_hour, last_hour = default_hours
    for entry in entries:
        local_start, local_end = entry.local_start, entry.local_end
        start_index = (local_start.date() - first_day).days
        end_index = (local_end.date() - first_day).days
        end_wall = local_end.hour * 60 + local_end.minute
        if local_end.time() == MIDNIGHT and end_index > start_index:
            end_index, end_wall = end_index - 1, 24 * 60  # ends at midnight: nothing on the next day
        for index in range(max(start_index, 0), min(end_index, day_count - 1) + 1):
            start = local_start.hour * 60 + local_start.minute if index == start_index else 0
            end = end_wall if index == end_index else 24 * 60
            end = max(end, start)  # a DST fall-back can make the wall-clock end precede the start
            placed = Placed(entry, start, end)
            columns[index].items.append(placed)
            first_hour = min(first_hour, start // 60)
            last_hour = max(last_hour, min(24, -(-(start + placed.drawn_minutes) // 60)))
    for column in columns:
        assign_lanes(column.items)
    return Grid(columns, first_hour, last_hour)


def assign_lanes(items: Sequence[Placed]) -> None:
    """Side-by-side lanes for overlapping items: each cluster of overlaps shares its width evenly.

    Greedy interval partitioning: items sorted by start go to the first lane that is free again.
    The list itself keeps its order (the query's: by start time), which is the reading order.
    """
    ordered = sorted(items, key=lambda p: (p.start_minute, -p.drawn_minutes, p.entry.id))
    cluster: list[Placed] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close_cluster() -> None:
        for member in cluster:
            member.lanes = len(lane_ends)

    for item in ordered:
        item_end = item.start_minute + item.drawn_minutes
        if cluster and item.start_minute >= cluster_end:
            close_cluster()
            cluster, lane_ends = [], []
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= item.start_minute:
                item.lane = lane
                lane_ends[lane] = item_end
                break
        else:
            item.lane = len(lane_ends)
            lane_ends.append(item_end)
        cluster.append(item)
        cluster_end = max(cluster_end, item_end)
    if cluster:
        close_cluster()
