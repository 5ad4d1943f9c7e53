"""The "Auto-create Zoom meeting" switch in Settings → Calendar → Events: the list's per-service toggle.

(The service form's checkbox lives in `ServiceForm.zoom_auto_create`.) Registered on the settings
blueprint with one import line in `conecta/settings/__init__.py`. Either way the server refuses to
switch Zoom on while the organization has no live Zoom connection; switching it off is always allowed.
"""

from __future__ import annotations

from flask import flash, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_htmx import make_response
from flask_login import current_user

from conecta.auth.permissions import admin_required, same_org_or_404
from conecta.extensions import db, htmx
from conecta.i18n import N_
from conecta.models import Service
from conecta.models.zoom import zoom_connection_for
from conecta.settings import bp
from conecta.settings.views import switched_on_message
from conecta.zoom import replan

NOT_CONNECTED = N_("Connect Zoom in Settings → Integrations before turning on automatic Zoom meetings.")


def zoom_connected() -> bool:
    """Whether the signed-in user's organization has a live Zoom connection (once per request)."""
    key = "conecta.zoom_connected"  # per request (not `g`: tests reuse one app context across requests)
    if key not in request.environ:
        request.environ[key] = (
            current_user.is_authenticated and zoom_connection_for(current_user.org_id) is not None
        )
    return request.environ[key]


@bp.route("/calendar/events/<int:service_id>/zoom", methods=["POST"])
@admin_required
def event_zoom(service_id: int):
    """Switch one service's Zoom meetings on or off from the Events list (HTMX swaps the cell). Switching
    on when upcoming appointments would get meetings asks first (`confirmed` posts the answer)."""
    service = same_org_or_404(db.session.get(Service, service_id))
    wanted = request.form.get("zoom_auto_create") in ("y", "on", "1", "true")
    error, reached = None, []
    if wanted and not service.zoom_auto_create:
        if not zoom_connected():
            error = gettext(NOT_CONNECTED)
        else:
            if request.form.get("confirmed") != "1":
                count = len(replan.to_create(service.org_id, service_id=service.id, auto_create=True))
                if count:
                    return _confirm_switch_on(service, count)
            reached = replan.switch_on(service, current_user)  # commits the switch with the marks
    else:
        service.zoom_auto_create = wanted
        db.session.commit()
    status = 422 if error else 200
    if htmx:
        return render_template(
            "settings/_service_zoom_cell.html", service=service, can_edit=True, zoom_error=error
        ), status
    if error:
        flash(error, "error")
    else:
        message = (
            gettext("Automatic Zoom meetings are on for %(name)s.", name=service.name)
            if wanted
            else gettext("Automatic Zoom meetings are off for %(name)s.", name=service.name)
        )
        if reached:
            message += f" {switched_on_message(len(reached))}"
        flash(message)
    return redirect(url_for("settings.events"), code=303)


def _confirm_switch_on(service: Service, count: int):
    """The question, asked by the server: in the modal for htmx (the cell's checkbox posted it), or a page."""
    consequence = get_template_attribute("settings/_zoom_switch_on.html", "consequence")
    context = {
        "title": gettext("Switch on Zoom meetings for %(name)s?", name=service.name),
        "message": consequence(count, service.name),
        "action_url": url_for("settings.event_zoom", service_id=service.id),
        "confirm_label": gettext("Switch on"),
        "confirm_class": "primary",
        "cancel_url": url_for("settings.events"),
        "hidden": {"zoom_auto_create": "y", "confirmed": "1"},
        "active_tab": "calendar",
    }
    if htmx:
        html = render_template("settings/_confirm.html", **context)
        return make_response(html, 200, retarget="#modal", reswap="innerHTML")
    return render_template("settings/confirm.html", **context)
