"""The base of every form: what a re-rendered form sends back is never longer than its field allows.

A form refused with 422 comes back filled in with what was typed. A field echoes at most its own
maximum (its `Length(max=…)`, which the browser also enforces as `maxlength`), or ECHO_LIMIT characters
for a field without one (dates, times, numbers): a request padded to the body limit gets a page of the
usual size back, not its own megabyte again.
"""

from __future__ import annotations

from typing import Any

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Field, SelectField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import Length
from wtforms.widgets import Select
from wtforms.widgets.core import clean_key

ECHO_LIMIT = 254
QUOTE = '"'
WTFORMS_HTML_PARAMS = widgets.core.html_params  # WTForms' own, kept before `install_quick_html_params`


def echo_limit(field: Field) -> int:
    """The longest value `field` shows back: its own maximum length, or ECHO_LIMIT."""
    lengths = [v.max for v in field.validators if isinstance(v, Length) and v.max is not None and v.max >= 0]
    return min(lengths) if lengths else ECHO_LIMIT


def cap_echo(field: Field) -> None:
    """Cut what `field` would render back to `echo_limit` (after validation: only the echo is cut)."""
    limit = echo_limit(field)
    if field.raw_data:
        field.raw_data = [v[:limit] if isinstance(v, str) else v for v in field.raw_data]
    if isinstance(field.data, str) and len(field.data) > limit:
        field.data = field.data[:limit]


class WTFormsMessages:
    """WTForms' own messages ("This field is required.", …) in the reader's language, as Flask-WTF gives
    them, but with each language's catalog read once per process: Flask-WTF reads and parses it again
    for every request that builds a form (1% of the web's CPU under bench/load.py)."""

    _catalogs: dict[str, support.Translations] = {}

    def _catalog(self) -> support.NullTranslations | None:
        locale = get_locale() if has_request_context() else None
        if locale is None:
            return None
        key = str(locale)
        if key not in self._catalogs:
            self._catalogs[key] = support.Translations.load(messages_path(), [locale], domain="wtforms")
        return self._catalogs[key]

    def gettext(self, string: str) -> str:
        catalog = self._catalog()
        return string if catalog is None else catalog.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        catalog = self._catalog()
        if catalog is None:
            return singular if n == 1 else plural
        return catalog.ungettext(singular, plural, n)


WTFORMS_MESSAGES = WTFormsMessages()


class Form(FlaskForm):
    """FlaskForm, with every field's echo capped when it is rendered, and WTForms' messages translated
    from a catalog kept per language (`WTFormsMessages`)."""

    class Meta(FlaskForm.Meta):
        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Any:
            cap_echo(field)
            return super().render_field(field, render_kw)

        def get_translations(self, form: FlaskForm) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return WTFORMS_MESSAGES


class QuickSelect(Select):
    """WTForms' Select (single or `multiple`), the same markup, about 5× cheaper for long option lists
    (the booking modal's 100 clients, twice, and the team): one f-string per option instead of
    `html_params` and `Markup.format` for each, the CPU that dominated the booking form under load
    (docs/operating.md, "Capacity").
    Choices that are not plain `SelectChoice`s (attributes, groups) go the general way."""

    def __call__(self, field: SelectField, **kwargs: Any) -> Markup:
        choices = field.choices
        plain = isinstance(choices, list) and all(
            type(c) is SelectChoice and not c.render_kw and c.optgroup is None and isinstance(c.value, str)
            for c in choices
        )
        if not plain:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        coerce, data = field.coerce, field.data
        chosen = set(data or ()) if self.multiple else {data}
        html = [f"<select {quick_html_params(name=field.name, **kwargs)}>"]
        for choice in choices:
            selected = "selected " if coerce(choice.value) in chosen else ""
            label = escape(choice.label or choice.value)
            html.append(f'<option {selected}value="{escape(choice.value)}">{label}</option>')
        html.append("</select>")
        return Markup("".join(html))


def quick_html_params(**kwargs: Any) -> Markup:
    """WTForms' `html_params`, the same markup at a fifth of its CPU (14 µs a call, not 73). WTForms
    builds each attribute with `Markup.format` (Python's string formatter, escaping both halves again)
    and joins them through `Markup.join` (escaping each part again). Every input, label and checkbox of
    a form goes through it: 31 calls and 96 attributes per booking form, a fifth of that form's CPU."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is False:
            continue
        name = escape(clean_key(key))
        if value is True:
            params.append(name)
        else:
            params.append(f'{name}="{str.replace(escape(value), QUOTE, "&quot;")}"')
    return Markup(" ".join(params))


def install_quick_html_params() -> None:
    """Make every WTForms widget and label render its attributes with `quick_html_params`. WTForms reads
    the function from three places: its widgets module (widgets and `Label`), and the `html_params`
    static method of `Input` and `Button` widgets."""
    widgets.core.html_params = quick_html_params
    widgets.html_params = quick_html_params
    for widget in (widgets.Input, widgets.core.Button):
        widget.html_params = staticmethod(quick_html_params)
