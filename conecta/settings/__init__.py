"""Settings: Team, Calendar → Events (services), Integrations."""

from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/settings")

# Integrations (Zoom connection, hosts and cleanup), Settings → Emails (and its Reminders form), and the
# Events list's Zoom toggle register here too.
from conecta.settings import (  # noqa: E402,F401
    emails,
    integrations,
    language,
    organization,
    reminders,
    views,
    zoom_cleanup_views,
    zoom_hosts,
    zoom_views,
)
