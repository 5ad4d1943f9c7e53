"""Languages: Flask-Babel bound to the app, and the one place that says which language a request reads.

Every user-facing string goes through `gettext` (`_()` in Python, `{% trans %}`/`_()` in templates), so
`pybabel extract` finds it and each language's catalog under `conecta/translations/` carries it.
Emails and other work done outside a request choose their language explicitly (`force_locale`)."""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel

#: The languages we ship a complete catalog for; the first is the fallback.
LANGUAGES: tuple[str, ...] = ("en",)

babel = Babel()


def select_locale() -> str:
    """The language of this request: English until readers have a language of their own."""
    return LANGUAGES[0]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LANGUAGES[0])
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
