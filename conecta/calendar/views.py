"""Calendar views."""

from __future__ import annotations

from flask import render_template

from conecta.auth.permissions import staff_required
from conecta.calendar import bp


@bp.route("/")
@staff_required
def index():
    return render_template("calendar/index.html")
