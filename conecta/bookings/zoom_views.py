"""The Zoom panel's staff routes: the self-refreshing fragment, Retry, and the host's Start link.

Registered on the bookings blueprint (one import line in `conecta/bookings/__init__.py`). No route here
waits on Zoom except `zoom_start`, and that one for at most 5 seconds (ZOOM_START_TIMEOUT_SECONDS). The
panel's `?wait=1` re-fetch waits for the reconcile job instead (`conecta.zoom.panel_push`), at most
ZOOM_PANEL_WAIT_SECONDS.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from conecta.auth.permissions import staff_required
from conecta.bookings import bp, zoom_actions
from conecta.bookings.access import get_appointment_for
from conecta.extensions import db, htmx
from conecta.models import Appointment
from conecta.read_only import reads_only
from conecta.web import render_page_or_fragment, wants_fragment
from conecta.zoom import panel_push
from conecta.zoom.errors import ZoomError, ZoomNotConnected
from conecta.zoom.panel import can_retry, zoom_panel
from conecta.zoom.start_link import fresh_start_url

PANEL = "partials/_zoom_panel.html"


def render_panel(appointment_id: int, viewer: str, page_template: str):
    """One URL, page or fragment: the panel alone for HTMX (its re-fetch target), else a small page.

    A re-fetch with `?wait=1` of a panel that is still pending answers once the job has settled, or
    after ZOOM_PANEL_WAIT_SECONDS (`conecta.zoom.panel_push`)."""

    def load() -> Appointment:
        return get_appointment_for(current_user, appointment_id)

    if not (request.args.get("wait") and wants_fragment()):
        return render_page_or_fragment(page_template, PANEL, appointment=load(), viewer=viewer)
    with panel_push.listening(appointment_id) as listener:  # subscribed before reading: nothing missed
        appointment = load()
        panel = zoom_panel(appointment, viewer)
        if listener is not None and panel is not None and panel.waits_for_push:
            db.session.rollback()  # hold no database connection while waiting
            listener.wait(panel_push.wait_seconds())
            appointment = load()
    return render_template(PANEL, appointment=appointment, viewer=viewer, zoom_push=listener is not None)


@bp.route("/<int:appointment_id>/zoom", endpoint="zoom_panel")
@staff_required
@reads_only
def zoom_panel_view(appointment_id: int):
    return render_panel(appointment_id, "staff", "zoom/panel_staff.html")


@bp.route("/<int:appointment_id>/zoom/retry", methods=["POST"])
@staff_required
def zoom_retry(appointment_id: int):
    """Start the sync over after a failure; the panel comes back pending and polls until it settles."""
    appointment = get_appointment_for(current_user, appointment_id)
    if can_retry(appointment):
        zoom_actions.retry_zoom(appointment, actor=current_user)
    if htmx:
        return render_template("partials/_zoom_panel.html", appointment=appointment, viewer="staff")
    return redirect(url_for("bookings.zoom_panel", appointment_id=appointment.id), code=303)


@bp.route("/<int:appointment_id>/zoom/start")
@staff_required
def zoom_start(appointment_id: int):
    """The host's way into the meeting: the stored start URL while it is under 100 minutes old, else a
    fresh one from Zoom (GET /meetings/{id}, 5-second timeout); on failure, a page that says so."""
    appointment = get_appointment_for(current_user, appointment_id)
    if appointment.zoom is None or appointment.zoom.meeting_id is None or appointment.is_cancelled:
        return _start_problem(
            appointment,
            404,
            gettext("No Zoom meeting"),
            gettext("This appointment has no Zoom meeting to start."),
            retry=False,
        )
    try:
        start_url = fresh_start_url(appointment)
    except ZoomNotConnected as exc:
        return _start_problem(appointment, 409, gettext("Zoom is not connected"), exc.message, retry=False)
    except ZoomError as exc:
        return _start_problem(
            appointment,
            502,
            gettext("Zoom did not answer"),
            gettext("We could not get a fresh start link from Zoom. %(why)s", why=exc.message),
            retry=True,
        )
    response = redirect(start_url, code=302)
    # The start URL carries the host's token: never cache it, never leak it as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _start_problem(appointment: Appointment, status: int, title: str, message: str, *, retry: bool):
    return (
        render_template(
            "zoom/start_failed.html", appointment=appointment, title=title, message=message, retry=retry
        ),
        status,
    )
