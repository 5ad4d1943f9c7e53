"""Settings → Integrations, the Zoom hosts table (account mode): who hosts each team member's meetings.

Admins change a member's host (a select of the Zoom account's users, "Match by email" or "No Zoom user")
and re-read the account's users ("Match by email"); staff see the table read-only. A change moves the
member's upcoming meetings to the new host through the booking pipeline. One partial,
`partials/_zoom_hosts.html`: the Integrations page includes it, HTMX requests get it alone.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from conecta.auth.permissions import admin_required, same_org_or_404
from conecta.extensions import db, htmx
from conecta.models import User
from conecta.models.zoom import zoom_connection_for
from conecta.settings import bp
from conecta.settings.integrations import page_context
from conecta.web import render_page_or_fragment
from conecta.zoom import host_mapping, replan


def _answer(notice: str, category: str = "success", status: int = 200):
    """HTMX: the table again, with the notice; otherwise back to Integrations (a 422 renders the page)."""
    if htmx or status != 200:
        return render_page_or_fragment(
            "settings/integrations.html",
            "partials/_zoom_hosts.html",
            status=status,
            **page_context(hosts_notice={"text": notice, "category": category}),
        )
    flash(notice, category)
    return redirect(url_for("settings.integrations", _anchor="zoom-hosts"), code=303)


def _connected_for_account():
    connection = zoom_connection_for(current_user.org_id)
    if connection is None or not connection.is_account_mode:
        return None
    return connection


@bp.post("/integrations/zoom/hosts/match")
@admin_required
def zoom_hosts_match():
    """Re-read the Zoom account's users and match team members by email (an admin's choice stays)."""
    if _connected_for_account() is None:
        return _answer("Connect Zoom for the whole Zoom account (admin) to map hosts.", "error", 409)
    refreshed = host_mapping.refresh(current_user.org_id, current_user)
    if not refreshed.ok:
        return _answer(refreshed.message, "error", 502)
    moved = f" {refreshed.moved} upcoming meeting(s) move to their new host." if refreshed.moved else ""
    return _answer(refreshed.message + moved)


@bp.post("/integrations/zoom/hosts/<int:user_id>")
@admin_required
def zoom_host_choose(user_id: int):
    """An admin sets one member's Zoom host; their upcoming meetings move if it changed."""
    member = same_org_or_404(db.session.get(User, user_id))
    if _connected_for_account() is None:
        return _answer("Connect Zoom for the whole Zoom account (admin) to map hosts.", "error", 409)
    try:
        changed = host_mapping.choose(member, request.form.get("zoom_user_id", ""), current_user)
    except host_mapping.HostChoiceError as exc:
        db.session.rollback()
        return _answer(str(exc), "error", 422)
    db.session.commit()
    moved = replan.replan_hosts(current_user.org_id, [member.id]) if changed else []
    tail = f" {len(moved)} upcoming meeting(s) move to the new host." if moved else ""
    return _answer(f"Zoom host for {member.name} saved.{tail}")
