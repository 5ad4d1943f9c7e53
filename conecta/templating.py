"""Template helpers: times shown in the organization's zone, and the current user's role."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_login import current_user

from conecta.web import absolute_url


def local(dt: datetime | None, tz: str | ZoneInfo | None = None) -> datetime | None:
    """A stored UTC instant in the organization's time zone."""
    if dt is None:
        return None
    if tz is None:
        tz = current_user.org.timezone if current_user.is_authenticated else "UTC"
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    return dt.astimezone(zone)


def fmt_datetime(dt: datetime | None, tz: str | ZoneInfo | None = None) -> str:
    value = local(dt, tz)
    return value.strftime("%a %d %b %Y, %H:%M") if value else ""


def fmt_time(dt: datetime | None, tz: str | ZoneInfo | None = None) -> str:
    value = local(dt, tz)
    return value.strftime("%H:%M") if value else ""


def fmt_zoom_time(value: str | None, tz: str | ZoneInfo | None = None) -> str:
    """A time as Zoom writes it (`2030-01-07T17:00:00Z`), shown like ours."""
    from conecta.models.zoom_meeting import parse_zoom_time

    return fmt_datetime(parse_zoom_time(value), tz)


def has_endpoint(name: str) -> bool:
    """Whether a route is registered, so templates link to optional areas (Integrations) only if present."""
    return name in current_app.view_functions


def page_language() -> str:
    """The language of every page (`<html lang>`): English until pages are translated, and then the
    one place that answers with the reader's language."""
    return "en"


def init_app(app: Flask) -> None:
    from conecta import audit
    from conecta.calendar.layout import staff_color
    from conecta.calendar.markup import zoom_label
    from conecta.mail.reminders import reminder_status
    from conecta.settings.zoom_views import zoom_connected
    from conecta.zoom.panel import zoom_panel

    app.jinja_env.globals["has_endpoint"] = has_endpoint
    app.jinja_env.globals["page_language"] = page_language
    app.jinja_env.globals["staff_color"] = staff_color  # a team member's calendar colour
    app.jinja_env.globals["zoom_panel"] = zoom_panel  # the Zoom panel of the drawer, modal and portal
    app.jinja_env.globals["zoom_connected"] = zoom_connected  # whether the Zoom switch may be turned on
    app.jinja_env.globals["absolute_url"] = absolute_url
    app.jinja_env.globals["appointment_history"] = audit.for_appointment  # the drawer's History
    app.jinja_env.globals["audit_label"] = audit.label
    app.jinja_env.globals["zoom_label"] = zoom_label  # "Zoom ready" (the client record's next appointment)
    app.jinja_env.globals["reminder_status"] = reminder_status  # "Reminder sent …" for staff
    app.jinja_env.filters["local"] = local
    app.jinja_env.filters["datetime"] = fmt_datetime
    app.jinja_env.filters["time"] = fmt_time
    app.jinja_env.filters["zoom_time"] = fmt_zoom_time
