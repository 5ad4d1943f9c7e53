"""Settings views."""

from __future__ import annotations

from flask import redirect, url_for

from conecta.auth.permissions import staff_required
from conecta.settings import bp


@bp.route("/")
@staff_required
def index():
    return redirect(url_for("settings.team"))


@bp.route("/team")
@staff_required
def team():
    from flask import render_template

    return render_template("settings/team.html")
