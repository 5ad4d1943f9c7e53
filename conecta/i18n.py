"""Languages: Flask-Babel bound to the app, and the one place that says which language a request reads.

Every user-facing string goes through `gettext` (`_()` in Python, `{% trans %}`/`_()` in templates), so
`pybabel extract` finds it and each language's catalog under `conecta/translations/` carries it
(`scripts/translations` extracts, updates and compiles them; docs/translations.md).

Who reads what: a signed-in staff member their own UI language (else the organization's); a signed-in
client their own (else the organization's); a sign-in page the browser's Accept-Language. Emails and
other work done outside a request choose their recipient's language explicitly (`force_locale`).
"""

from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations, Translations
from flask import Flask, has_request_context, request
from flask.globals import _cv_app
from flask_babel import Babel, get_translations, refresh
from flask_login import current_user

#: The languages we ship a complete catalog for; the first is the fallback.
LANGUAGES: tuple[str, ...] = ("en", "es")
#: Each language named in itself, as a language picker shows it.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Español"}

babel = Babel()


def N_(message: str) -> str:
    """Mark a module-level message for `pybabel extract` (keyword `N_`) without translating it yet: the
    code passes it through `gettext()` where it is shown, in the reader's language. For constants that
    other code (and tests) compare as plain strings."""
    return message


def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "")


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
    # The compiled catalogs are built, not committed: a checkout that skipped the setup still speaks
    # every language (a read-only install must have run `scripts/translations compile` in its build).
    try:
        compile_catalogs()
    except OSError as exc:
        app.logger.warning(
            "could not compile the message catalogs (%s): run scripts/translations compile", exc
        )
    # Flask-Babel keeps the chosen locale on the app context; a request that shares one (a test, a
    # worker's nested request) must choose again for its own reader.
    app.before_request(refresh)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def current_translations() -> Translations | NullTranslations:
    """Flask-Babel's `get_translations()`, remembered for the locale it was chosen for. A page calls
    `_()` dozens of times (a client search, 200 times), and Flask-Babel looks up its context, the domain
    and the locale's name each time (24 µs a call); here each call after the first compares one
    attribute (1.7 µs). A new locale (`refresh` on the next request, `force_locale` for an email) is
    a different `Locale` object, so it is never served another's catalog."""
    app_context = _cv_app.get(None)
    state = getattr(app_context.g, "_flask_babel", None) if app_context is not None else None
    locale = getattr(state, "babel_locale", None)
    remembered = getattr(state, "conecta_translations", None)
    if locale is not None and remembered is not None and remembered[0] is locale:
        return remembered[1]
    translations = get_translations()
    state = getattr(app_context.g, "_flask_babel", None) if app_context is not None else None
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        state.conecta_translations = (locale, translations)
    return translations


def compile_catalogs(directory: Path | None = None) -> list[Path]:
    """Compile every `messages.po` under conecta/translations/ whose `.mo` is missing or older; returns
    the files written. The setup (scripts/run, scripts/test) and every app start call it, so compiled
    catalogs are never committed and never stale."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    directory = directory or Path(__file__).parent / "translations"
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    return written
