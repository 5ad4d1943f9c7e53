"""The Dev mailbox (development only): what the mail catcher caught, so the demo shows real emails.

Registered only when CONECTA_ENV is "development" (`conecta.mail.init_app`). The HTML part is shown
in a sandboxed iframe (`srcdoc`, no scripts, no same-origin), never inlined into our page.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from conecta.auth.permissions import staff_required
from conecta.mail.catcher import list_messages, mailbox_dir, read_message
from conecta.web import render_page_or_fragment

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.route("/mailbox")
@staff_required
def mailbox():
    messages = list_messages(mailbox_dir())
    return render_page_or_fragment("dev/mailbox.html", "partials/_dev_mailbox.html", messages=messages)


@bp.route("/mailbox/<name>")
@staff_required
def message(name: str):
    caught = read_message(mailbox_dir(), name) or abort(404)
    return render_template("dev/message.html", caught=caught)


@bp.route("/mailbox/<name>/attachments/<int:index>")
@staff_required
def attachment(name: str, index: int):
    caught = read_message(mailbox_dir(), name) or abort(404)
    found = caught.attachment(index) or abort(404)
    meta, payload = found
    response = Response(payload, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe_filename(meta.filename)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _safe_filename(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._-") or "attachment"
