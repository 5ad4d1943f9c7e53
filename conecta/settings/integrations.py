"""Settings → Integrations: the Zoom card (connect, reconnect, disconnect, status, recent activity).

Admins manage the connection; staff see the card read-only (403 on every action). The card is one
partial: the page includes it, and HTMX requests get it alone to swap in place.
"""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from flask import flash, redirect, url_for
from flask_login import current_user
from redis.exceptions import RedisError

from conecta import audit
from conecta.auth.permissions import admin_required, staff_required
from conecta.extensions import db, htmx
from conecta.models.zoom import zoom_connection_for
from conecta.settings import bp
from conecta.settings.zoom_cleanup_views import cleanup_context
from conecta.web import render_page_or_fragment
from conecta.zoom import cleanup
from conecta.zoom.connection import disconnect, store_connection
from conecta.zoom.errors import ZoomError
from conecta.zoom.oauth import redirect_uri, zoom_oauth
from conecta.zoom.transport import fetch_profile

log = logging.getLogger("conecta.zoom")

NOT_CONNECTED = "Zoom was not connected: "
DECLINED = NOT_CONNECTED + "access was declined on Zoom's page. Click Connect to try again."
BAD_STATE = (
    NOT_CONNECTED + "the answer from Zoom did not match this browser's sign-in (it expired, or was altered). "
    "Click Connect to start again."
)
EXCHANGE_FAILED = NOT_CONNECTED + "Zoom did not confirm the authorization{why}. Click Connect to try again."


def _card(**extra):
    """Render the Zoom card: alone for HTMX, inside the Integrations page otherwise."""
    org_id = current_user.org_id
    context = {
        "connection": zoom_connection_for(org_id, live_only=False),
        "can_manage": current_user.is_admin,
        "audit_events": audit.recent(org_id, 20, connection_only=True) if current_user.is_admin else [],
        "audit_label": audit.label,
        "confirming": False,
        "notice": None,
        "cleanup": None,
        **(cleanup_context(org_id) if current_user.is_admin else {}),
        **extra,
    }
    return render_page_or_fragment("settings/integrations.html", "partials/_integration_card.html", **context)


def _back(message: str, category: str):
    flash(message, category)
    return redirect(url_for("settings.integrations"), code=303)


@bp.route("/integrations")
@staff_required
def integrations():
    return _card()


@bp.post("/integrations/zoom/connect")
@admin_required
def zoom_connect():
    """Send the admin to Zoom's consent page (state and PKCE verifier kept server-side)."""
    try:
        response = zoom_oauth().authorize_redirect(redirect_uri())
    except RedisError:
        return _back(NOT_CONNECTED + "Conecta could not start the authorization. Try again shortly.", "error")
    response.status_code = 303
    return response


@bp.get("/integrations/zoom/callback")
@admin_required
def zoom_callback():
    """Zoom sends the admin back here: exchange the code, read /users/me, store the connection."""
    try:
        token = zoom_oauth().authorize_access_token()
    except AuthlibBaseError as exc:  # Zoom's error answers, and Authlib's own (e.g. a callback without code)
        if exc.error == "access_denied":
            return _back(DECLINED, "error")
        if exc.error == "mismatching_state":
            return _back(BAD_STATE, "error")
        log.warning("zoom_connect exchange refused: %s", exc.error)
        return _back(EXCHANGE_FAILED.format(why=f" ({exc.error})"), "error")
    except (requests.RequestException, ValueError, KeyError, RedisError) as exc:
        log.warning("zoom_connect exchange failed: %s", type(exc).__name__)
        return _back(EXCHANGE_FAILED.format(why=" (Zoom could not be reached)"), "error")
    if not token.get("access_token") or not token.get("refresh_token"):
        return _back(EXCHANGE_FAILED.format(why=" (its answer had no tokens)"), "error")
    try:
        profile = fetch_profile(token["access_token"])
    except ZoomError as exc:
        return _back(
            EXCHANGE_FAILED.format(why=f": reading the Zoom account failed — {exc.message}"), "error"
        )
    connection = store_connection(current_user.org_id, current_user, token, profile)
    db.session.commit()
    cleanup.after_connect(current_user.org_id)  # leftovers in Zoom from before, listed on the card
    return _back(f"Connected as {connection.zoom_email}.", "success")


@bp.get("/integrations/zoom/disconnect")
@admin_required
def zoom_disconnect_confirm():
    """The confirmation step, rendered by the server (in place via HTMX, as a page without JS)."""
    return _card(confirming=True)


@bp.post("/integrations/zoom/disconnect")
@admin_required
def zoom_disconnect():
    outcome = disconnect(current_user.org_id, current_user)
    category = "success" if outcome.revoked_at_zoom or not outcome.was_connected else "warning"
    if htmx:
        return _card(notice={"text": outcome.message, "category": category})
    return _back(outcome.message, category)
