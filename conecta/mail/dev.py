"""The Dev mailbox (development only): what the mail catcher caught, so the demo shows real emails.

Registered only when CONECTA_ENV is "development" (`conecta.mail.init_app`). Each signed-in person sees
only their own organization's messages (every email carries its organization in a header). A message's
HTML is shown in a sandboxed frame loaded from its own URL, under its own Content-Security-Policy (no
script, nothing fetched, framed only by this site), never inlined into our page.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from conecta.auth.permissions import staff_required
from conecta.mail.catcher import CaughtMessage, list_messages, mailbox_dir, read_message
from conecta.mail.compose import ORG_HEADER
from conecta.web import render_page_or_fragment

bp = Blueprint("dev", __name__, url_prefix="/dev")

MESSAGE_HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
)


def _ours(message: CaughtMessage) -> bool:
    return message.message.get(ORG_HEADER, "") == str(current_user.org_id)


def _own_message_or_404(name: str) -> CaughtMessage:
    caught = read_message(mailbox_dir(), name)
    if caught is None or not _ours(caught):
        abort(404)
    return caught


@bp.route("/mailbox")
@staff_required
def mailbox():
    messages = [m for m in list_messages(mailbox_dir()) if _ours(m)]
    return render_page_or_fragment("dev/mailbox.html", "partials/_dev_mailbox.html", messages=messages)


@bp.route("/mailbox/<name>")
@staff_required
def message(name: str):
    return render_template("dev/message.html", caught=_own_message_or_404(name))


@bp.route("/mailbox/<name>/html")
@staff_required
def message_html(name: str):
    """The HTML part alone, for the message page's sandboxed frame."""
    html = _own_message_or_404(name).body("html") or abort(404)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MESSAGE_HTML_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/mailbox/<name>/attachments/<int:index>")
@staff_required
def attachment(name: str, index: int):
    found = _own_message_or_404(name).attachment(index) or abort(404)
    meta, payload = found
    response = Response(payload, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe_filename(meta.filename)}"'
    return response


def _safe_filename(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._-") or "attachment"
