"""Language and time zone choices, as form fields: one definition for the organization's default, a staff
member's UI language, a client's language and zone (on the client record and in the portal).

An empty choice means "the organization's", so a reader who never chose follows the organization when it
changes its default; stored as NULL.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from conecta.forms import Form
from conecta.i18n import LANGUAGE_NAMES, LANGUAGES


@cache
def zone_ids() -> tuple[str, ...]:
    """Every IANA zone a reader may pick (the region/city ones, sorted), plus UTC."""
    zones = {
        z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/"))
    }
    return ("UTC", *sorted(zones))


def language_choices(with_default: bool) -> list[SelectChoice]:
    choices = [SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
    return [SelectChoice("", _l("The organization's default")), *choices] if with_default else choices


def zone_choices() -> list[SelectChoice]:
    zones = (SelectChoice(z, z.replace("_", " ")) for z in zone_ids())
    return [SelectChoice("", _l("The organization's time zone")), *zones]


def _text(value: object) -> str:
    """A stored NULL is the "" choice (the organization's), not the text "None"."""
    return "" if value is None else str(value)


def chosen(value: str | None) -> str | None:
    """A field's answer as stored: "" (the organization's) is NULL."""
    return value or None


class ChoiceOrDefault(SelectField):
    """A select whose "" choice stands for a stored NULL (the organization's): a form built from a record
    that never chose shows "" selected, and a post that leaves the field out keeps the record's value."""

    def process_data(self, value: object) -> None:
        self.data = _text(value)


def language_field(with_default: bool = True, label: str | None = None) -> SelectField:
    return ChoiceOrDefault(
        label or _l("Language"),
        choices=language_choices(with_default),
        default="" if with_default else LANGUAGES[0],
        coerce=_text,
        validate_choice=True,
    )


def zone_field() -> SelectField:
    return ChoiceOrDefault(
        _l("Time zone"), choices=zone_choices(), default="", coerce=_text, validate_choice=True
    )


class ReaderForm(Form):
    """A client's language and zone (in the portal, and part of the client record)."""

    language = language_field()
    timezone = zone_field()


class StaffLanguageForm(Form):
    language = language_field(label=_l("Your language"))


class OrgLanguageForm(Form):
    language = language_field(with_default=False, label=_l("Default language of the organization"))
