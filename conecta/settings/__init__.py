"""Settings: Team, Calendar → Events (services), Integrations."""

from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/settings")

from conecta.settings import integrations, views, zoom_views  # noqa: E402,F401
from conecta.settings import emails  # noqa: E402,F401  (Settings → Emails)
