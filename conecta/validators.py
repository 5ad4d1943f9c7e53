"""Shared form field checks: names and titles are one line of printable text; longer texts (notes,
descriptions) may hold line breaks but no other control characters. A refusal is a message on the field
(the form comes back with 422), never a 500 later in an email header or a calendar file."""

from __future__ import annotations

from typing import Any

from wtforms import ValidationError

LINE_BREAKS = frozenset("\r\n\t")


def strip(value: Any) -> Any:
    """Spaces pasted around a name or an address are never meant."""
    return value.strip() if isinstance(value, str) else value


def _control_characters(text: str, allowed: frozenset[str] = frozenset()) -> bool:
    return any((ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) and c not in allowed for c in text)


def single_line(form: Any, field: Any) -> None:
    """A name or title: no line breaks, tabs or other control characters."""
    if isinstance(field.data, str) and _control_characters(field.data):
        raise ValidationError("Use one line of text, without line breaks or control characters.")


def plain_text(form: Any, field: Any) -> None:
    """Notes and descriptions: line breaks and tabs are fine, other control characters are not."""
    if isinstance(field.data, str) and _control_characters(field.data, LINE_BREAKS):
        raise ValidationError("Remove the control characters from this text.")
