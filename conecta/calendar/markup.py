"""The grid's event links and the agenda's lines, written here rather than in `_calendar_grid.html`.

A busy week draws a thousand events or more, and in the template each one cost nine attribute lookups
and seven escapes: a third of the whole render. Here a name is escaped once per render however many
events carry it, and a column's events reach the template as one string. The template keeps everything
else, with a comment where these go.

Each event's geometry is a `style` attribute holding CSS custom properties only (integers and a checked
#rrggbb colour): a Content-Security-Policy without `style-src-attr 'unsafe-inline'` would drop it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from conecta.calendar.layout import DayColumn, Placed, safe_color
from conecta.models.zoom_meeting import format_meeting_id

_CANCELLED_NOTE = '<span class="visually-hidden"> (cancelled)</span>'


def events_html(columns: Sequence[Sequence[Placed]], drawer_href: str) -> list[Markup]:
    """The event links of each column, in the column's order (the query's: by start time);
    `drawer_href` is the drawer's URL with an "{id}" placeholder.

    One event: the link to its drawer, placed by CSS custom properties (`Placed.style`); three lines
    the stylesheet truncates with an ellipsis, and the whole text in `title` for a short or narrow
    event. The title is put together from escaped pieces (the time label is digits, a colon and a
    dash), so no name is escaped twice.
    """
    href_before, _, href_after = (str(escape(part)) for part in drawer_href.partition("{id}"))
    escaped: dict[str, str] = {}  # clients and "service · staff" labels repeat all week
    html = []
    for items in columns:
        parts = []
        for item in items:
            entry = item.entry
            client = escaped.get(entry.client_name)
            if client is None:
                client = escaped[entry.client_name] = str(escape(entry.client_name))
            meta = escaped.get(entry.meta_label)
            if meta is None:
                meta = escaped[entry.meta_label] = str(escape(entry.meta_label))
            time_label, cancelled = entry.time_label, entry.cancelled
            parts.append(
                f'<a class="event{" cancelled" if cancelled else ""}" href="{href_before}{entry.id}{href_after}"'
                f' data-appointment-id="{entry.id}" style="{item.style}"'
                f' title="{time_label} {client} · {meta}{" (cancelled)" if cancelled else ""}">'
                f'<span class="event-time">{time_label}</span> <span class="event-client">{client}</span>'
                f' <span class="event-meta">{meta}</span>{_CANCELLED_NOTE if cancelled else ""}</a>'
            )
        html.append(Markup("\n".join(parts)))
    return html


# What the agenda says of an appointment's meeting, by ZoomMeeting.state (nothing for none or deleted).
_ZOOM_LABELS = {
    "pending": "Zoom: in progress",
    "ready": "Zoom ready",
    "failed": "Zoom failed",
    "vanished": "Zoom: deleted in Zoom",
    "drifted": "Zoom: changed in Zoom",
    "left": "Zoom: left in Zoom",
}


def agenda_html(columns: Sequence[DayColumn], drawer_href: str, every_day: bool = False) -> Markup:
    """The same appointments as a list, one line each: time, the whole client name, service and staff,
    and the Zoom state with the meeting ID. Phones show it instead of the grid, and it is what the day
    view prints (the stylesheet decides). Days without appointments are left out, unless `every_day`."""
    href_before, _, href_after = (str(escape(part)) for part in drawer_href.partition("{id}"))
    html = ['<section class="calendar-agenda" aria-label="Appointments, as a list">']
    shown = 0
    for column in columns:
        if not column.items and not every_day:
            continue
        html.append(f'<h2 class="agenda-day">{column.day.strftime("%A %d %b")}</h2>')
        if not column.items:
            html.append('<p class="muted agenda-empty">No appointments.</p>')
            continue
        html.append('<ul class="agenda-list">')
        for item in sorted(column.items, key=lambda placed: (placed.start_minute, placed.entry.id)):
            entry = item.entry
            shown += 1
            zoom = _ZOOM_LABELS.get(entry.zoom_state or "", "")
            if zoom and entry.meeting_id and entry.zoom_state != "failed":
                zoom += f" · ID {escape(format_meeting_id(entry.meeting_id))}"
            html.append(
                f'<li><a class="agenda-item{" cancelled" if entry.cancelled else ""}"'
                f' href="{href_before}{entry.id}{href_after}" style="--color:{safe_color(entry.color)}">'
                f'<span class="agenda-time">{entry.time_label}</span>'
                f'<span class="agenda-client">{escape(entry.client_name)}</span>'
                f'<span class="agenda-meta">{escape(entry.meta_label)}'
                f"{' · <strong>cancelled</strong>' if entry.cancelled else ''}</span>"
                f"{f'<span class=agenda-zoom>{zoom}</span>' if zoom else ''}</a></li>"
            )
        html.append("</ul>")
    if not shown and not every_day:
        html.append('<p class="muted agenda-empty">No appointments in these days.</p>')
    html.append("</section>")
    return Markup("\n".join(html))
