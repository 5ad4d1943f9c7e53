"""The booking modal: new, view, edit and cancel, each one URL answering with the modal fragment (HTMX,
swapped into `#modal`) or a page (a direct visit). Saving goes through `conecta.bookings.service`;
a successful save answers with `HX-Trigger: appointment-saved` so the calendar and an open drawer
refresh themselves.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_htmx import make_response
from flask_login import current_user
from sqlalchemy import select

from conecta.auth.permissions import staff_required
from conecta.bookings import bp, series_views, service, zoom_actions
from conecta.bookings.access import get_appointment_for
from conecta.bookings.choices import client_choices, fill_choices
from conecta.bookings.forms import BookingForm, CancelForm
from conecta.extensions import db, htmx
from conecta.models import Appointment, Client, Organization, Service, User
from conecta.models.appointment import ATTENDANCE_LABELS
from conecta.models.types import database_id, utcnow
from conecta.models.zoom import zoom_connection_for
from conecta.read_only import reads_only
from conecta.scheduling import BookingDetails, BookingError, to_utc
from conecta.web import add_form_errors, render_page_or_fragment, wants_fragment
from conecta.zoom import rule


def _render(mode: str, *, status: int = 200, **context: Any):
    """The modal in `mode` ("form", "view", "confirm_cancel", "confirm_remove_zoom"): a fragment for
    htmx, else a page."""
    context.setdefault("appointment", None)
    context.setdefault("general_errors", [])
    context.setdefault("notice", None)
    context.setdefault("series_scopes", series_views.scope_choices())
    return render_page_or_fragment(
        "bookings/page.html",
        "partials/_booking_modal.html",
        status,
        as_page=not wants_fragment(),
        viewer="staff",
        mode=mode,
        **context,
    )


def _arg_int(name: str) -> int | None:
    return database_id(request.args.get(name))


def _prefill_new(form: BookingForm, org: Organization) -> None:
    """A new booking starts where it was asked for: the clicked slot, staff column or client."""
    try:
        form.date.data = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        form.date.data = utcnow().astimezone(org.tz).date()
    try:
        form.time.data = time.fromisoformat(request.args.get("time", ""))
    except ValueError:
        next_hour = (utcnow().astimezone(org.tz) + timedelta(hours=1)).replace(minute=0)
        form.time.data = next_hour.time().replace(second=0, microsecond=0, tzinfo=None)
    form.staff_id.data = _arg_int("staff_id") or current_user.id
    form.client_id.data = _arg_int("client_id")
    form.service_id.data = _arg_int("service_id")


def _prefill_edit(form: BookingForm, appointment: Appointment) -> None:
    local = appointment.starts_at.astimezone(appointment.org.tz)
    form.client_id.data = appointment.client_id
    form.service_id.data = appointment.service_id
    form.staff_id.data = appointment.staff_id
    form.date.data = local.date()
    form.time.data = local.time().replace(tzinfo=None)
    # Empty means "the service's length", so changing the service brings its own length along.
    if appointment.duration_minutes != appointment.service.duration_minutes:
        form.duration_minutes.data = appointment.duration_minutes
    form.notes.data = appointment.notes


def _more_clients(form: BookingForm, org: Organization) -> list[Client]:
    """A group booking's other clients (the rules check how many the service takes)."""
    ids = [i for i in form.more_client_ids.data or [] if i is not None]
    if not ids:
        return []
    found = db.session.scalars(select(Client).where(Client.id.in_(ids), Client.org_id == org.id)).all()
    if len(found) != len(set(ids)):
        raise BookingError({"more_client_ids": gettext("Choose clients.")})
    return list(found)


def _booking_input(
    form: BookingForm, org: Organization, appointment: Appointment | None = None
) -> BookingDetails:
    """The form's values as the rules take them (objects, a UTC instant); may raise BookingError. A
    group session keeps its client: who is in it changes in the drawer (Add client / Remove)."""

    def get(model: type, key: int | None) -> Any:
        return db.session.get(model, key) if key is not None else None

    group = appointment is not None and appointment.is_group
    return BookingDetails(
        client=appointment.client if group else get(Client, form.client_id.data),
        service=get(Service, form.service_id.data),
        staff=get(User, form.staff_id.data),
        starts_at=to_utc(form.date.data, form.time.data, org.timezone),
        duration_minutes=form.duration_minutes.data,
        notes=(form.notes.data or "").strip(),
    )


