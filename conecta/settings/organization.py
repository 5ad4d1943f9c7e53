"""Settings → Organization (admins): how clients reach the clinic -- the phone, email and address every
client email and the portal show -- and until when clients may cancel in the portal."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from wtforms import EmailField, IntegerField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, Regexp

from conecta.auth.permissions import admin_required
from conecta.extensions import db
from conecta.forms import Form
from conecta.models import Organization
from conecta.portal.cancellation import MAX_CUTOFF_HOURS, MIN_CUTOFF_HOURS
from conecta.settings import bp
from conecta.validators import plain_text, single_line, strip


class OrganizationForm(Form):
    contact_phone = StringField(
        lazy_gettext("Phone"),
        filters=[strip],
        validators=[
            Length(max=50),
            single_line,
            Regexp(r"^[0-9+().\- ]*$", message=lazy_gettext("Use digits, spaces and + ( ) - only.")),
        ],
    )
    contact_email = EmailField(
        lazy_gettext("Email"),
        filters=[strip],
        validators=[Optional(), Email(test_environment=True), Length(max=254)],
    )
    contact_address = TextAreaField(
        lazy_gettext("Address"), filters=[strip], validators=[Length(max=500), plain_text]
    )
    portal_cancel_cutoff_hours = IntegerField(
        lazy_gettext("Clients may cancel in the portal until this many hours before the appointment"),
        validators=[
            InputRequired(lazy_gettext("Give the number of hours.")),
            NumberRange(
                MIN_CUTOFF_HOURS,
                MAX_CUTOFF_HOURS,
                lazy_gettext(
                    "Choose between %(min)d and %(max)d hours.", min=MIN_CUTOFF_HOURS, max=MAX_CUTOFF_HOURS
                ),
            ),
        ],
    )

    def apply_to(self, org: Organization) -> None:
        org.contact_phone = self.contact_phone.data or ""
        org.contact_email = (self.contact_email.data or "").lower()
        org.contact_address = self.contact_address.data or ""
        org.portal_cancel_cutoff_hours = self.portal_cancel_cutoff_hours.data


@bp.route("/organization", methods=["GET", "POST"])
@admin_required
def organization():
    org = current_user.org
    form = OrganizationForm(obj=org if request.method == "GET" else None)
    if form.validate_on_submit():
        form.apply_to(org)
        db.session.commit()
        flash(gettext("The organization's contact details and portal settings are saved."))
        return redirect(url_for("settings.organization"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("settings/organization.html", form=form, active_tab="organization"), status
