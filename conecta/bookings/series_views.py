"""The booking modal's series steps, called from `conecta.bookings.views` (which renders the answers):
which form a booking gets, booking a series (after listing its conflicts, if any), and the scope of an
edit or a cancellation of an occurrence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from conecta.bookings import bp
from conecta.bookings import series as series_service
from conecta.bookings.forms import BookingForm
from conecta.bookings.series_forms import NewBookingForm, SeriesEditForm, scope_choices
from conecta.models import Appointment, Client, Organization
from conecta.scheduling import BookingDetails
from conecta.scheduling import series as rules

WEEKDAY_NAMES = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


@bp.app_template_global("series_summary")
def series_summary(appointment: Appointment) -> str:
    """ "Every week on Monday", "Every 2 weeks on Monday, Thursday": the details' line for an occurrence."""
    if appointment.series is None:
        return ""
    interval, weekdays = rules.rule_summary(appointment.series.rule)
    days = ", ".join(str(WEEKDAY_NAMES[d]) for d in weekdays)
    if interval == 1:
        return gettext("Every week on %(days)s", days=days)
    return gettext("Every %(num)d weeks on %(days)s", num=interval, days=days)


def form_class(appointment: Appointment | None) -> type[BookingForm]:
    """A new booking may repeat; an edit of a series occurrence says how far it reaches."""
    if appointment is None:
        return NewBookingForm
    return SeriesEditForm if appointment.series_id is not None else BookingForm


def wants_series(form: BookingForm) -> bool:
    return isinstance(form, NewBookingForm) and bool(form.repeat.data)


def book(
    form: NewBookingForm, org: Organization, details: BookingDetails, more_clients: Sequence[Client] = ()
) -> tuple[str, Any]:
    """("form", None) back to the form; ("conflicts", plan) to ask about the dates in conflict; or
    ("saved", (first appointment, notice)). Raises BookingError for the form to show."""
    step = form.series_step.data
    if step == "back":
        return "form", None
    plan = series_service.plan_series(org, details, form.repeat_rule())
    if plan.conflicts and step != "skip":
        return "conflicts", plan
    booked = series_service.book_series(org, details, plan, more_clients)
    notice = ngettext("Series booked: %(num)d date.", "Series booked: %(num)d dates.", len(booked))
    if plan.conflicts:
        skipped = len(plan.conflicts)
        notice += " " + ngettext("%(num)d date skipped.", "%(num)d dates skipped.", skipped)
    return "saved", (booked[0], notice)


def scope_of(form_or_none: Any = None) -> str:
    """The scope chosen in the edit form or the cancel confirmation ("this" unless said otherwise)."""
    if form_or_none is not None and isinstance(form_or_none, SeriesEditForm):
        value = form_or_none.scope.data
    else:
        value = request.form.get("scope", "this")
    return value if value in series_service.SCOPES else "this"


def edit(appointment: Appointment, form: BookingForm, details: BookingDetails) -> str | None:
    """An edit reaching further than this date; None when it is an ordinary one (the caller saves it)."""
    scope = scope_of(form)
    if appointment.series_id is None or scope == "this":
        return None
    changed = series_service.edit(appointment, details, scope)
    return ngettext("Changes saved to %(num)d date.", "Changes saved to %(num)d dates.", len(changed))


def cancel(appointment: Appointment, **options: Any) -> str | None:
    """A cancellation reaching further than this date; None when it is an ordinary one."""
    scope = scope_of()
    if appointment.series_id is None or scope == "this":
        return None
    cancelled = series_service.cancel(appointment, scope, **options)
    return (
        ngettext("%(num)d date cancelled.", "%(num)d dates cancelled.", len(cancelled))
        + " "
        + gettext("They stay on the calendar, struck through.")
    )


__all__ = ["book", "cancel", "edit", "form_class", "scope_choices", "wants_series"]
