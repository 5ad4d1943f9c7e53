"""The client form (add and edit)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from conecta.forms import Form
from conecta.preferences import language_field, zone_field
from conecta.validators import plain_text, single_line, strip


class ClientForm(Form):
    # `.test` addresses (demo and test data) are accepted: email_validator refuses them by default.
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=200), single_line])
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[DataRequired(), Email(test_environment=True), Length(max=254)],
    )
    phone = TelField(_l("Phone"), validators=[Length(max=40), single_line])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000), plain_text])
    # What the client reads emails and the portal in ("": the organization's); the client can change both.
    language = language_field()
    timezone = zone_field()
