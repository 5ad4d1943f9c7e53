"""The Calendar page (week or day, in the organization's zone) and the event drawer.

One URL, page or fragment: HTMX navigation (previous / next / today / view / staff filter) swaps
`#calendar-page` and pushes the URL; a full load or a history restore of that URL renders the page.
The drawer URL works the same way: a fragment into `#drawer`, or the whole page with the drawer open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import DateTime, Select, bindparam, select, type_coerce
from sqlalchemy.orm import load_only

from conecta.auth.permissions import staff_required
from conecta.bookings.access import get_appointment_for
from conecta.calendar import bp
from conecta.calendar.layout import (
    VIEWS,
    CalendarEntry,
    Grid,
    Period,
    WallClock,
    period_for,
    place,
    safe_color,
    staff_color,
    utc_bounds,
)
from conecta.calendar.markup import events_html
from conecta.dates import format_day
from conecta.extensions import db
from conecta.groups.calendar import group_label, group_size
from conecta.models import Appointment, Client, Organization, Service, User, ZoomMeeting
from conecta.models.types import database_id, utcnow
from conecta.read_only import reads_only
from conecta.scheduling import MAX_BOOKING_YEAR, MAX_DURATION_MINUTES, MIN_BOOKING_YEAR
from conecta.web import render_page_or_fragment, wants_fragment


@dataclass(frozen=True)
class CalendarState:
    """What the calendar shows, as it appears in the URL (`view`, `date`, `staff`)."""

    view: str
    anchor: date | None  # None: today
    staff_id: int | None

    def args(self, **changes: Any) -> dict[str, Any]:
        state = replace(self, **changes)
        args: dict[str, Any] = {}
        if state.view != "week":
            args["view"] = state.view
        if state.anchor is not None:
            args["date"] = state.anchor.isoformat()
        if state.staff_id is not None:
            args["staff"] = state.staff_id
        return args


def _parse_state(default_anchor: date | None = None) -> CalendarState:
    """Read the URL leniently: an unknown view or a malformed date falls back to the defaults."""
    view = request.args.get("view", "week")
    if view not in VIEWS:
        view = "week"
    try:
        anchor: date | None = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        anchor = default_anchor
    if anchor is not None and not MIN_BOOKING_YEAR <= anchor.year <= MAX_BOOKING_YEAR:
        anchor = default_anchor  # no booking can be there, and datetime's edges are near
    return CalendarState(view, anchor, database_id(request.args.get("staff")))


def _staff_members(org: Organization) -> list[User]:
    return list(db.session.scalars(_staff_query(), {"org_id": org.id}))


@cache
def _staff_query() -> Select:
    """The team's columns, built once (as `_entries_query`)."""
    return (
        select(User)
        .options(load_only(User.id, User.name, User.active, User.color))
        .where(User.org_id == bindparam("org_id"), User.active.is_(True))
        .order_by(User.name, User.id)
    )


