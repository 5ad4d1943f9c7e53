"""Settings: Team, Calendar → Events (services), Integrations."""

from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/settings")

# Integrations (Zoom connection and hosts), Settings → Emails, and the Events list's Zoom toggle register
# here too.
from conecta.settings import emails, integrations, views, zoom_hosts, zoom_views  # noqa: E402,F401
