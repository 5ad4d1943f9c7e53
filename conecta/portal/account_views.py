"""Portal password routes: Forgot password and Your account (the link itself opens /portal/invite/…)."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from conecta.auth import password_flows, throttle
from conecta.auth.permissions import client_required
from conecta.extensions import db
from conecta.models import Client
from conecta.portal import bp


def _clients_with_email(email: str) -> list[Client]:
    """Clients with this email who already use the portal (in any organization): a reset never grants
    portal access that staff have not offered with an invite."""
    query = select(Client).where(Client.email == email, Client.password_hash.is_not(None))
    return list(db.session.scalars(query))


@bp.route("/password/forgot", methods=["GET", "POST"])
@throttle.password_reset
def forgot_password():
    return password_flows.forgot(_clients_with_email, portal=True)


@bp.route("/account", methods=["GET", "POST"])
@client_required
@throttle.change_password
def account():
    return password_flows.change(portal=True, here=url_for("portal.account"))
