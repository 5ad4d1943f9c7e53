"""Settings → Integrations → the Zoom card's cleanup after a (re)connect (admins): leftover meetings in
Zoom (Look in Zoom, Delete them). (Appointments left without a meeting while Zoom was disconnected get it
from the (re)connect itself: `conecta.zoom.replan.apply_rule`.)

No request here waits on Zoom: looking and deleting are jobs (`conecta.zoom.cleanup`), and the section
re-fetches itself while one runs. The section is one partial, swapped in place by htmx; without htmx
each action ends on the Integrations page.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from conecta.auth.permissions import admin_required
from conecta.models.zoom import zoom_connection_for
from conecta.settings import bp
from conecta.web import fragment_or_redirect, render_page_or_fragment
from conecta.zoom import cleanup

FRAGMENT = "partials/_zoom_cleanup.html"
REDIS_DOWN = lazy_gettext("Conecta could not start that right now. Try again in a moment.")


def cleanup_context(org_id: int) -> dict[str, Any]:
    """What the cleanup section shows (only while the organization's connection is live)."""
    if zoom_connection_for(org_id) is None:
        return {"cleanup": None}
    return {"cleanup": {"leftovers": cleanup.leftovers(org_id)}}


def _section(message: str | None = None, *, confirming: bool = False, status: int = 200):
    context = cleanup_context(current_user.org_id) | {"confirming": confirming}
    if message is None:
        return render_page_or_fragment("settings/zoom_cleanup.html", FRAGMENT, status, **context)
    return fragment_or_redirect(FRAGMENT, url_for("settings.integrations"), message, status=status, **context)


@bp.route("/integrations/zoom/cleanup")
@admin_required
def zoom_cleanup():
    """The section alone (its polling target while a look or a deletion runs), or its page."""
    return _section()


@bp.post("/integrations/zoom/cleanup/scan")
@admin_required
def zoom_cleanup_scan():
    if zoom_connection_for(current_user.org_id) is None:
        return _section(gettext("Zoom is not connected."))
    if not cleanup.request_scan(current_user.org_id):
        return _section(str(REDIS_DOWN))
    return _section("Looking in Zoom…")


@bp.route("/integrations/zoom/cleanup/delete", methods=["GET", "POST"])
@admin_required
def zoom_cleanup_delete():
    """GET asks first (in place, or as a page without htmx); POST deletes them (a job)."""
    org_id = current_user.org_id
    if request.method == "GET":
        return _section(confirming=True)
    if zoom_connection_for(org_id) is None:
        return _section(gettext("Zoom is not connected."))
    if not cleanup.request_delete(org_id):
        return _section(
            gettext("There is nothing to delete.")
            if cleanup.leftovers(org_id).error is None
            else str(REDIS_DOWN)
        )
    return _section("Deleting the leftover meetings in Zoom…")
