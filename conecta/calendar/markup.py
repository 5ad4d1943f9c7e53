"""The grid's event links, written here rather than in `_calendar_grid.html`.

A busy week draws a thousand events or more, and in the template each one cost nine attribute lookups
and seven escapes: a third of the whole render. Here a name is escaped once per render however many
events carry it, and a column's events reach the template as one string. The template keeps everything
else, with a comment where these go.

Each event's geometry is a `style` attribute holding CSS custom properties only (integers and a checked
#rrggbb colour): a Content-Security-Policy without `style-src-attr 'unsafe-inline'` would drop it.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext
from markupsafe import Markup, escape

from conecta.calendar.layout import Placed
from conecta.i18n import N_
from conecta.models.zoom_meeting import format_meeting_id


def _attendance() -> dict[str, tuple[str, str, str]]:
    """Attendance once marked: (class, visible badge, title suffix), in the reader's language."""
    no_show, attended = str(escape(gettext("No-show"))), str(escape(gettext("Attended")))
    return {
        "no_show": (" no-show", f' <span class="event-attendance">{no_show}</span>', f" ({no_show.lower()})"),
        "attended": (
            " attended",
            f' <span class="event-attendance">{attended}</span>',
            f" ({attended.lower()})",
        ),
    }


# What an event says of its meeting, by ZoomMeeting.state (nothing for none or deleted). The grid hides
# it; the list that phones and printers get (app.css) shows it, with the meeting ID. Shown through
# gettext(), in the reader's language.
_ZOOM_LABELS = {
    "pending": N_("Zoom: in progress"),
    "ready": N_("Zoom ready"),
    "failed": N_("Zoom failed"),
    "vanished": N_("Zoom: deleted in Zoom"),
    "drifted": N_("Zoom: changed in Zoom"),
    "left": N_("Zoom: left in Zoom"),
}


def zoom_label(state: str | None) -> str | None:
    """What staff read of a meeting's state ("Zoom ready"), or None when there is nothing to say."""
    label = _ZOOM_LABELS.get(state or "")
    return gettext(label) if label else None


def _zoom_labels() -> dict[str, str]:
    """Every state's label, translated and escaped once per render (a week draws thousands of events)."""
    return {state: str(escape(gettext(label))) for state, label in _ZOOM_LABELS.items()}


def _zoom_line(labels: dict[str, str], state: str | None, meeting_id: str | None) -> str:
    label = labels.get(state or "")
    if label is None:
        return ""
    if meeting_id and state != "failed":
        label += f" · ID {escape(format_meeting_id(meeting_id))}"
    return f' <span class="event-zoom">{label}</span>'


def events_html(columns: Sequence[Sequence[Placed]], drawer_href: str) -> list[Markup]:
    """The event links of each column, in the column's order (the query's: by start time);
    `drawer_href` is the drawer's URL with an "{id}" placeholder.

    One event: the link to its drawer, placed by CSS custom properties (`Placed.style`); three lines
    the stylesheet truncates with an ellipsis, and the whole text in `title` for a short or narrow
    event; its Zoom state for the list layout. The title is put together from escaped pieces (the time
    label is digits, a colon and a dash), so no name is escaped twice. On phones and paper the
    stylesheet lays the same links out as a list (one entry each, whole names), so the page carries
    no second copy of the week.
    """
    href_before, _, href_after = (str(escape(part)) for part in drawer_href.partition("{id}"))
    labels = _zoom_labels()
    attendance = _attendance()
    cancelled_word = str(escape(gettext("cancelled")))
    cancelled_note = f'<span class="visually-hidden"> ({cancelled_word})</span>'

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
            marked = attendance.get(entry.attendance) if entry.attendance else None
            parts.append(
                f'<a class="event{" cancelled" if cancelled else ""}{marked[0] if marked else ""}"'
                f' href="{href_before}{entry.id}{href_after}"'
                f' data-appointment-id="{entry.id}" style="{item.style}"'
                f' title="{time_label} {client} · {meta}{f" ({cancelled_word})" if cancelled else ""}'
                f'{marked[2] if marked else ""}">'
                f'<span class="event-time">{time_label}</span> <span class="event-client">{client}</span>'
                f' <span class="event-meta">{meta}</span>{cancelled_note if cancelled else ""}'
                f"{marked[1] if marked else ''}"
                f"{_zoom_line(labels, entry.zoom_state, entry.meeting_id) if entry.zoom_state else ''}</a>"
            )
        html.append(Markup("\n".join(parts)))
    return html
