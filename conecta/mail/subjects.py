"""Subject lines, in the language being rendered or in one given explicitly: the outbox shows a
provisional subject (written in the recipient's language when the row is made) until the message is
composed, in the recipient's language again, when it is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import force_locale, lazy_gettext
from flask_babel import gettext as _

from conecta.models.email import EmailKind

if TYPE_CHECKING:
    from conecta.mail.compose import Facts

# The first word of an appointment email's subject, in the language being rendered.
SUBJECT_PREFIX = {
    EmailKind.CONFIRMATION: lazy_gettext("Confirmed"),
    EmailKind.UPDATE: lazy_gettext("Updated"),
    EmailKind.CANCELLATION: lazy_gettext("Cancelled"),
    EmailKind.ZOOM_LINK: lazy_gettext("Zoom link"),
    EmailKind.DETAILS: lazy_gettext("Your booking"),
    EmailKind.REMINDER: lazy_gettext("Reminder"),
}


def subject_for(kind: str, facts: Facts, locale: str | None = None) -> str:
    """The subject line; with `locale`, in that language (else the one being rendered)."""
    if locale is not None:
        with force_locale(locale):
            return subject_for(kind, facts)
    return _(
        "%(prefix)s: %(service)s on %(when)s · %(org)s",
        prefix=str(SUBJECT_PREFIX[kind]),
        service=facts.service_name,
        when=facts.when_short,
        org=facts.org_name,
    )


def portal_invite_subject(org_name: str, locale: str | None = None) -> str:
    if locale is not None:
        with force_locale(locale):
            return portal_invite_subject(org_name)
    return _("%(org)s invited you to the client portal", org=org_name)
