"""Staff and admin sign-in; the login manager that loads staff and portal clients alike."""

from __future__ import annotations

import hmac
from functools import cache

from flask import Blueprint, redirect, request, url_for
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from conecta.extensions import db, login_manager

bp = Blueprint("auth", __name__)


@cache
def _signed_in_query(model: type) -> Select:
    """The person with the organization in the same query: nearly every page reads it (its time zone,
    its name). Built once per model: every request runs it, and a statement built afresh pays for its
    cache key again each time."""
    return select(model).options(joinedload(model.org)).where(model.id == bindparam("id"))


@login_manager.user_loader
def load_user(session_id: str):
    """The person a session cookie names (`kind:id:version`, see conecta/models/sessions.py), if that
    session still stands: same session version, and for staff still active."""
    from conecta.models import Client, User
    from conecta.models.types import database_id

    kind, _, rest = session_id.partition(":")
    raw_id, _, version = rest.partition(":")
    model = {"user": User, "client": Client}.get(kind)
    number = database_id(raw_id)
    if model is None or number is None or not version:
        return None
    who = db.session.execute(_signed_in_query(model), {"id": number}).scalar_one_or_none()
    if who is None or not hmac.compare_digest(who.session_version.encode(), version.encode()):
        return None
    if kind == "user" and not who.active:
        return None
    return who


@login_manager.unauthorized_handler
def unauthorized():
    endpoint = "portal.login" if request.blueprint == "portal" else "auth.login"
    target = url_for(endpoint, next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request") == "true":
        # An expired session inside an HTMX swap: send the whole page to sign-in.
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


from conecta.auth import account_views, views  # noqa: E402,F401  (routes register on bp)
