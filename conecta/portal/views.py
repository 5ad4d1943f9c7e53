"""Portal views: sign-in, invite (and password reset) links, the client's bookings."""

from __future__ import annotations

from functools import cache

from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from conecta.auth import links, password_flows, throttle
from conecta.auth.forms import LoginForm
from conecta.auth.passwords import verify_password
from conecta.auth.permissions import client_required
from conecta.auth.views import safe_next, sign_in, wrong_credentials
from conecta.bookings.access import get_appointment_for
from conecta.clinic import org_for_sign_in
from conecta.extensions import db
from conecta.groups.portal import booked_for
from conecta.models import Appointment, Client
from conecta.models.types import utcnow
from conecta.portal import bp, cancellation, listing
from conecta.preferences import ReaderForm, chosen
from conecta.read_only import reads_only

INVITE_SALT = links.SALT  # one mechanism for every password link (conecta.auth.links)


def make_invite_token(client: Client) -> str:
    """A signed, expiring, single-use invite for `client` (conecta.auth.links)."""
    return links.make_token(client, links.INVITE)


def load_invite(token: str) -> Client | None:
    """The client an invite or reset link names, while it is valid."""
    found = links.load_token(token, "client")
    return found[0] if found else None


@bp.route("/login", methods=["GET", "POST"])
@throttle.sign_in
def login():
    form = LoginForm()
    # The clinic whose name the page shows: named by the link the client followed (conecta.clinic).
    org = org_for_sign_in(request.args.get("clinic"), request.args.get("next"))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        # The same email may be a client of several organizations (the clinic of the link is tried
        # first); no client at all still costs a check.
        found = db.session.scalars(db.select(Client).filter_by(email=email).order_by(Client.id)).all()
        candidates = sorted(found, key=lambda c: org is None or c.org_id != org.id) or [None]
        password = form.password.data
        client = next((c for c in candidates if verify_password(c and c.password_hash, password)), None)
        if client is not None:
            sign_in(client)
            return redirect(safe_next(url_for("portal.index")), code=303)
        wrong_credentials(form)
    status = 422 if request.method == "POST" else 200
    org_name = org.name if org is not None else None
    return render_template("auth/login.html", form=form, portal=True, org_name=org_name), status


@bp.route("/invite/<token>", methods=["GET", "POST"])
@throttle.invite_link
def accept_invite(token: str):
    """A client's password link: an invite from staff, or a reset they asked for (conecta.auth.links)."""
    return password_flows.set_from_link(token, "client", portal=True, home=url_for("portal.index"))


@cache
def _bookings_query() -> Select:
    """A client's bookings with what the list shows of each. Built once: its cache key (a statement with
    subqueries) cost more than the rest of building it, and every portal visit runs it."""
    return (
        select(Appointment)
        .options(joinedload(Appointment.service), joinedload(Appointment.staff), joinedload(Appointment.zoom))
        .where(booked_for(bindparam("client_id")), Appointment.org_id == bindparam("org_id"))
        .order_by(Appointment.starts_at, Appointment.id)
    )


@bp.route("/")
@client_required
@reads_only
def index():
    """The signed-in client's bookings: upcoming (soonest first, ongoing included) and past (latest first)."""
    bookings = db.session.scalars(
        _bookings_query(), {"client_id": current_user.id, "org_id": current_user.org_id}
    ).all()
    upcoming, past = listing.split(list(bookings))
    return render_template("portal/index.html", client=current_user, upcoming=upcoming, past=past)


@bp.route("/bookings/<int:appointment_id>")
@client_required
@reads_only
def booking(appointment_id: int):
    """One booking of the signed-in client; anyone else's is 404, exactly like one that never existed."""
    appointment = get_appointment_for(current_user, appointment_id)
    return render_template("portal/booking.html", **booking_context(appointment))


def booking_context(appointment: Appointment) -> dict:
    """The booking page's context: the booking, and whether (until when) it may still be cancelled."""
    now = utcnow()
    return {
        "appointment": appointment,
        "viewer": "client",
        "refusal": cancellation.refusal(appointment, now),
        "upcoming": appointment.ends_at > now,
        "cancel_deadline": cancellation.deadline(appointment),
        "clinic": appointment.org,
    }


@bp.route("/preferences", methods=["GET", "POST"])
@client_required
def preferences():
    """The client's own language and time zone: the portal, and every email after this, follow them."""
    client = current_user
    form = ReaderForm(obj=client)
    if form.validate_on_submit():
        client.language = chosen(form.language.data)
        client.timezone = chosen(form.timezone.data)
        db.session.commit()
        # Said in the language just chosen: this response is the first one to read it.
        with force_locale(client.locale):
            flash(gettext("Your language and time zone are saved."))
        return redirect(url_for("portal.index"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("portal/preferences.html", form=form), status
