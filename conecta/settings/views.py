"""Settings views: Team (admins only) and Calendar → Events (admins edit, staff read).

Integrations live in `conecta/settings/integrations.py`, Emails in `conecta/settings/emails.py`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from conecta.auth import throttle
from conecta.auth.passwords import is_invited
from conecta.auth.permissions import admin_required, same_org_or_404, staff_required
from conecta.extensions import db
from conecta.mail import password_mail
from conecta.models import Service, User
from conecta.models.email import EmailKind
from conecta.settings import bp
from conecta.settings.forms import AddMemberForm, RoleForm, ServiceForm, StaffColorForm
from conecta.settings.team import TeamError, add_member, change_role, set_active
from conecta.web import add_form_errors, form_values, render_page_or_fragment
from conecta.zoom import meeting_settings, replan


@bp.route("/")
@staff_required
def index():
    """Admins land on Team; staff, who cannot manage the team, on the read-only Events list."""
    if current_user.is_admin:
        return redirect(url_for("settings.team"))
    return redirect(url_for("settings.events"))


def _deactivation(name: str, consequence: str, back_endpoint: str, deactivate: Callable[[], Response]):
    """GET asks first, with a server-rendered question (a modal for htmx, a page otherwise) that posts
    back to this same URL; POST runs `deactivate`."""
    if request.method == "POST":
        return deactivate()
    return render_page_or_fragment(
        "settings/confirm.html",
        "settings/_confirm.html",
        title=gettext("Deactivate %(name)s?", name=name),
        message=consequence,
        action_url=request.path,
        confirm_label=gettext("Deactivate"),
        cancel_url=url_for(back_endpoint),
        active_tab="team" if back_endpoint == "settings.team" else "calendar",
    )


def role_name(role: str) -> str:
    """A role as a sentence says it ("… is now admin"), in the reader's language."""
    return gettext("admin") if role == "admin" else gettext("staff")


def _done(message: str, endpoint: str) -> Response:
    """Commit the change, say so, and go back to the list (303)."""
    db.session.commit()
    flash(message)
    return redirect(url_for(endpoint), code=303)


# --- Team -------------------------------------------------------------------------------------------


def _member_or_404(user_id: int) -> User:
    return same_org_or_404(db.session.get(User, user_id))


def _team_page(form: AddMemberForm | None = None, error: str | None = None, status: int = 200):
    members = db.session.scalars(
        db.select(User)
        .where(User.org_id == current_user.org_id)
        .order_by(User.active.desc(), User.name, User.id)
    ).all()
    form = form or AddMemberForm(formdata=None)
    html = render_template(
        "settings/team.html",
        members=members,
        form=form,
        error=error,
        active_tab="team",
        is_invited=is_invited,
    )
    return html, status


def _team_change(change: Callable[[], User], done: Callable[[User], str]):
    """Apply a Team rule; a refusal re-renders the list with its message (422), nothing saved."""
    try:
        member = change()
    except TeamError as exc:
        db.session.rollback()
        return _team_page(error=" ".join(exc.errors.values()), status=422)
    return _done(done(member), "settings.team")


@bp.route("/team", methods=["GET", "POST"])
@admin_required
def team():
    """The team list; POST adds a staff member or admin and emails them an invite to set their password."""
    if request.method == "GET":
        return _team_page()
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            member = add_member(db.session, current_user.org, **form_values(form, "name", "email", "role"))
        except TeamError as exc:
            add_form_errors(form, exc.errors)
        else:
            db.session.commit()
            password_mail.queue(member, EmailKind.STAFF_INVITE)
            return _done(
                gettext(
                    "%(name)s is added as %(role)s: an invite to set their password is on its way to %(email)s.",
                    name=member.name,
                    role=role_name(member.role),
                    email=member.email,
                ),
                "settings.team",
            )
    return _team_page(form=form, status=422)


@bp.route("/team/<int:user_id>/invite", methods=["POST"])
@admin_required
@throttle.sends_staff_invite
def team_invite(user_id: int):
    """Send the invite again (a new link; the older ones keep working until one of them is used)."""
    member = _member_or_404(user_id)
    if not member.active or not is_invited(member.password_hash):
        return _team_page(error=gettext("%(name)s already has a password.", name=member.name), status=422)
    password_mail.queue(member, EmailKind.STAFF_INVITE)
    return _done(gettext("A new invite is on its way to %(email)s.", email=member.email), "settings.team")


@bp.route("/team/<int:user_id>/role", methods=["POST"])
@admin_required
def team_role(user_id: int):
    member = _member_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _team_page(error=gettext("Choose admin or staff."), status=422)
    return _team_change(
        lambda: change_role(db.session, member, form.role.data),
        lambda m: gettext("%(name)s is now %(role)s.", name=m.name, role=role_name(m.role)),
    )


@bp.route("/team/<int:user_id>/color", methods=["POST"])
@admin_required
def team_color(user_id: int):
    """The member's colour on the calendar, chosen by an admin (any colour reads: events are a light tint
    of it under dark text)."""
    member = _member_or_404(user_id)
    form = StaffColorForm()
    if not form.validate_on_submit():
        return _team_page(error="Pick a colour like #2563eb.", status=422)
    member.color = form.color.data.lower()
    return _done(gettext("%(name)s's calendar colour is saved.", name=member.name), "settings.team")


