"""Client views."""

from __future__ import annotations

from flask import render_template

from conecta.auth.permissions import staff_required
from conecta.clients import bp


@bp.route("/")
@staff_required
def index():
    return render_template("clients/index.html")
