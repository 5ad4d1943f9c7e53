"""Settings → Integrations: the Zoom card (connect, reconnect, disconnect, status, recent activity).

Admins manage the connection; staff see the card read-only (403 on every action). The card is one
partial: the page includes it, and HTMX requests get it alone to swap in place.
"""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from flask import flash, redirect, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from redis.exceptions import RedisError

from conecta import audit
from conecta.auth.permissions import admin_required, staff_required
from conecta.extensions import db, htmx
from conecta.i18n import N_
from conecta.models.zoom import ZoomConnection, zoom_connection_for
from conecta.settings import bp
from conecta.settings.zoom_cleanup_views import cleanup_context
from conecta.web import render_page_or_fragment
from conecta.zoom import cleanup, host_mapping, replan
from conecta.zoom.connection import disconnect, store_connection
from conecta.zoom.errors import ZoomError
from conecta.zoom.hosts import ACCOUNT_SCOPES
from conecta.zoom.oauth import redirect_uri, zoom_oauth
from conecta.zoom.transport import fetch_profile

log = logging.getLogger("conecta.zoom")

# Said when a connection attempt ends without one, in the admin's language.
DECLINED = N_("Zoom was not connected: access was declined on Zoom's page. Click Connect to try again.")
BAD_STATE = N_(
    "Zoom was not connected: the answer from Zoom did not match this browser's sign-in (it expired, or was "
    "altered). Click Connect to start again."
)
NOT_STARTED = N_("Zoom was not connected: Conecta could not start the authorization. Try again shortly.")


def exchange_failed(why: str) -> str:
    return gettext(
        "Zoom was not connected: Zoom did not confirm the authorization%(why)s. Click Connect to try again.",
        why=why,
    )


def page_context(**extra) -> dict:
    """What the Integrations page shows: the Zoom card and, in account mode, the Zoom hosts table."""
    org_id = current_user.org_id
    connection = zoom_connection_for(org_id, live_only=False)
    return {
        "connection": connection,
        "hosts": hosts_context(connection),
        "can_manage": current_user.is_admin,
        "audit_events": audit.recent(org_id, 20, connection_only=True) if current_user.is_admin else [],
        "audit_label": audit.label,
        "confirming": False,
        "notice": None,
        "cleanup": None,
        **(cleanup_context(org_id) if current_user.is_admin else {}),
        "hosts_notice": None,
        **extra,
    }


def hosts_context(connection: ZoomConnection | None) -> dict | None:
    """The Zoom hosts table (`conecta/settings/zoom_hosts.py`), or None when there is nothing to map:
    Zoom is not connected for the whole account."""
    if connection is None or not connection.is_account_mode:
        return None
    return {"table": host_mapping.hosts_table(connection.org_id, connection), "AUTO": host_mapping.AUTO,
            "NONE": host_mapping.NONE}  # fmt: skip


def _card(**extra):
    """Render the Zoom card: alone for HTMX, inside the Integrations page otherwise."""
    return render_page_or_fragment(
        "settings/integrations.html", "partials/_integration_card.html", **page_context(**extra)
    )


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
    """Send the admin to Zoom's consent page (state and PKCE verifier kept server-side). "Connect for the
    whole Zoom account" asks for the admin scopes; "my Zoom user only" for the app's own (no `scope`)."""
    scope = {"scope": " ".join(ACCOUNT_SCOPES)} if request.form.get("mode") == "account" else {}
    try:
        response = zoom_oauth().authorize_redirect(redirect_uri(), **scope)
    except RedisError:
        return _back(gettext(NOT_STARTED), "error")
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
            return _back(gettext(DECLINED), "error")
        if exc.error == "mismatching_state":
            return _back(gettext(BAD_STATE), "error")
        log.warning("zoom_connect exchange refused: %s", exc.error)
        return _back(exchange_failed(f" ({exc.error})"), "error")
    except (requests.RequestException, ValueError, KeyError, RedisError) as exc:
        log.warning("zoom_connect exchange failed: %s", type(exc).__name__)
        return _back(exchange_failed(" (" + gettext("Zoom could not be reached") + ")"), "error")
    if not token.get("access_token") or not token.get("refresh_token"):
        return _back(exchange_failed(" (" + gettext("its answer had no tokens") + ")"), "error")
    try:
        profile = fetch_profile(token["access_token"])
    except ZoomError as exc:
        return _back(
            exchange_failed(": " + gettext("reading the Zoom account failed — %(why)s", why=exc.message)),
            "error",
        )
    previous = zoom_connection_for(current_user.org_id, live_only=False)
    previous_account = previous.zoom_account_id if previous else None
    connection = store_connection(current_user.org_id, current_user, token, profile)
    db.session.commit()
    cleanup.after_connect(current_user.org_id)  # leftovers in Zoom from before, listed on the card
    matched = host_mapping.after_connect(current_user.org_id, previous_account, current_user)
    # Every upcoming appointment the rule covers gets its meeting (hosts are matched first).
    reached = replan.apply_rule(current_user.org_id)
    if not connection.is_account_mode:
        return _back(
            gettext("Connected as %(email)s.", email=connection.zoom_email) + _reached(reached), "success"
        )
    flash(
        gettext(
            "Connected as %(email)s for the whole Zoom account: each team member's meetings are hosted by "
            "their own Zoom user.",
            email=connection.zoom_email,
        )
        + _reached(reached),
        "success",
    )
    return _back(matched.message, "success" if matched.ok else "warning")


def _reached(marked: list[int]) -> str:
    if not marked:
        return ""
    return " " + ngettext(
        "%(num)d upcoming appointment is getting its Zoom meeting.",
        "%(num)d upcoming appointments are getting their Zoom meeting.",
        len(marked),
    )


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
