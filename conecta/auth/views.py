"""Staff and admin sign-in and sign-out (portal clients sign out here too)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from conecta.auth import bp, throttle
from conecta.auth.forms import LoginForm
from conecta.auth.passwords import verify_password
from conecta.extensions import db
from conecta.models import User
from conecta.models.sessions import SessionHolder


def safe_next(default: str) -> str:
    """Only same-site relative paths are followed after sign-in: no other host (`//x`, `/\\x`, which
    browsers read as `//x`), no scheme, and no control characters (they could split a header)."""
    target = request.args.get("next") or ""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target) or "\\" in target:
        return default
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme:
        return target
    return default


def sign_in(who: SessionHolder) -> None:
    """Start a session that lasts PERMANENT_SESSION_LIFETIME past the last request, at most."""
    login_user(who)
    session.permanent = True


def wrong_credentials(form: LoginForm) -> None:
    form.email.errors = [*form.email.errors, gettext("Email or password is incorrect.")]


@bp.route("/")
def index():
    if current_user.is_authenticated:
        if current_user.kind == "client":
            return redirect(url_for("portal.index"))
        return redirect(url_for("calendar.index"))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@throttle.sign_in
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(db.select(User).filter_by(email=form.email.data.strip().lower()))
        # The password is checked even for an unknown or deactivated account (same cost either way).
        if verify_password(user.password_hash if user else None, form.password.data) and user.active:
            sign_in(user)
            return redirect(safe_next(url_for("calendar.index")), code=303)
        wrong_credentials(form)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Signing out ends every session of the person, so a copied cookie is dead too."""
    portal = current_user.is_authenticated and current_user.kind == "client"
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    flash(gettext("You are signed out."))
    return redirect(url_for("portal.login" if portal else "auth.login"), code=303)
