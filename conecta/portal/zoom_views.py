"""The Zoom panel for portal clients: the same self-refreshing fragment, without anything of the host's.

Registered on the portal blueprint (one import line in `conecta/portal/__init__.py`).
"""

from __future__ import annotations

from flask_login import current_user

from conecta.auth.permissions import client_required
from conecta.bookings.access import get_appointment_for
from conecta.bookings.zoom_views import render_panel
from conecta.portal import bp


@bp.route("/bookings/<int:appointment_id>/zoom", endpoint="zoom_panel")
@client_required
def zoom_panel_view(appointment_id: int):
    appointment = get_appointment_for(current_user, appointment_id)
    return render_panel(appointment, "client", "zoom/panel_client.html")
