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


def chosen(value: str | None) -> str | None:
    """A field's answer as stored: "" (the organization's) is NULL."""
    return value or None


def language_field(with_default: bool = True, label: str | None = None) -> SelectField:
    return SelectField(
        label or _l("Language"),
        choices=language_choices(with_default),
        default="" if with_default else LANGUAGES[0],
        validate_choice=True,
    )


def zone_field() -> SelectField:
    return SelectField(_l("Time zone"), choices=zone_choices(), default="", validate_choice=True)


class ReaderForm(Form):
    """A client's language and zone (in the portal, and part of the client record)."""

    language = language_field()
    timezone = zone_field()


class StaffLanguageForm(Form):
    language = language_field(label=_l("Your language"))


class OrgLanguageForm(Form):
    language = language_field(with_default=False, label=_l("Default language of the organization"))
