"""The client form (add and edit)."""

from __future__ import annotations

from wtforms import EmailField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from conecta.forms import Form
from conecta.validators import plain_text, single_line, strip


class ClientForm(Form):
    # `.test` addresses (demo and test data) are accepted: email_validator refuses them by default.
    name = StringField("Name", filters=[strip], validators=[DataRequired(), Length(max=200), single_line])
    email = EmailField(
        "Email", filters=[strip], validators=[DataRequired(), Email(test_environment=True), Length(max=254)]
    )
    phone = TelField("Phone", validators=[Length(max=40), single_line])
    notes = TextAreaField("Notes", validators=[Length(max=5000), plain_text])
