"""What the Zoom panel shows (`partials/_zoom_panel.html`), decided here so the template only renders.

One panel serves the event drawer, the booking modal (viewer "staff") and the portal's booking detail
(viewer "client"). Whatever the state, the host's start URL is never part of it: staff get a link to
`bookings.zoom_start`, which redirects; clients get nothing of the host's at all. The host -- the
appointment's staff member -- gets **Start meeting** first, Join second; other staff get Join first.
Staff also get **Add Zoom meeting** / **Remove Zoom meeting** where the rule lets them
(`conecta.zoom.rule`). A client waiting for a meeting the rule says is due reads "Meeting link coming
soon", never a silent gap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any

from flask import url_for
from flask_babel import gettext, lazy_gettext

from conecta.models import Appointment, ZoomState
from conecta.models.types import utcnow
from conecta.models.zoom import zoom_connection_for
from conecta.models.zoom_meeting import StaffChoice, format_meeting_id
from conecta.zoom import rule
from conecta.zoom.host_notes import NO_NOTES, checked_note, staff_notes

# How a panel refreshes itself (conecta.zoom.panel_push). A pending panel asks at once and the server
# holds the answer until the job has settled (push); when it cannot (no free waiting slot, Redis away)
# the panel polls instead. A wait Zoom imposed for longer than POLL_HORIZON (the daily limit, a long
# backoff) is shown as such and checked slowly, so the page catches up after midnight GMT by itself.
FALLBACK_POLL_DELAY = "1s"
SLOW_CHECK_DELAY = "60s"
POLL_HORIZON = timedelta(minutes=2)
COMING_SOON = lazy_gettext(
    "Meeting link coming soon"
)  # what a client reads while a meeting is due and not yet made


@dataclass(frozen=True)
class PanelAction:
    """A button of the panel (staff only): posts to `href` (e.g. Recreate and resend), or with `asks`
    fetches the confirmation there (Remove Zoom meeting). The answer replaces the panel, or with
    `in_modal` the booking modal."""

    label: str
    href: str
    primary: bool = False
    asks: bool = False
    in_modal: bool = False
    danger: bool = False


@dataclass(frozen=True)
class ZoomPanel:
    appointment_id: int
    kind: str  # hidden | none | pending | waiting | ready | failed | deleted | left | vanished | drifted
    viewer: str
    headline: str = ""
    note: str = ""  # staff only: why it failed, what Zoom said, what is being done
    join_url: str | None = None
    meeting_id: str | None = None
    passcode: str | None = None
    start_href: str | None = None
    retry_href: str | None = None
    poll_href: str | None = None  # where the panel re-fetches itself; None: it stays as it is
    poll_delay: str | None = None  # how long it waits first; None: at once (the server waits for news)
    actions: tuple[PanelAction, ...] = ()
    # staff only (`conecta.zoom.host_notes`): the host, what to warn about, where to fix the host mapping
    host_email: str | None = None
    warnings: tuple[str, ...] = ()
    fix_href: str | None = None
    is_host: bool = False  # the viewer is the appointment's staff member: Start meeting comes first

    @property
    def staff(self) -> bool:
        return self.viewer == "staff"

    @property
    def waits_for_push(self) -> bool:
        """Its re-fetch should be held by the server until the job settles (`panel_push`)."""
        return self.poll_href is not None and self.poll_delay is None

    @property
    def meeting_id_display(self) -> str:
        return format_meeting_id(self.meeting_id)


def can_retry(appointment: Appointment) -> bool:
    """Retry is offered after a permanent failure, or when a change could not reach Zoom."""
    zoom = appointment.zoom
    if zoom is None:
        return False
    return zoom.state == ZoomState.FAILED or (zoom.state == ZoomState.READY and bool(zoom.error))


@dataclass(frozen=True)
class _Context:
    """What every state's panel is built from."""

    appointment: Appointment
    staff: bool
    base: dict[str, Any]  # appointment_id, viewer and is_host
    meeting: dict[str, Any]  # join_url, meeting_id, passcode, start_href -- only when shareable
    error: str
    retry_href: str | None
    live: dict[str, Any]  # poll_href and poll_delay of a panel waiting for the job (push, or polling)
    slow_check: dict[str, Any]  # ... of a panel waiting for a long time (the daily limit)

    @cached_property
    def connected(self) -> bool:
        return zoom_connection_for(self.appointment.org_id) is not None

    def add_action(self) -> tuple[PanelAction, ...]:
        """Add Zoom meeting, where the rule lets staff add one (a one-off video session)."""
        if not self.staff or rule.add_refusal(self.appointment, connected=self.connected, now=utcnow()):
            return ()
        href = url_for("bookings.zoom_add", appointment_id=self.appointment.id)
        return (PanelAction(gettext("Add Zoom meeting"), href, in_modal=True),)

    def remove_action(self) -> tuple[PanelAction, ...]:
        """Remove Zoom meeting (it asks first), where there is one to remove."""
        if not self.staff or rule.remove_refusal(self.appointment, connected=self.connected):
            return ()
        href = url_for("bookings.zoom_remove", appointment_id=self.appointment.id)
        return (PanelAction(gettext("Remove Zoom meeting"), href, asks=True, in_modal=True, danger=True),)