def _saved(appointment: Appointment, change: str, notice: str):
    """After a save: the booking in view mode, and the event the calendar and drawer listen for."""
    if not wants_fragment():
        return redirect(url_for("bookings.show", appointment_id=appointment.id), code=303)
    html, status = _render("view", appointment=appointment, notice=notice)
    return make_response(
        html, status, trigger={"appointment-saved": {"id": appointment.id, "change": change}}
    )


def _booking_form(appointment: Appointment | None):
    """New or edit: GET prefills, POST saves (the view mode, `appointment-saved`) or re-renders with
    the form's and the rules' messages (422)."""
    org = appointment.org if appointment else current_user.org
    form = series_views.form_class(appointment)()
    general_errors: list[str] = []
    status = 422 if request.method == "POST" else 200
    if request.method == "GET" and appointment is None:
        _prefill_new(form, org)
    elif request.method == "GET":
        _prefill_edit(form, appointment)
    elif form.validate_on_submit():
        try:
            if series_views.wants_series(form):  # Repeat: the series steps (conecta.bookings.series_views)
                more = _more_clients(form, org)  # a weekly group's other clients
                outcome, result = series_views.book(form, org, _booking_input(form, org), more)
                if outcome == "saved":
                    return _saved(result[0], "created", result[1])
                fill_choices(form, org, None)
                if outcome == "conflicts":
                    return _render("series_conflicts", form=form, plan=result)
                form.series_step.data = ""
                return _render("form", form=form)
            if appointment is None:
                details, more = _booking_input(form, org), _more_clients(form, org)
                return _saved(service.save_new(org, details, more), "created", gettext("Booking saved."))
            details = _booking_input(form, org, appointment)
            notice = series_views.edit(appointment, form, details)
            if notice is None:
                service.save_edit(appointment, details)
            return _saved(appointment, "updated", notice or gettext("Changes saved."))
        except BookingError as exc:
            general_errors = add_form_errors(form, exc.errors)
    fill_choices(form, org, appointment)
    return _render("form", status=status, form=form, appointment=appointment, general_errors=general_errors)


@bp.route("/new", methods=["GET", "POST"])
@staff_required
@reads_only  # on GET (the form); a POST saves in a transaction
def new():
    return _booking_form(None)


@bp.route("/<int:appointment_id>")
@staff_required
def show(appointment_id: int):
    return _render("view", appointment=get_appointment_for(current_user, appointment_id))


@bp.route("/<int:appointment_id>/edit", methods=["GET", "POST"])
@staff_required
@reads_only
def edit(appointment_id: int):
    appointment = get_appointment_for(current_user, appointment_id)
    if appointment.is_cancelled:
        # Cancelled bookings stay as they were, for the record.
        status = 422 if request.method == "POST" else 200
        return _render(
            "view",
            status=status,
            appointment=appointment,
            general_errors=["A cancelled appointment cannot be edited."],
        )
    return _booking_form(appointment)


@bp.route("/<int:appointment_id>/cancel", methods=["GET", "POST"])
@staff_required
@reads_only
def cancel(appointment_id: int):
    """GET asks first (a server-rendered confirmation); POST cancels."""
    appointment = get_appointment_for(current_user, appointment_id)
    form = CancelForm()
    if request.method == "GET":
        if appointment.is_cancelled:
            return _render(
                "view", appointment=appointment, notice=gettext("This booking is already cancelled.")
            )
        return _render("confirm_cancel", appointment=appointment, cancel_form=form)
    if not form.validate_on_submit():
        return _render("confirm_cancel", status=422, appointment=appointment, cancel_form=form)
    options = {
        "reason": form.reason.data or "",
        "email_client": bool(form.email_client.data),
        "reason_in_email": bool(form.reason_in_email.data),
        "actor": current_user,
    }
    already = appointment.is_cancelled
    try:
        notice = series_views.cancel(appointment, **options)  # a scope beyond this date (series_views)
    except BookingError as exc:
        return _render("view", status=422, appointment=appointment, general_errors=list(exc.errors.values()))
    if notice is None and already:  # twice is harmless: the first cancellation stands as it was
        return _saved(appointment, "cancelled", gettext("This booking is already cancelled."))
    if notice is None:
        service.cancel(appointment, **options)
    told = (
        gettext("The client is emailed.")
        if options["email_client"]
        else gettext("No email goes to the client.")
    )
    notice = notice or gettext("Booking cancelled. It stays on the calendar, struck through.")
    return _saved(appointment, "cancelled", f"{notice} {told}")


