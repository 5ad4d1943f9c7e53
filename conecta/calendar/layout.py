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
from typing import Any
from zoneinfo import ZoneInfo

VIEWS = ("week", "day")
DEFAULT_FIRST_HOUR = 7
DEFAULT_LAST_HOUR = 19
SLOT_MINUTES = 30
MIN_DRAWN_MINUTES = 15  # shorter items still get a clickable height
DEFAULT_COLOR = "#3b82f6"
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


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


@dataclass
class Placed:
    """One appointment drawn in one day column (an overnight one appears in both days)."""

    appointment: Any
    start_minute: int  # wall-clock minutes from local midnight
    end_minute: int
    color: str
    lane: int = 0
    lanes: int = 1

    @property
    def drawn_minutes(self) -> int:
        return max(self.end_minute - self.start_minute, MIN_DRAWN_MINUTES)


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


def safe_color(value: str | None) -> str:
    """Service colours go into a style attribute: only #rrggbb gets through."""
    return value if value and _HEX_COLOR.fullmatch(value) else DEFAULT_COLOR


def _wall_minutes(instant: datetime, zone: ZoneInfo) -> int:
    local = instant.astimezone(zone)
    return local.hour * 60 + local.minute


def place(
    appointments: Iterable[Any],
    period: Period,
    zone: ZoneInfo,
    *,
    default_hours: tuple[int, int] = (DEFAULT_FIRST_HOUR, DEFAULT_LAST_HOUR),
) -> Grid:
    """Lay appointments (anything with starts_at, ends_at, service.color) out in the period's columns.

    The visible hours widen beyond `default_hours` to show every appointment; overlapping ones share
    their column side by side (cancelled ones too: they stay visible for the record).
    """
    bounds = [local_midnight_utc(d, zone) for d in (*period.days, period.last + timedelta(days=1))]
    columns = [DayColumn(d) for d in period.days]
    first_hour, last_hour = default_hours
    for appt in appointments:
        starts_at, ends_at = appt.starts_at, appt.ends_at
        color = safe_color(appt.service.color)
        for index, column in enumerate(columns):
            day_start, day_end = bounds[index], bounds[index + 1]
            if not (starts_at < day_end and day_start < ends_at):
                continue
            start = 0 if starts_at <= day_start else _wall_minutes(starts_at, zone)
            end = 24 * 60 if ends_at >= day_end else _wall_minutes(ends_at, zone)
            end = max(end, start)  # a DST fall-back can make wall-clock end precede start
            placed = Placed(appt, start, end, color)
            column.items.append(placed)
            first_hour = min(first_hour, start // 60)
            last_hour = max(last_hour, min(24, -(-(start + placed.drawn_minutes) // 60)))
    for column in columns:
        assign_lanes(column.items)
    return Grid(columns, first_hour, last_hour)


def assign_lanes(items: Sequence[Placed]) -> None:
    """Side-by-side lanes for overlapping items: each cluster of overlaps shares its width evenly.

    Greedy interval partitioning: items sorted by start go to the first lane that is free again.
    """
    ordered = sorted(items, key=lambda p: (p.start_minute, -p.drawn_minutes, p.appointment.id))
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
    # Keep each column in time order for the markup (screen readers read top to bottom).
    if isinstance(items, list):
        items.sort(key=lambda p: (p.start_minute, p.lane))