def zoom_panel(
    appointment: Appointment | None, viewer: str, *, push: bool = True, user_id: int | None = None
) -> ZoomPanel | None:
    """The panel for `viewer` ("staff" or "client"; `user_id`: the staff member looking, so the host
    gets Start first); None when there is nothing to show at all. `push`: False when this answer could
    not wait for the job, so a pending panel polls."""
    if appointment is None or appointment.id is None:
        return None
    return _BY_STATE[appointment.zoom_state](_context(appointment, viewer, push, user_id))


def _context(appointment: Appointment, viewer: str, push: bool, user_id: int | None) -> _Context:
    staff = viewer == "staff"
    zoom = appointment.zoom
    panel_endpoint = "bookings.zoom_panel" if staff else "portal.zoom_panel"
    meeting = {}
    if zoom is not None and zoom.shareable:
        meeting = {
            "join_url": zoom.join_url,
            "meeting_id": zoom.meeting_id,
            "passcode": zoom.passcode or None,
            "start_href": url_for("bookings.zoom_start", appointment_id=appointment.id) if staff else None,
        }
    notes = staff_notes(appointment) if staff and not _polling(appointment) else NO_NOTES
    is_host = staff and user_id is not None and user_id == appointment.staff_id
    return _Context(
        appointment=appointment,
        staff=staff,
        base={"appointment_id": appointment.id, "viewer": viewer, "is_host": is_host, **asdict(notes)},
        meeting=meeting,
        error=(zoom.error if zoom is not None else None) or "",
        retry_href=(
            url_for("bookings.zoom_retry", appointment_id=appointment.id)
            if staff and can_retry(appointment)
            else None
        ),
        live={
            "poll_href": url_for(panel_endpoint, appointment_id=appointment.id, wait=1),
            "poll_delay": None if push else FALLBACK_POLL_DELAY,
        },
        slow_check={
            "poll_href": url_for(panel_endpoint, appointment_id=appointment.id),
            "poll_delay": SLOW_CHECK_DELAY,
        },
    )


def _polling(appointment: Appointment) -> bool:
    """A pending panel that re-fetches itself: its notes wait until the job is done."""
    zoom = appointment.zoom
    if zoom is None or zoom.state != ZoomState.PENDING:
        return False
    return zoom.retry_at is None or zoom.retry_at - utcnow() <= POLL_HORIZON


def _pending(c: _Context) -> ZoomPanel:
    zoom = c.appointment.zoom
    wait = (zoom.retry_at - utcnow()) if zoom.retry_at else None
    note = c.error if c.staff else ""
    if wait is not None and wait > POLL_HORIZON:
        if not c.staff and not c.meeting:
            return ZoomPanel(kind="waiting", headline=str(COMING_SOON), **c.slow_check, **c.base)
        return ZoomPanel(
            kind="waiting",
            headline=gettext("Waiting for Zoom"),
            note=note,
            actions=c.remove_action(),
            **c.slow_check,
            **c.base,
            **c.meeting,
        )
    if c.appointment.is_cancelled or not zoom.wanted:
        headline = gettext("Deleting Zoom meeting…")
    elif zoom.meeting_id:
        headline = gettext("Updating Zoom meeting…")
    else:
        # The client is told plainly that the link is due; staff see the work going on.
        headline = gettext("Creating Zoom meeting…") if c.staff else str(COMING_SOON)
    actions = c.remove_action()
    return ZoomPanel(
        kind="pending", headline=headline, note=note, actions=actions, **c.live, **c.base, **c.meeting
    )


def _ready(c: _Context) -> ZoomPanel | None:
    if not c.meeting:
        return None
    note = (c.error or checked_note(c.appointment)) if c.staff else ""
    return ZoomPanel(
        kind="ready",
        headline=gettext("Zoom meeting ready"),
        note=note,
        retry_href=c.retry_href,
        actions=c.remove_action(),
        **c.base,
        **c.meeting,
    )


