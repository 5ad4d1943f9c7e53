"""Client views: the searchable list, add and edit, the client's page and its portal invite link."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user

from conecta.auth import throttle
from conecta.auth.permissions import same_org_or_404, staff_required
from conecta.clients import bp
from conecta.clients.directory import ClientError, save_client, search_clients
from conecta.clients.forms import ClientForm
from conecta.clients.record import client_appointments
from conecta.extensions import db, htmx
from conecta.models import Client
from conecta.models.types import utcnow
from conecta.portal.views import make_invite_token
from conecta.preferences import chosen
from conecta.read_only import reads_only
from conecta.templating import fmt_datetime
from conecta.web import absolute_url, add_form_errors, form_values, render_page_or_fragment


def _client_or_404(client_id: int) -> Client:
    return same_org_or_404(db.session.get(Client, client_id))


@bp.route("/")
@staff_required
@reads_only
def index():
    """The client list; the search box asks this same URL for just the rows as you type."""
    query = request.args.get("q", "").strip()
    clients = search_clients(db.session, current_user.org_id, query)
    return render_page_or_fragment("clients/index.html", "clients/_rows.html", clients=clients, query=query)


def _save(form: ClientForm, client: Client) -> bool:
    """Validate and save; on failure the messages are on the form's fields."""
    if not form.validate_on_submit():
        return False
    try:
        save_client(db.session, client, **form_values(form, "name", "email", "phone", "notes"))
        client.language = chosen(form.language.data)
        client.timezone = chosen(form.timezone.data)
    except ClientError as exc:
        add_form_errors(form, exc.errors)
        return False
    db.session.commit()
    return True


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    form = ClientForm()
    client = Client(org_id=current_user.org_id)
    if _save(form, client):
        flash(gettext("%(name)s is added.", name=client.name))
        return redirect(url_for("clients.detail", client_id=client.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("clients/form.html", form=form, client=None), status


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(client_id: int):
    client = _client_or_404(client_id)
    form = ClientForm(obj=client)
    if _save(form, client):
        flash(gettext("%(name)s is saved.", name=client.name))
        return redirect(url_for("clients.detail", client_id=client.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("clients/form.html", form=form, client=_client_or_404(client_id)), status


def _invite_session_key(client: Client) -> str:
    return f"invite-link-{client.id}"


@bp.route("/<int:client_id>")
@staff_required
def detail(client_id: int):
    client = _client_or_404(client_id)
    # A link created by a plain (non-HTMX) POST is shown once, after its 303 redirect.
    invite = session.pop(_invite_session_key(client), None)
    return render_template(
        "clients/detail.html", client=client, invite=invite, bookings=client_appointments(db.session, client)
    )


@bp.route("/<int:client_id>/appointments")
@staff_required
def appointments(client_id: int):
    """The record's appointments alone: the section asks for it again when a booking is saved."""
    client = _client_or_404(client_id)
    return render_template(
        "clients/_appointments.html", client=client, bookings=client_appointments(db.session, client)
    )


@bp.route("/<int:client_id>/invite", methods=["POST"])
@staff_required
@throttle.sends_invite
def invite(client_id: int):
    """A signed link that lets the client set their portal password; staff copy it to the client."""
    client = _client_or_404(client_id)
    max_age = current_app.config["PORTAL_INVITE_MAX_AGE"]
    invite = {
        "url": absolute_url("portal.accept_invite", token=make_invite_token(client)),
        "expires": fmt_datetime(utcnow() + timedelta(seconds=max_age), client.org.timezone),
    }
    if htmx:
        return render_template("clients/_invite_link.html", client=client, invite=invite)
    session[_invite_session_key(client)] = invite
    return redirect(url_for("clients.detail", client_id=client.id), code=303)


@bp.route("/<int:client_id>/sign-out", methods=["POST"])
@staff_required
def sign_out(client_id: int):
    """Sign out everywhere: every portal session of the client ends."""
    client = _client_or_404(client_id)
    client.end_sessions()
    db.session.commit()
    flash(gettext("%(name)s is signed out of the portal everywhere.", name=client.name))
    return redirect(url_for("clients.detail", client_id=client.id), code=303)
