"""Settings → Integrations, the Zoom hosts table (account mode): who hosts each team member's meetings.

Admins change a member's host (a select of the Zoom account's users, "Match by email" or "No Zoom user")
and re-read the account's users ("Match by email"); staff see the table read-only. A change moves the
member's upcoming meetings to the new host through the booking pipeline. One partial,
`partials/_zoom_hosts.html`: the Integrations page includes it, HTMX requests get it alone.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from conecta.auth.permissions import admin_required, same_org_or_404
from conecta.extensions import db, htmx
from conecta.models import User
from conecta.models.zoom import zoom_connection_for
from conecta.settings import bp
from conecta.settings.integrations import page_context
from conecta.web import render_page_or_fragment
from conecta.zoom import host_mapping, replan

NOT_FOR_THE_ACCOUNT = lazy_gettext("Zoom hosts need Zoom connected for the whole Zoom account (admin).")


def _answer(notice: str, category: str = "success", status: int = 200):
    """HTMX: the table again, with the notice; otherwise back to Integrations, or the page itself when the
    choice is refused (422)."""
    if htmx or status != 200:
        return render_page_or_fragment(
            "settings/integrations.html",
            "partials/_zoom_hosts.html",
            status=status,
            **page_context(hosts_notice={"text": notice, "category": category}),
        )
    flash(notice, category)
    return redirect(url_for("settings.integrations", _anchor="zoom-hosts"), code=303)


def _not_connected_for_the_account():
    """The table belongs to a whole-account connection; without one (disconnected, or switched to "my Zoom
    user only" meanwhile) the page is reloaded to say so."""
    connection = zoom_connection_for(current_user.org_id)
    if connection is not None and connection.is_account_mode:
        return None
    flash(str(NOT_FOR_THE_ACCOUNT), "error")
    if htmx:  # a redirect would be followed inside the request and swapped into the table: navigate
        return "", 200, {"HX-Redirect": url_for("settings.integrations")}
    return redirect(url_for("settings.integrations"), code=303)


@bp.post("/integrations/zoom/hosts/match")
@admin_required
def zoom_hosts_match():
    """Re-read the Zoom account's users and match team members by email (an admin's choice stays)."""
    if refused := _not_connected_for_the_account():
        return refused
    refreshed = host_mapping.refresh(current_user.org_id, current_user)
    if not refreshed.ok:  # Zoom did not answer: said on the table (as Disconnect does), nothing changed
        return _answer(refreshed.message, "error")
    moved = (
        " " + gettext("%(num)d upcoming meeting(s) move to their new host.", num=refreshed.moved)
        if refreshed.moved
        else ""
    )
    return _answer(refreshed.message + moved)


@bp.post("/integrations/zoom/hosts/<int:user_id>")
@admin_required
def zoom_host_choose(user_id: int):
    """An admin sets one member's Zoom host; their upcoming meetings move if it changed."""
    member = same_org_or_404(db.session.get(User, user_id))
    if refused := _not_connected_for_the_account():
        return refused
    try:
        changed = host_mapping.choose(member, request.form.get("zoom_user_id", ""), current_user)
    except host_mapping.HostChoiceError as exc:
        db.session.rollback()
        return _answer(str(exc), "error", 422)
    db.session.commit()
    moved = replan.replan_hosts(current_user.org_id, [member.id]) if changed else []
    tail = " " + gettext("%(num)d upcoming meeting(s) move to the new host.", num=len(moved)) if moved else ""
    return _answer(gettext("Zoom host for %(name)s saved.", name=member.name) + tail)
