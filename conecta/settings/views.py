"""Settings views: Team (admins only) and Calendar → Events (admins edit, staff read).

Integrations live in `conecta/settings/integrations.py`; the tab bar links there when it is registered.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from conecta.auth.permissions import admin_required, same_org_or_404, staff_required
from conecta.extensions import db, htmx
from conecta.models import Service, User
from conecta.settings import bp
from conecta.settings.forms import AddMemberForm, RoleForm, ServiceForm
from conecta.settings.team import TeamError, add_member, change_role, set_active


@bp.route("/")
@staff_required
def index():
    """Admins land on Team; staff, who cannot manage the team, on the read-only Events list."""
    if current_user.is_admin:
        return redirect(url_for("settings.team"))
    return redirect(url_for("settings.events"))


def _confirm(title: str, message: str, action_url: str, confirm_label: str, cancel_url: str, tab: str):
    """A server-rendered question before a destructive action: a modal for HTMX, a page otherwise."""
    context = dict(
        title=title,
        message=message,
        action_url=action_url,
        confirm_label=confirm_label,
        cancel_url=cancel_url,
        active_tab=tab,
    )
    if htmx and not htmx.history_restore_request:
        return render_template("settings/_confirm.html", **context)
    return render_template("settings/confirm.html", **context)


# --- Team -------------------------------------------------------------------------------------------


def _member_or_404(user_id: int) -> User:
    return same_org_or_404(db.session.get(User, user_id))


def _team_page(form: AddMemberForm | None = None, error: str | None = None, status: int = 200):
    members = db.session.scalars(
        db.select(User)
        .where(User.org_id == current_user.org_id)
        .order_by(User.active.desc(), User.name, User.id)
    ).all()
    return (
        render_template(
            "settings/team.html",
            members=members,
            form=form or AddMemberForm(formdata=None),
            error=error,
            active_tab="team",
        ),
        status,
    )


@bp.route("/team", methods=["GET", "POST"])
@admin_required
def team():
    """The team list; POST adds a staff member or admin with an initial password."""
    if request.method == "GET":
        return _team_page()
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            member = add_member(
                db.session,
                current_user.org,
                name=form.name.data,
                email=form.email.data,
                role=form.role.data,
                password=form.password.data,
            )
        except TeamError as exc:
            for name, message in exc.errors.items():
                form[name].errors = [*form[name].errors, message]
        else:
            db.session.commit()
            flash(f"{member.name} can now sign in as {member.role} with {member.email}.")
            return redirect(url_for("settings.team"), code=303)
    return _team_page(form=form, status=422)


@bp.route("/team/<int:user_id>/role", methods=["POST"])
@admin_required
def team_role(user_id: int):
    member = _member_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _team_page(error="Choose admin or staff.", status=422)
    try:
        change_role(db.session, member, form.role.data)
    except TeamError as exc:
        db.session.rollback()
        return _team_page(error=" ".join(exc.errors.values()), status=422)
    db.session.commit()
    flash(f"{member.name} is now {member.role}.")
    return redirect(url_for("settings.team"), code=303)


@bp.route("/team/<int:user_id>/deactivate", methods=["GET", "POST"])
@admin_required
def team_deactivate(user_id: int):
    """GET asks first; POST deactivates (the person can no longer sign in; their bookings stay)."""
    member = _member_or_404(user_id)
    if request.method == "GET":
        return _confirm(
            title=f"Deactivate {member.name}?",
            message=(
                f"{member.name} will no longer be able to sign in. Their appointments stay on the "
                "calendar. You can reactivate them at any time."
            ),
            action_url=url_for("settings.team_deactivate", user_id=member.id),
            confirm_label="Deactivate",
            cancel_url=url_for("settings.team"),
            tab="team",
        )
    try:
        set_active(db.session, member, False)
    except TeamError as exc:
        db.session.rollback()
        return _team_page(error=" ".join(exc.errors.values()), status=422)
    db.session.commit()
    flash(f"{member.name} is deactivated.")
    return redirect(url_for("settings.team"), code=303)


@bp.route("/team/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def team_reactivate(user_id: int):
    member = _member_or_404(user_id)
    set_active(db.session, member, True)
    db.session.commit()
    flash(f"{member.name} can sign in again.")
    return redirect(url_for("settings.team"), code=303)


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


def _event_form_page(form: ServiceForm, service: Service | None, status: int = 200):
    return (
        render_template("settings/event_form.html", form=form, service=service, active_tab="calendar"),
        status,
    )


@bp.route("/calendar/events/new", methods=["GET", "POST"])
@admin_required
def event_new():
    form = ServiceForm(org=current_user.org)
    if form.validate_on_submit():
        service = form.apply_to(Service(org_id=current_user.org_id))
        db.session.add(service)
        db.session.commit()
        flash(f"{service.name} is created.")
        return redirect(url_for("settings.events"), code=303)
    return _event_form_page(form, None, 422 if request.method == "POST" else 200)


@bp.route("/calendar/events/<int:service_id>/edit", methods=["GET", "POST"])
@admin_required
def event_edit(service_id: int):
    service = _service_or_404(service_id)
    form = ServiceForm(obj=service, org=current_user.org)
    if form.validate_on_submit():
        form.apply_to(service)
        db.session.commit()
        flash(f"{service.name} is saved.")
        return redirect(url_for("settings.events"), code=303)
    return _event_form_page(form, service, 422 if request.method == "POST" else 200)


@bp.route("/calendar/events/<int:service_id>/deactivate", methods=["GET", "POST"])
@admin_required
def event_deactivate(service_id: int):
    """GET asks first; POST stops new bookings of the service (existing appointments stay)."""
    service = _service_or_404(service_id)
    if request.method == "GET":
        return _confirm(
            title=f"Deactivate {service.name}?",
            message=(
                f"New appointments can no longer be booked for {service.name}. Existing appointments "
                "stay as they are. You can reactivate it at any time."
            ),
            action_url=url_for("settings.event_deactivate", service_id=service.id),
            confirm_label="Deactivate",
            cancel_url=url_for("settings.events"),
            tab="calendar",
        )
    service.active = False
    db.session.commit()
    flash(f"{service.name} is deactivated.")
    return redirect(url_for("settings.events"), code=303)


@bp.route("/calendar/events/<int:service_id>/reactivate", methods=["POST"])
@admin_required
def event_reactivate(service_id: int):
    service = _service_or_404(service_id)
    service.active = True
    db.session.commit()
    flash(f"{service.name} can be booked again.")
    return redirect(url_for("settings.events"), code=303)
