"""The Clients page: the people an organization books, and their portal invites."""

from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from conecta.clients import views  # noqa: E402,F401
