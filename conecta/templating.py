"""Template helpers: times shown in the reader's zone and language, and the current user's role."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_login import current_user

from conecta.dates import current_locale, format_day, format_instant, zone_name
from conecta.web import absolute_url


def reader_zone() -> str:
    """The signed-in reader's zone: a client's own (else the organization's), staff the organization's."""
    return current_user.zone if current_user.is_authenticated else "UTC"


def local(dt: datetime | None, tz: str | ZoneInfo | None = None) -> datetime | None:
    """A stored UTC instant in the given zone (default: the reader's)."""
    if dt is None:
        return None
    zone = tz or reader_zone()
    return dt.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))


def fmt_datetime(dt: datetime | None, tz: str | ZoneInfo | None = None) -> str:
    """e.g. "Mon 07 Jan 2030, 09:00" / "lun 7 ene 2030, 9:00", by Babel in the current language."""
    return format_instant(dt, tz or reader_zone(), "datetime") if dt else ""


def fmt_time(dt: datetime | None, tz: str | ZoneInfo | None = None) -> str:
    return format_instant(dt, tz or reader_zone(), "time") if dt else ""


def fmt_day(day: date | None, style: str = "short_day") -> str:
    """A calendar day in the current language ("Mon 07 Jan", "lun 7 ene")."""
    return format_day(day, style) if day else ""


def fmt_zoom_time(value: str | None, tz: str | ZoneInfo | None = None) -> str:
    """A time as Zoom writes it (`2030-01-07T17:00:00Z`), shown like ours."""
    from conecta.models.zoom_meeting import parse_zoom_time

    return fmt_datetime(parse_zoom_time(value), tz)


def has_endpoint(name: str) -> bool:
    """Whether a route is registered, so templates link to optional areas (Integrations) only if present."""
    return name in current_app.view_functions


def page_language() -> str:
    """The language of every page (`<html lang>`): the one `conecta.i18n.select_locale` chose."""
    return current_locale()


def init_app(app: Flask) -> None:
    from conecta import audit
    from conecta.calendar.layout import staff_color
    from conecta.calendar.markup import zoom_label
    from conecta.forms import install_quick_html_params
    from conecta.i18n import LANGUAGES, language_name
    from conecta.mail.reminders import reminder_status
    from conecta.portal.listing import booking_status
    from conecta.settings.zoom_views import zoom_connected
    from conecta.zoom.panel import zoom_panel

    install_quick_html_params()  # every form's inputs and labels, at a fifth of WTForms' CPU
    app.jinja_env.globals["has_endpoint"] = has_endpoint
    app.jinja_env.globals["page_language"] = page_language
    app.jinja_env.globals["language_name"] = language_name  # "Español", as a language picker shows it
    app.jinja_env.globals["languages"] = LANGUAGES
    app.jinja_env.globals["staff_color"] = staff_color  # a team member's calendar colour
    app.jinja_env.globals["zoom_panel"] = zoom_panel  # the Zoom panel of the drawer, modal and portal
    app.jinja_env.globals["zoom_connected"] = zoom_connected  # whether the Zoom switch may be turned on
    app.jinja_env.globals["absolute_url"] = absolute_url
    app.jinja_env.globals["appointment_history"] = audit.for_appointment  # the drawer's History
    app.jinja_env.globals["audit_label"] = audit.label
    app.jinja_env.globals["zoom_label"] = zoom_label  # "Zoom ready" (the client record's next appointment)
    app.jinja_env.globals["reminder_status"] = reminder_status  # "Reminder sent …" for staff
    app.jinja_env.globals["booking_status"] = booking_status  # Booked, Under way, Took place, Cancelled
    app.jinja_env.filters["local"] = local
    app.jinja_env.filters["datetime"] = fmt_datetime
    app.jinja_env.filters["time"] = fmt_time
    app.jinja_env.filters["day"] = fmt_day
    app.jinja_env.filters["zone_name"] = zone_name
    app.jinja_env.filters["zoom_time"] = fmt_zoom_time