@bp.route("/<int:appointment_id>/attendance", methods=["POST"])
@staff_required
def attendance(appointment_id: int):
    """Attended or No-show (or "" to unmark), once the appointment has started; not on a cancelled one."""
    appointment = get_appointment_for(current_user, appointment_id)
    value = request.form.get("attendance", "")
    refusal = None
    if appointment.is_cancelled:
        refusal = gettext("A cancelled appointment cannot be marked.")
    elif appointment.starts_at > utcnow():
        refusal = gettext("Attendance can be marked once the appointment has started.")
    elif value not in ("", *ATTENDANCE_LABELS):
        refusal = gettext("Choose Attended or No-show.")
    if refusal:
        return _render("view", status=422, appointment=appointment, general_errors=[refusal])
    service.mark_attendance(appointment, value or None, actor=current_user)
    label = ATTENDANCE_LABELS.get(value)
    notice = gettext("Marked %(label)s.", label=label) if label else gettext("Attendance cleared.")
    return _saved(appointment, "updated", notice)


# ---- Add / Remove Zoom meeting on one appointment (conecta.zoom.rule): answered in the modal ----------


@bp.route("/<int:appointment_id>/zoom/add", methods=["POST"])
@staff_required
def zoom_add(appointment_id: int):
    """Add Zoom meeting: a one-off video session, on an appointment of any service."""
    appointment = get_appointment_for(current_user, appointment_id)
    refusal = rule.add_refusal(appointment, connected=_zoom_connected(appointment), now=utcnow())
    if refusal:
        return _render("view", status=422, appointment=appointment, general_errors=[gettext(refusal)])
    zoom_actions.add_zoom_meeting(appointment, actor=current_user)
    return _saved(appointment, "updated", str(ZOOM_ADDED))


@bp.route("/<int:appointment_id>/zoom/remove", methods=["GET", "POST"])
@staff_required
def zoom_remove(appointment_id: int):
    """GET asks first (a server-rendered confirmation); POST removes: the meeting is deleted in Zoom and
    the client is emailed that its link no longer works."""
    appointment = get_appointment_for(current_user, appointment_id)
    refusal = rule.remove_refusal(appointment, connected=_zoom_connected(appointment))
    if refusal:
        status = 422 if request.method == "POST" else 200
        return _render("view", status=status, appointment=appointment, general_errors=[gettext(refusal)])
    if request.method == "GET":
        return _render("confirm_remove_zoom", appointment=appointment)
    zoom_actions.remove_zoom_meeting(appointment, actor=current_user)
    return _saved(appointment, "updated", str(ZOOM_REMOVED))


ZOOM_ADDED = lazy_gettext("Zoom meeting added: it is being created, and the client gets the link by email.")
ZOOM_REMOVED = lazy_gettext(
    "Zoom meeting removed: it is being deleted in Zoom, and the client is told by email."
)


def _zoom_connected(appointment: Appointment) -> bool:
    return zoom_connection_for(appointment.org_id) is not None


@bp.route("/client-options")
@staff_required
def client_options():
    """The client select's options for a search (name or email), for the modal's search box."""
    org = current_user.org
    query = request.args.get("client_search", "")
    selected = None if query else _arg_int("client_id")
    choices = client_choices(org, query, selected_id=selected)
    return render_template("bookings/_client_options.html", choices=choices, query=query, selected=selected)


@bp.route("/dismiss")
@staff_required
def dismiss():
    """Closing the modal: HTMX swaps this empty answer into `#modal`; without HTMX, back to the calendar."""
    if not htmx:
        return redirect(url_for("calendar.index"))
    return ""
