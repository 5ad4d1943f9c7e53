"""Staff and admin sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from conecta.auth import bp
from conecta.auth.forms import LoginForm
from conecta.auth.passwords import verify_password
from conecta.extensions import db
from conecta.models import User


def safe_next(default: str) -> str:
    """Only same-site relative paths are followed after sign-in."""
    target = request.args.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


@bp.route("/")
def index():
    if current_user.is_authenticated:
        if current_user.kind == "client":
            return redirect(url_for("portal.index"))
        return redirect(url_for("calendar.index"))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(db.select(User).filter_by(email=form.email.data.strip().lower()))
        if user and user.active and verify_password(user.password_hash, form.password.data):
            login_user(user)
            return redirect(safe_next(url_for("calendar.index")), code=303)
        form.email.errors = [*form.email.errors, "Email or password is incorrect."]
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    portal = current_user.is_authenticated and current_user.kind == "client"
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("portal.login" if portal else "auth.login"), code=303)
