"""How views answer: one URL serves a page or its htmx fragment, and an action ends in a fragment (htmx)
or a flash and a 303 (a plain form). Views call these instead of testing the request themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from conecta.extensions import htmx


def wants_fragment() -> bool:
    """An htmx swap wants the fragment; a full load, or htmx restoring history it lost, wants the page."""
    return bool(htmx) and not htmx.history_restore_request


def render_page_or_fragment(
    page_template: str, fragment_template: str, status: int = 200, **context: Any
) -> tuple[str, int]:
    """The fragment for an htmx swap, else the page that includes that same fragment."""
    template = fragment_template if wants_fragment() else page_template
    return render_template(template, **context), status


def fragment_or_redirect(
    fragment_template: str,
    back_url: str,
    message: str,
    category: str = "message",
    status: int = 200,
    **context: Any,
) -> tuple[str, int] | Response:
    """After an action: htmx swaps `fragment_template` in place (with `message` in its context);
    a plain form POST gets `message` flashed and a 303 to `back_url`."""
    if htmx:
        return render_template(fragment_template, message=message, **context), status
    flash(message, category)
    return redirect(back_url, code=303)


def add_form_errors(form: Any, errors: Mapping[str, str]) -> list[str]:
    """Put a domain rule's messages on the form fields they name; return those that name no field."""
    general = []
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            general.append(message)
    return general


def form_values(form: Any, *names: str) -> dict[str, Any]:
    """The named fields' data, as keyword arguments for a domain function."""
    return {name: form[name].data for name in names}


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for outside the browser (an email, Zoom's redirect_uri, a link to copy): always on
    CONECTA_BASE_URL, never on the Host header of the request that made it."""
    return current_app.config["CONECTA_BASE_URL"] + url_for(endpoint, **values)
