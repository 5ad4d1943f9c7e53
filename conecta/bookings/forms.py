"""The booking form. Only the shape of the input is checked here; the booking rules
(`conecta.scheduling`) decide whether the client, service, staff member and slot are acceptable, so
their messages land on the same fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from conecta.forms import Form, QuickSelect
from conecta.models.types import database_id
from conecta.validators import plain_text


def optional_id(value: object) -> int | None:
    """Select values: "" (the placeholder) means nothing chosen; anything but a possible id is invalid."""
    if value in ("", None):
        return None
    number = database_id(value)
    if number is None:
        raise ValueError("not an id")  # WTForms shows the field's invalid_value_message
    return number


class BookingForm(Form):
    client_id = SelectField(
        _l("Client"),
        coerce=optional_id,
        widget=QuickSelect(),
        validate_choice=False,  # the options shown are a search result; the rules check the client
        invalid_value_message=_l("Choose a client."),
    )
    # A group service's other clients (`conecta.groups`): up to its capacity, with the client above.
    more_client_ids = SelectMultipleField(
        _l("Other clients (group sessions)"),
        coerce=optional_id,
        widget=QuickSelect(multiple=True),
        validate_choice=False,
        invalid_value_message=_l("Choose clients."),
        description=_l("For a group service: hold Ctrl (or ⌘) to choose several."),
    )
    service_id = SelectField(
        _l("Service"),
        coerce=optional_id,
        widget=QuickSelect(),
        validate_choice=False,
        invalid_value_message=_l("Choose a service."),
    )
    staff_id = SelectField(
        _l("Staff"),
        coerce=optional_id,
        widget=QuickSelect(),
        validate_choice=False,
        invalid_value_message=_l("Choose a staff member."),
    )
    date = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    time = TimeField(_l("Time"), validators=[InputRequired(_l("Choose a time."))])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[Optional(), NumberRange(min=1, message=_l("Duration must be a number of minutes."))],
        description=_l("Leave empty to use the service's length."),
    )
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000), plain_text])


class CancelForm(Form):
    """The cancel confirmation: why (optional, for the team), and what the client is told."""

    reason = TextAreaField(_l("Reason (optional)"), validators=[Length(max=1000), plain_text])
    email_client = BooleanField(_l("Email the client"), default=True)
    reason_in_email = BooleanField(_l("Include the reason in the email"))
