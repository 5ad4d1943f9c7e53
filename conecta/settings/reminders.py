"""Settings → Emails → Reminders (admins): whether clients get a reminder before their appointment, and
how many hours before. The rules live in `conecta.mail.reminders`; this is the small form."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from conecta.auth.permissions import admin_required
from conecta.extensions import db
from conecta.forms import Form
from conecta.mail.reminders import MAX_LEAD_HOURS, MIN_LEAD_HOURS
from conecta.models import Organization
from conecta.settings import bp
from conecta.web import fragment_or_redirect, render_page_or_fragment


class ReminderForm(Form):
    enabled = BooleanField(_l("Email clients a reminder before their appointment"))
    lead_hours = IntegerField(
        _l("Hours before the appointment"),
        validators=[
            InputRequired(_l("Give the number of hours.")),
            NumberRange(
                MIN_LEAD_HOURS,
                MAX_LEAD_HOURS,
                _l("Choose between %(low)d and %(high)d hours.", low=MIN_LEAD_HOURS, high=MAX_LEAD_HOURS),
            ),
        ],
    )


def reminder_form(org: Organization) -> ReminderForm:
    """The form as the organization has it now (for the Emails page)."""
    form = ReminderForm(formdata=None)
    form.enabled.data = org.reminders_enabled
    form.lead_hours.data = org.reminder_lead_hours
    return form


@bp.route("/emails/reminders", methods=["POST"])
@admin_required
def reminder_settings():
    form = ReminderForm()
    if not form.validate_on_submit():
        from conecta.settings.emails import outbox_context

        return render_page_or_fragment(
            "settings/emails.html",
            "settings/_reminder_form.html",
            422,
            active_tab="emails",
            reminder_form=form,
            **outbox_context(),
        )
    org = current_user.org
    org.reminders_enabled = bool(form.enabled.data)
    org.reminder_lead_hours = form.lead_hours.data
    db.session.commit()
    message = (
        gettext("Clients get a reminder %(num)d hours before their appointment.", num=org.reminder_lead_hours)
        if org.reminders_enabled
        else gettext("Clients get no reminders.")
    )
    return fragment_or_redirect(
        "settings/_reminder_form.html", url_for("settings.emails"), message, reminder_form=reminder_form(org)
    )
