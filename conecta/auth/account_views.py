"""Staff password routes: Forgot password, the password link (invite or reset), Your account."""

from __future__ import annotations

from flask import url_for

from conecta.auth import bp, password_flows, throttle
from conecta.auth.permissions import staff_required


@bp.route("/password/forgot", methods=["GET", "POST"])
@throttle.password_reset
def forgot_password():
    return password_flows.forgot("user", portal=False)


@bp.route("/password/<token>", methods=["GET", "POST"])
@throttle.invite_link
def set_password(token: str):
    return password_flows.set_from_link(token, "user", portal=False, home=url_for("calendar.index"))


@bp.route("/account", methods=["GET", "POST"])
@staff_required
@throttle.change_password
def account():
    return password_flows.change(portal=False, here=url_for("auth.account"))
