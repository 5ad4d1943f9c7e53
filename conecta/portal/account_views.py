"""Portal password routes: Forgot password and Your account (the link itself opens /portal/invite/…)."""

from __future__ import annotations

from flask import url_for

from conecta.auth import password_flows, throttle
from conecta.auth.permissions import client_required
from conecta.portal import bp


@bp.route("/password/forgot", methods=["GET", "POST"])
@throttle.password_reset
def forgot_password():
    return password_flows.forgot("client", portal=True)


@bp.route("/account", methods=["GET", "POST"])
@client_required
@throttle.change_password
def account():
    return password_flows.change(portal=True, here=url_for("portal.account"))
