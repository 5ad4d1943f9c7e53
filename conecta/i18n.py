"""Languages: Flask-Babel bound to the app, and the one place that says which language a request reads.

Every user-facing string goes through `gettext` (`_()` in Python, `{% trans %}`/`_()` in templates), so
`pybabel extract` finds it and each language's catalog under `conecta/translations/` carries it
(`scripts/translations` extracts, updates and compiles them; docs/translations.md).

Who reads what: a signed-in staff member their own UI language (else the organization's); a signed-in
client their own (else the organization's); a sign-in page the browser's Accept-Language. Emails and
other work done outside a request choose their recipient's language explicitly (`force_locale`).
"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask_babel import Babel, lazy_gettext
from flask_login import current_user

#: The languages we ship a complete catalog for; the first is the fallback.
LANGUAGES: tuple[str, ...] = ("en", "es")
#: Each language named in itself, as a language picker shows it.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Español"}

babel = Babel()


def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "")


def language_choices(default_label: str | None = None) -> list[tuple[str, str]]:
    """Choices of a language field; with `default_label`, a first "" choice (use the default)."""
    choices = [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
    return [("", default_label), *choices] if default_label else choices


def org_default_label():
    return lazy_gettext("The organization's default")


def select_locale() -> str:
    """The language of this request: the signed-in reader's, else the browser's best match."""
    if has_request_context():
        try:
            user = current_user
            if user and user.is_authenticated:
                return user.locale if user.locale in LANGUAGES else LANGUAGES[0]
        except Exception:  # no user loader context (e.g. a static file): fall through
            pass
        return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]
    return LANGUAGES[0]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LANGUAGES[0])
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
