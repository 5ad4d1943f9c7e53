"""QuickSelect renders exactly what WTForms' own Select renders, single and multiple, chosen or not."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectChoice, SelectField, SelectMultipleField
from wtforms.widgets import Select

from conecta.forms import QuickSelect

CHOICES = [
    SelectChoice(v, label)
    for v, label in [("", "Choose…"), ("1", "Ana <ana@x.test>"), ("2", "Bo & Co"), ("3", "Zoë")]
]


class Quick(Form):
    one = SelectField(coerce=str, choices=CHOICES, widget=QuickSelect())
    many = SelectMultipleField(coerce=str, choices=CHOICES, widget=QuickSelect(multiple=True))


class Plain(Form):
    one = SelectField(coerce=str, choices=CHOICES, widget=Select())
    many = SelectMultipleField(coerce=str, choices=CHOICES, widget=Select(multiple=True))


@pytest.mark.parametrize(
    "data", [MultiDict(), MultiDict([("one", "2"), ("many", "1"), ("many", "3")]), MultiDict([("many", "2")])]
)
def test_quick_select_renders_what_wtforms_renders(data: MultiDict) -> None:
    quick, plain = Quick(data), Plain(data)
    assert str(quick.one(size=1)) == str(plain.one(size=1))
    assert str(quick.many(size=4)) == str(plain.many(size=4))
    assert "&lt;ana@x.test&gt;" in str(quick.one()) and "Bo &amp; Co" in str(quick.many())
