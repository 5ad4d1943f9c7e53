"""Sign-in forms for staff and portal clients."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from conecta.forms import Form


class LoginForm(Form):
    # test_environment: email_validator refuses the reserved `.test` domain by default, which the demo
    # logins and the test data use; such addresses are harmless (they simply never receive mail).
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(test_environment=True)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class SetPasswordForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Confirm password"), validators=[DataRequired(), EqualTo("password", _l("Passwords must match."))]
    )


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(test_environment=True), Length(max=254)]
    )


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=8, max=200, message=_l("Use at least 8 characters."))],
    )
    confirm = PasswordField(
        _l("Confirm new password"),
        validators=[DataRequired(), EqualTo("password", _l("Passwords must match."))],
    )
