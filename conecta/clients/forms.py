"""The client form (add and edit)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length


def _strip(value: str | None) -> str | None:
    """Spaces pasted around a name or an address are never meant."""
    return value.strip() if isinstance(value, str) else value


class ClientForm(FlaskForm):
    # `.test` addresses (demo and test data) are accepted: email_validator refuses them by default.
    name = StringField("Name", filters=[_strip], validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired(), Email(test_environment=True), Length(max=254)]
    )
    phone = TelField("Phone", validators=[Length(max=40)])
    notes = TextAreaField("Notes", validators=[Length(max=5000)])