@cache
def _entries_query(one_staff: bool) -> Select:
    """The calendar's statement, built once per variant (everyone, or one staff member's column): the
    calendar is the page staff open most, and a statement of five tables built afresh paid for building
    its cache key again each time."""
    statement = (
        select(
            Appointment.id,
            # Naive UTC, as stored: the WallClock converts each distinct time once, so making every
            # row's value aware first (UTCDateTime's `replace` per row) would be wasted work.
            type_coerce(Appointment.starts_at, DateTime()),
            Appointment.duration_minutes,
            Appointment.status,
            Client.name,
            Service.name,
            User.name,
            Service.color,
            User.id,
            User.color,
            ZoomMeeting.state,
            ZoomMeeting.meeting_id,
            Appointment.attendance,
            Service.capacity,
            group_size(),
        )
        .join(Client, Client.id == Appointment.client_id)
        .join(Service, Service.id == Appointment.service_id)
        .join(User, User.id == Appointment.staff_id)
        .outerjoin(ZoomMeeting, ZoomMeeting.appointment_id == Appointment.id)
        .where(
            Appointment.org_id == bindparam("org_id"),
            Appointment.starts_at < bindparam("end"),
            Appointment.starts_at > bindparam("earliest"),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if one_staff:
        statement = statement.where(Appointment.staff_id == bindparam("staff_id"))
    return statement


def calendar_entries(org: Organization, period: Period, staff_id: int | None) -> list[CalendarEntry]:
    """Everything the period shows, in ONE statement (client, service, staff and Zoom state joined in),
    as plain values: only the columns the grid draws, so no per-row ORM bookkeeping and
    none of the encrypted Zoom columns (each would cost a decryption). Entries that ended before the
    period may be among them: `place` draws nothing of those.

    Colour: with everyone shown, each event takes its staff member's colour (who is whose at a
    glance); one person's calendar keeps the services' colours."""
    start, end = utc_bounds(period, org.tz)
    # Nothing lasts longer than MAX_DURATION_MINUTES: this catches overnight ones cheaply.
    params = {"org_id": org.id, "end": end, "earliest": start - timedelta(minutes=MAX_DURATION_MINUTES)}
    if staff_id is not None:
        params["staff_id"] = staff_id
    clock = WallClock(org.tz)
    # Plain rows straight from the connection: no ORM identity map work for a read-only grid; and
    # all at once (`.all()` is one fetchall, iterating the result fetches row by row).
    rows = db.session.connection().execute(_entries_query(staff_id is not None), params).all()
    by_staff = staff_id is None
    return [
        CalendarEntry(
            id_,
            starts_at,
            duration,
            status,
            client if size is None else group_label(service, size, capacity),
            service,
            staff,
            staff_color(staff_pk, chosen) if by_staff else color,
            clock,
            zoom_state,
            meeting_id,
            attendance,
        )
        for (
            id_,
            starts_at,
            duration,
            status,
            client,
            service,
            staff,
            color,
            staff_pk,
            chosen,
            zoom_state,
            meeting_id,
            attendance,
            capacity,
            size,
        ) in rows
    ]


def _slot_links(grid: Grid, new_booking: str, staff_id: int | None) -> list[Markup]:
    """Every empty-slot link of each column, as one string per column: a week has 7 × 24 of them, and as
    a template loop their escaping was a tenth of the calendar's CPU. Each piece is escaped once: the
    URL and the label's words per render, the day per column (times are digits and a colon)."""
    url = str(escape(f"{new_booking}?date="))
    staff_query = str(escape(f"&staff_id={staff_id}")) if staff_id else ""
    times = [slot.strftime("%H:%M") for slot in grid.slots]
    # "New booking %(when)s", translated and escaped once; each label is then its two halves around the time.
    before, _, after = str(escape(gettext("New booking %(when)s", when="\x00"))).partition("\x00")
    links = []
    for column in grid.columns:
        day_iso, day_label = column.day.isoformat(), str(escape(format_day(column.day)))
        links.append(
            Markup(
                "".join(
                    f'<a class="slot" href="{url}{day_iso}&amp;time={hhmm}{staff_query}"'
                    f' aria-label="{before}{day_label} {hhmm}{after}" tabindex="-1"></a>'
                    for hhmm in times
                )
            )
        )
    return links


def _calendar_context(org: Organization, state: CalendarState) -> dict[str, Any]:
    """Everything `partials/_calendar.html` draws, URLs included (built once, not per appointment)."""
    today = utcnow().astimezone(org.tz).date()
    staff_members = _staff_members(org)
    if state.staff_id is not None and all(s.id != state.staff_id for s in staff_members):
        state = replace(state, staff_id=None)  # another organization's id, or a deactivated person
    period = period_for(state.view, state.anchor or today)
    # The drawer link carries the calendar's state, so closing it (or a reload) shows this same view.
    drawer_href = url_for("calendar.appointment", appointment_id=0).removesuffix("0") + "{id}"
    drawer_href += _query(state.args(anchor=state.anchor or today))
    grid: Grid = place(calendar_entries(org, period, state.staff_id), period)
    here = url_for("calendar.index", **state.args())
    new_booking = url_for("bookings.new")
    return {
        "org": org,
        "state": state,
        "period": period,
        "grid": grid,
        "today": today,
        "staff_members": staff_members,
        "viewer": "staff",
        "slot_links": _slot_links(grid, new_booking, state.staff_id),
        "events_html": events_html([column.items for column in grid.columns], drawer_href),
        "legend": [(member.name, staff_color(member.id, member.color)) for member in staff_members]
        if state.staff_id is None
        else [],
        "urls": {
            "here": here,
            "previous": url_for("calendar.index", **state.args(anchor=period.previous)),
            "next": url_for("calendar.index", **state.args(anchor=period.next)),
            "today": url_for("calendar.index", **state.args(anchor=None)),
            "week": url_for("calendar.index", **state.args(view="week")),
            "day": url_for("calendar.index", **state.args(view="day")),
            "filter": url_for("calendar.index"),
            "new_booking": new_booking,
        },
    }


def _query(args: dict[str, Any]) -> str:
    return ("?" + urlencode(args)) if args else ""


@bp.app_template_filter("service_color")
def service_color(value: str | None) -> str:
    """A service colour that is safe inside a style attribute."""
    return safe_color(value)


@bp.route("/")
@staff_required
@reads_only
def index():
    org = current_user.org
    return render_page_or_fragment(
        "calendar/index.html", "partials/_calendar.html", **_calendar_context(org, _parse_state())
    )


@bp.route("/appointments/<int:appointment_id>")
@staff_required
@reads_only
def appointment(appointment_id: int):
    """The event drawer: its own URL, so a drawer can be linked to, reloaded and reached by Back."""
    found = get_appointment_for(current_user, appointment_id)
    org = found.org
    # Without a date in the URL, the calendar behind the drawer shows the appointment's week.
    state = _parse_state(default_anchor=found.starts_at.astimezone(org.tz).date())
    drawer = {
        "appointment": found,
        "viewer": "staff",
        "drawer_url": url_for("calendar.appointment", appointment_id=found.id, **state.args()),
        "close_url": url_for("calendar.index", **state.args()),
    }
    if wants_fragment():
        return render_template("partials/_event_drawer.html", **drawer)
    return render_template("calendar/index.html", **(_calendar_context(org, state) | drawer))
