"""The client portal: a client's own bookings, behind its own sign-in."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from conecta.portal import account_views, cancel_views, views, zoom_views  # noqa: E402,F401
