"""quick_html_params writes exactly the attributes WTForms' own html_params writes, and once installed
every widget and label of a form renders the same markup as before."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    Form,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)

from conecta.forms import WTFORMS_HTML_PARAMS, install_quick_html_params, quick_html_params

CASES = [
    {},
    {"name": "text1", "id": "f", "class_": "text"},
    {"checked": True, "readonly": False, "name": "text1", "abc": "hello"},
    {"data_attr": "user.name", "aria_labeledby": "name", "aria_invalid": "true", "for_": "x"},
    {"value": "say \"hi\" <b> & 'bye'", "title": "Zoë ١٢٣ \x07"},
    {"value": Markup('already "marked" <i>up</i>'), "hx_get": "/a?b=1&c=2"},
    {"min": 1, "max": 12, "step": 0.5, "maxlength": None, "required": True, "disabled": False},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_quick_html_params_writes_what_wtforms_writes(kwargs: dict) -> None:
    quick = quick_html_params(**kwargs)
    assert isinstance(quick, Markup)
    assert str(quick) == str(WTFORMS_HTML_PARAMS(**kwargs))


class Everything(Form):
    name = StringField("Name <full>")
    secret = PasswordField("Password")
    notes = TextAreaField("Notes")
    when = DateField("Date")
    count = IntegerField("Count")
    agree = BooleanField("I agree")
    end = RadioField("Ends", choices=[SelectChoice("count", "After"), SelectChoice("until", 'On "a" date')])
    days = SelectMultipleField(
        "On",
        choices=[SelectChoice("0", "Mon"), SelectChoice("1", "Tue")],
        widget=widgets.ListWidget(),
        option_widget=widgets.CheckboxInput(),
    )
    save = SubmitField("Save & close")


def render(form: Form) -> str:
    return "".join(
        str(field.label()) + str(field(aria_invalid="true", data_x='q"uote')) + str(field.label(class_="c"))
        for field in form
    )


def test_installed_every_widget_renders_the_same_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    data = MultiDict([("name", 'Ana "A" <ana@x.test>'), ("agree", "y"), ("end", "until"), ("days", "1")])
    monkeypatch.setattr(widgets.core, "html_params", WTFORMS_HTML_PARAMS)
    monkeypatch.setattr(widgets, "html_params", WTFORMS_HTML_PARAMS)
    monkeypatch.setattr(widgets.Input, "html_params", staticmethod(WTFORMS_HTML_PARAMS))
    monkeypatch.setattr(widgets.core.Button, "html_params", staticmethod(WTFORMS_HTML_PARAMS))
    before = render(Everything(data))
    install_quick_html_params()
    assert widgets.core.html_params is quick_html_params
    assert render(Everything(data)) == before