def _failed(c: _Context) -> ZoomPanel:
    if not c.staff:
        if c.meeting:
            return ZoomPanel(kind="ready", headline=gettext("Zoom meeting"), **c.base, **c.meeting)
        # Checked slowly: when staff Retry, the link appears here without a reload.
        return ZoomPanel(kind="waiting", headline=str(COMING_SOON), **c.slow_check, **c.base)
    return ZoomPanel(
        kind="failed",
        headline=gettext("Zoom meeting failed"),
        note=c.error or gettext("Zoom did not accept the meeting."),
        retry_href=c.retry_href,
        actions=c.remove_action(),
        **c.base,
        **c.meeting,
    )


def _deleted(c: _Context) -> ZoomPanel:
    return ZoomPanel(
        kind="deleted", headline=gettext("Zoom meeting deleted"), actions=c.add_action(), **c.base
    )


def _left(c: _Context) -> ZoomPanel | None:
    if not c.staff:
        return None
    note = c.error or gettext("Zoom is disconnected; the meeting was left in Zoom.")
    return ZoomPanel(kind="left", headline=gettext("Zoom meeting left in Zoom"), note=note, **c.base)


NO_MEETING_NOTES = {
    "removed": lazy_gettext("Staff removed its Zoom meeting."),
    "disconnected": lazy_gettext(
        "Zoom is not connected: its meeting is created as soon as an admin connects Zoom."
    ),
    "missing": lazy_gettext(
        "Its service has Zoom meetings, yet none was made for it: Add Zoom meeting creates it."
    ),
}


def _none(c: _Context) -> ZoomPanel | None:
    """No meeting: staff may add one (any service); they are told why an appointment of a Zoom service
    has none."""
    appointment = c.appointment
    if not c.staff or appointment.is_cancelled:
        return None
    actions = c.add_action()
    note = ""
    if rule.staff_choice(appointment) is StaffChoice.REMOVED:
        note = NO_MEETING_NOTES["removed"]
    elif appointment.service.zoom_auto_create and appointment.ends_at > utcnow():
        note = NO_MEETING_NOTES["missing" if c.connected else "disconnected"]
    if not actions and not note:
        return None
    return ZoomPanel(kind="none", headline=gettext("No Zoom meeting"), note=note, actions=actions, **c.base)


def _vanished(c: _Context) -> ZoomPanel | None:
    """Deleted in Zoom: the client never gets the dead link, staff get Recreate and resend."""
    if c.appointment.is_cancelled or not c.appointment.zoom.wanted:
        return _deleted(c)
    if not c.staff:  # checked slowly: once the meeting is recreated, the link appears without a reload
        return ZoomPanel(kind="waiting", headline=str(COMING_SOON), **c.slow_check, **c.base)
    note = gettext(
        "The client sees “Meeting link coming soon” and no email carries the old link. Recreate and "
        "resend makes a new meeting and emails the client its link; if nobody does, the check before "
        "the meeting does it."
    )
    href = url_for("bookings.zoom_recreate", appointment_id=c.appointment.id)
    return ZoomPanel(
        kind="vanished",
        headline=gettext("The Zoom meeting was deleted in Zoom"),
        note=" ".join(filter(None, [c.error, note])),
        actions=(PanelAction(gettext("Recreate and resend"), href, primary=True), *c.remove_action()),
        **c.base,
    )


def _drifted(c: _Context) -> ZoomPanel | None:
    """Its time or duration was changed in Zoom: the link still works; staff choose which side wins."""
    if not c.staff:
        return _ready(c)
    from conecta.zoom.zoom_changes import drift_note

    appointment_id = c.appointment.id
    return ZoomPanel(
        kind="drifted",
        headline=gettext("The Zoom meeting was changed in Zoom"),
        note=" ".join(filter(None, [drift_note(c.appointment), c.error])),
        actions=(
            PanelAction(
                gettext("Put Zoom back"),
                url_for("bookings.zoom_put_back", appointment_id=appointment_id),
                True,
            ),
            PanelAction(
                gettext("Move the appointment to Zoom's time"),
                url_for("bookings.zoom_move_to_zoom_time", appointment_id=appointment_id),
            ),
            *c.remove_action(),
        ),
        **c.base,
        **c.meeting,
    )


_BY_STATE = {
    ZoomState.PENDING: _pending,
    ZoomState.READY: _ready,
    ZoomState.FAILED: _failed,
    ZoomState.DELETED: _deleted,
    ZoomState.LEFT: _left,
    ZoomState.NONE: _none,
    ZoomState.VANISHED: _vanished,
    ZoomState.DRIFTED: _drifted,
}
