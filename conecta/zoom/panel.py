"""What the Zoom panel shows (`partials/_zoom_panel.html`), decided here so the template only renders.

One panel serves the event drawer, the booking modal (viewer "staff") and the portal's booking detail
(viewer "client"). Whatever the state, the host's start URL is never part of it: staff get a link to
`bookings.zoom_start`, which redirects; clients get nothing of the host's at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import url_for

from conecta.models import Appointment
from conecta.models.types import utcnow

# A pending panel re-fetches itself until the job is done; a wait Zoom imposed for longer than this
# (the daily limit, a long backoff) is shown as such instead of polling for hours.
POLL_DELAY = "500ms"
SLOW_POLL_DELAY = "5s"
POLL_HORIZON = timedelta(minutes=2)


@dataclass(frozen=True)
class ZoomPanel:
    appointment_id: int
    kind: str  # hidden | none | pending | waiting | ready | failed | deleted | left
    viewer: str
    headline: str = ""
    note: str = ""  # staff only: why it failed, what Zoom said, what is being done
    join_url: str | None = None
    meeting_id: str | None = None
    passcode: str | None = None
    start_href: str | None = None
    retry_href: str | None = None
    poll_href: str | None = None
    poll_delay: str | None = None

    @property
    def staff(self) -> bool:
        return self.viewer == "staff"

    @property
    def meeting_id_display(self) -> str:
        """Zoom's own grouping: 123 4567 8901 (11 digits) or 123 456 7890 (10)."""
        digits = self.meeting_id or ""
        if len(digits) == 11:
            return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        if len(digits) == 10:
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
        return digits


def can_retry(appointment: Appointment) -> bool:
    """Retry is offered after a permanent failure, or when a change could not reach Zoom."""
    if appointment.zoom_state == "failed":
        return True
    return appointment.zoom_state == "ready" and bool(appointment.zoom_error)


def zoom_panel(appointment: Appointment | None, viewer: str) -> ZoomPanel | None:
    """The panel for `viewer` ("staff" or "client"); None when there is nothing to show at all."""
    if appointment is None or appointment.id is None:
        return None
    staff = viewer == "staff"
    state = appointment.zoom_state
    poll_href = url_for(
        "bookings.zoom_panel" if staff else "portal.zoom_panel", appointment_id=appointment.id
    )
    meeting = {}
    if (
        appointment.zoom_meeting_id
        and appointment.zoom_join_url
        and not appointment.is_cancelled
        and not appointment.zoom_meeting_is_a_former_clients
    ):
        meeting = {
            "join_url": appointment.zoom_join_url,
            "meeting_id": appointment.zoom_meeting_id,
            "passcode": appointment.zoom_passcode or None,
            "start_href": url_for("bookings.zoom_start", appointment_id=appointment.id) if staff else None,
        }
    base = {"appointment_id": appointment.id, "viewer": viewer}
    retry_href = (
        url_for("bookings.zoom_retry", appointment_id=appointment.id)
        if staff and can_retry(appointment)
        else None
    )

    if state == "pending":
        wait = (appointment.zoom_retry_at - utcnow()) if appointment.zoom_retry_at else None
        if wait is not None and wait > POLL_HORIZON:
            if not staff and not meeting:
                return ZoomPanel(kind="waiting", headline="Meeting link coming soon", **base)
            return ZoomPanel(
                kind="waiting",
                headline="Waiting for Zoom",
                note=(appointment.zoom_error or "") if staff else "",
                **base,
                **meeting,
            )
        if appointment.is_cancelled or not appointment.zoom_wanted:
            headline = "Deleting Zoom meeting…"
        elif appointment.zoom_meeting_id:
            headline = "Updating Zoom meeting…"
        else:
            headline = "Creating Zoom meeting…"
        return ZoomPanel(
            kind="pending",
            headline=headline,
            note=(appointment.zoom_error or "") if staff else "",
            poll_href=poll_href,
            poll_delay=SLOW_POLL_DELAY if wait is not None and wait.total_seconds() > 5 else POLL_DELAY,
            **base,
            **meeting,
        )
    if state == "ready" and meeting:
        return ZoomPanel(
            kind="ready",
            headline="Zoom meeting ready",
            note=(appointment.zoom_error or "") if staff else "",
            retry_href=retry_href,
            **base,
            **meeting,
        )
    if state == "failed":
        if not staff:
            if meeting:
                return ZoomPanel(kind="ready", headline="Zoom meeting", **base, **meeting)
            return ZoomPanel(kind="waiting", headline="Meeting link coming soon", **base)
        return ZoomPanel(
            kind="failed",
            headline="Zoom meeting failed",
            note=appointment.zoom_error or "Zoom did not accept the meeting.",
            retry_href=retry_href,
            **base,
            **meeting,
        )
    if state == "deleted":
        return ZoomPanel(kind="deleted", headline="Zoom meeting deleted", **base)
    if state == "left":
        if not staff:
            return None
        return ZoomPanel(
            kind="left",
            headline="Zoom meeting left in Zoom",
            note=appointment.zoom_error or "Zoom is disconnected; the meeting was left in Zoom.",
            **base,
        )
    if staff and state == "none" and not appointment.is_cancelled and appointment.service.zoom_auto_create:
        # The service has Zoom, yet this booking has none: say why rather than leave staff guessing.
        return ZoomPanel(
            kind="none",
            headline="No Zoom meeting",
            note="It was booked while Zoom was not connected, or before its service had Zoom meetings.",
            **base,
        )
    return None
