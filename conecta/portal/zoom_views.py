"""The Zoom panel for portal clients: the same self-refreshing fragment, without anything of the host's.

Registered on the portal blueprint (one import line in `conecta/portal/__init__.py`).
"""

from __future__ import annotations

from conecta.auth.permissions import client_required
from conecta.bookings.zoom_views import render_panel
from conecta.portal import bp


@bp.route("/bookings/<int:appointment_id>/zoom", endpoint="zoom_panel")
@client_required
def zoom_panel_view(appointment_id: int):
    return render_panel(appointment_id, "client", "zoom/panel_client.html")
