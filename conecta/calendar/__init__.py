"""The Calendar page: the week or day of an organization, and the event drawer."""

from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

from conecta.calendar import views  # noqa: E402,F401