@bp.route("/team/<int:user_id>/deactivate", methods=["GET", "POST"])
@admin_required
def team_deactivate(user_id: int):
    """GET asks first; POST deactivates (the person can no longer sign in; their bookings stay)."""
    member = _member_or_404(user_id)
    return _deactivation(
        member.name,
        gettext(
            "%(name)s will no longer be able to sign in. Their appointments stay on the calendar. "
            "You can reactivate them at any time.",
            name=member.name,
        ),
        "settings.team",
        lambda: _team_change(
            lambda: set_active(db.session, member, False),
            lambda m: gettext("%(name)s is deactivated.", name=m.name),
        ),
    )


@bp.route("/team/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def team_reactivate(user_id: int):
    member = _member_or_404(user_id)
    return _team_change(
        lambda: set_active(db.session, member, True),
        lambda m: gettext("%(name)s can sign in again.", name=m.name),
    )


@bp.route("/team/<int:user_id>/sign-out", methods=["POST"])
@admin_required
def team_sign_out(user_id: int):
    """Sign out everywhere: every session of the member ends (a lost laptop, a shared computer)."""
    member = _member_or_404(user_id)
    member.end_sessions()
    return _done(gettext("%(name)s is signed out everywhere.", name=member.name), "settings.team")


# --- Calendar → Events (services) -------------------------------------------------------------------


def _service_or_404(service_id: int) -> Service:
    return same_org_or_404(db.session.get(Service, service_id))


@bp.route("/calendar/events")
@staff_required
def events():
    """Every service of the organization; staff see it read-only."""
    services = db.session.scalars(
        db.select(Service)
        .where(Service.org_id == current_user.org_id)
        .order_by(Service.active.desc(), Service.name, Service.id)
    ).all()
    return render_template(
        "settings/events.html", services=services, can_edit=current_user.is_admin, active_tab="calendar"
    )


def _event_form(service: Service | None):
    """The service form, new or edit: saved with a 303 to the list, or re-rendered with its messages.
    Switching "Auto-create Zoom meeting" on for a service with upcoming appointments asks first."""
    form = ServiceForm(obj=service, org=current_user.org)
    switch_on_count = 0
    if form.validate_on_submit():
        turning_on = service is not None and form.zoom_auto_create.data and not service.zoom_auto_create
        if turning_on and not request.form.get("confirm_zoom"):
            switch_on_count = len(replan.to_create(service.org_id, service_id=service.id, auto_create=True))
        if not switch_on_count:
            return _save_event(form, service, turning_on)
    status = 422 if request.method == "POST" and not switch_on_count else 200
    html = render_template(
        "settings/event_form.html",
        form=form,
        service=service,
        switch_on_count=switch_on_count,
        active_tab="calendar",
    )
    return html, status


def _save_event(form: ServiceForm, service: Service | None, turning_on: bool) -> Response:
    settings_before = meeting_settings.requested(service) if service else None
    saved = form.apply_to(service or Service(org_id=current_user.org_id))
    db.session.add(saved)
    # Switched on: its upcoming appointments get their meetings (the switch and the marks commit together).
    reached = replan.switch_on(saved, current_user) if turning_on else []
    db.session.commit()
    message = (
        gettext("%(name)s is saved.", name=saved.name)
        if service
        else gettext("%(name)s is created.", name=saved.name)
    )
    if reached:
        message += f" {switched_on_message(len(reached))}"
    # A settings change reaches the service's upcoming meetings, through the booking pipeline.
    changed = settings_before is not None and meeting_settings.requested(saved) != settings_before
    if changed and (updating := replan.replan_service(saved)):
        message += " " + gettext("%(num)d upcoming Zoom meeting(s) get the new settings.", num=len(updating))
    return _done(message, "settings.events")


def switched_on_message(count: int) -> str:
    return ngettext(
        "%(num)d upcoming appointment is getting a Zoom meeting; each client is emailed the link.",
        "%(num)d upcoming appointments are getting a Zoom meeting; each client is emailed the link.",
        count,
    )


@bp.route("/calendar/events/new", methods=["GET", "POST"])
@admin_required
def event_new():
    return _event_form(None)


@bp.route("/calendar/events/<int:service_id>/edit", methods=["GET", "POST"])
@admin_required
def event_edit(service_id: int):
    return _event_form(_service_or_404(service_id))


@bp.route("/calendar/events/<int:service_id>/deactivate", methods=["GET", "POST"])
@admin_required
def event_deactivate(service_id: int):
    """GET asks first; POST stops new bookings of the service (existing appointments stay)."""
    service = _service_or_404(service_id)

    def deactivate() -> Response:
        service.active = False
        return _done(gettext("%(name)s is deactivated.", name=service.name), "settings.events")

    return _deactivation(
        service.name,
        gettext(
            "New appointments can no longer be booked for %(name)s. Existing appointments stay as "
            "they are. You can reactivate it at any time.",
            name=service.name,
        ),
        "settings.events",
        deactivate,
    )


@bp.route("/calendar/events/<int:service_id>/reactivate", methods=["POST"])
@admin_required
def event_reactivate(service_id: int):
    service = _service_or_404(service_id)
    service.active = True
    return _done(gettext("%(name)s can be booked again.", name=service.name), "settings.events")
