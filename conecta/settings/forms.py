"""Settings forms: team members and services ("events")."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    ColorField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from conecta.forms import Form
from conecta.groups.settings import MAX_CAPACITY, capacity_refusal
from conecta.models import Organization, Service
from conecta.models.zoom import zoom_connection_for
from conecta.scheduling import MAX_DURATION_MINUTES
from conecta.validators import plain_text, single_line, strip
from conecta.zoom.meeting_settings import RECORDING_CHOICES

MIN_DURATION_MINUTES = 5
ROLE_CHOICES = [SelectChoice("staff", _l("Staff")), SelectChoice("admin", _l("Admin"))]


class AddMemberForm(Form):
    # `.test` addresses (demo and test data) are accepted: email_validator refuses them by default.
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=200), single_line])
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[DataRequired(), Email(test_environment=True), Length(max=254)],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="staff")


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class StaffColorForm(Form):
    """A team member's colour on the calendar (the Everyone view tells people apart by it)."""

    color = ColorField(
        _l("Calendar colour"),
        validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Pick a colour like #2563eb."))],
    )


class ServiceForm(Form):
    """A service ("event"). `zoom_auto_create` may be switched on only while `org` has Zoom connected
    (`settings/_service_zoom_toggle.html` renders it)."""

    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=200), single_line])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[
            InputRequired(_l("Give a duration in minutes.")),
            NumberRange(
                MIN_DURATION_MINUTES,
                MAX_DURATION_MINUTES,
                _l(
                    "Duration must be between %(low)d and %(high)d minutes.",
                    low=MIN_DURATION_MINUTES,
                    high=MAX_DURATION_MINUTES,
                ),
            ),
        ],
        default=60,
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=2000), plain_text])
    color = ColorField(
        _l("Colour"),
        validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Pick a colour like #3b82f6."))],
        default="#3b82f6",
    )
    active = BooleanField(_l("Active (clients can be booked for it)"), default=True)
    zoom_auto_create = BooleanField(_l("Auto-create Zoom meeting"))
    # The meeting settings (conecta.zoom.meeting_settings): sent on create, PATCHed onto upcoming meetings.
    # A new service starts with a waiting room and a passcode (an edit shows the service's own values).
    zoom_waiting_room = BooleanField(_l("Waiting room"), default=True)
    zoom_join_before_host = BooleanField(_l("Participants may join before the host"))
    zoom_mute_upon_entry = BooleanField(_l("Mute participants on entry"))
    zoom_auto_recording = SelectField(
        _l("Automatic recording"),
        choices=[SelectChoice(v, label) for v, label in RECORDING_CHOICES],
        default="none",
    )
    zoom_require_passcode = BooleanField(_l("Require a passcode"), default=True)
    # More than one makes it a group service (`conecta.groups`): one session, several clients, one meeting.
    capacity = IntegerField(
        _l("Clients per session"),
        validators=[
            Optional(),  # empty: as it was (one client, for a new service)
            NumberRange(
                1, MAX_CAPACITY, _l("Clients per session must be between 1 and %(max)d.", max=MAX_CAPACITY)
            ),
        ],
        default=1,
    )

    def __init__(self, *args: Any, org: Organization | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        self.service = kwargs.get("obj")

    def validate_capacity(self, field: IntegerField) -> None:
        """A service's sessions must still hold their clients (`conecta.groups.settings`)."""
        if self.service is not None:
            refusal = capacity_refusal(self.service, field.data)
            if refusal:
                raise ValidationError(refusal)

    def validate_zoom_auto_create(self, field: BooleanField) -> None:
        """The server refuses to switch Zoom on without a live connection (switching it off is fine)."""
        turning_on = field.data and not field.object_data and self.org is not None
        if turning_on and zoom_connection_for(self.org.id) is None:
            raise ValidationError(
                gettext("Connect Zoom in Settings → Integrations before turning on automatic Zoom meetings.")
            )

    def apply_to(self, service: Service) -> Service:
        """Copy the submitted values onto `service`."""
        service.name = self.name.data.strip()
        service.duration_minutes = self.duration_minutes.data
        service.description = (self.description.data or "").strip()
        service.color = self.color.data.lower()
        service.active = bool(self.active.data)
        service.zoom_auto_create = bool(self.zoom_auto_create.data)
        service.zoom_waiting_room = bool(self.zoom_waiting_room.data)
        service.zoom_join_before_host = bool(self.zoom_join_before_host.data)
        service.zoom_mute_upon_entry = bool(self.zoom_mute_upon_entry.data)
        service.zoom_auto_recording = self.zoom_auto_recording.data
        service.zoom_require_passcode = bool(self.zoom_require_passcode.data)
        service.capacity = self.capacity.data or service.capacity or 1
        return service
