"""Staff and admin sign-in; the login manager that loads staff and portal clients alike."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from conecta.extensions import db, login_manager

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    from conecta.models import Client, User

    kind, _, raw_id = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    model = {"user": User, "client": Client}.get(kind)
    if model is None:
        return None
    who = db.session.get(model, int(raw_id))
    if who is None or (kind == "user" and not who.active):
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


from conecta.auth import views  # noqa: E402,F401  (routes register on bp)
