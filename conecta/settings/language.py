"""Settings → Language: each staff member's own UI language, and (admins) the organization's default,
which staff and clients who chose none follow."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user

from conecta.auth.permissions import admin_required, staff_required
from conecta.extensions import db
from conecta.preferences import OrgLanguageForm, StaffLanguageForm, chosen
from conecta.settings import bp


def _page(status: int = 200, mine: StaffLanguageForm | None = None, org: OrgLanguageForm | None = None):
    mine = mine or StaffLanguageForm(obj=current_user, prefix="mine")
    org = org or OrgLanguageForm(obj=current_user.org, prefix="org")
    return render_template("settings/language.html", mine=mine, org_form=org, active_tab="language"), status


@bp.route("/language", methods=["GET", "POST"])
@staff_required
def language():
    """GET shows both forms; POST saves the signed-in person's own language."""
    if request.method == "GET":
        return _page()
    form = StaffLanguageForm(prefix="mine")
    if not form.validate_on_submit():
        return _page(422, mine=form)
    current_user.language = chosen(form.language.data)
    db.session.commit()
    with force_locale(current_user.locale):  # said in the language just chosen
        flash(gettext("Your language is saved."))
    return redirect(url_for("settings.language"), code=303)


@bp.route("/language/organization", methods=["POST"])
@admin_required
def org_language():
    form = OrgLanguageForm(prefix="org")
    if not form.validate_on_submit():
        return _page(422, org=form)
    current_user.org.language = form.language.data
    db.session.commit()
    with force_locale(current_user.locale):
        flash(gettext("The organization's default language is saved."))
    return redirect(url_for("settings.language"), code=303)


@bp.route("/team/<int:user_id>/language", methods=["POST"])
@admin_required
def team_language(user_id: int):
    """An admin sets a team member's UI language (Settings → Team), e.g. for someone not signed in yet."""
    from conecta.settings.views import _member_or_404, _team_page

    member = _member_or_404(user_id)
    form = StaffLanguageForm()
    if not form.validate_on_submit():
        return _team_page(error=gettext("Choose a language."), status=422)
    member.language = chosen(form.language.data)
    db.session.commit()
    flash(gettext("%(name)s's language is saved.", name=member.name))
    return redirect(url_for("settings.team"), code=303)
