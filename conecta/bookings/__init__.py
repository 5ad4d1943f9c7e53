"""The booking modal: create, view, edit and cancel appointments."""

from flask import Blueprint

bp = Blueprint("bookings", __name__, url_prefix="/bookings")

from conecta.bookings import views, zoom_change_views, zoom_views  # noqa: E402,F401
from conecta.groups import views as group_views  # noqa: E402,F401
