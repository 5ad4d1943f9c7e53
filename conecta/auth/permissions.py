"""Who may see what. Every view states its audience with one of these decorators."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from conecta.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])


def _guard(check: Callable[[Any], bool]) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


staff_required = _guard(lambda u: u.kind == "user")
"""Staff and admins of an organization."""

admin_required = _guard(lambda u: u.kind == "user" and u.is_admin)
"""Admins only; staff get 403."""

client_required = _guard(lambda u: u.kind == "client")
"""Portal clients only."""


def same_org_or_404(obj: Any) -> Any:
    """Anything of another organization does not exist for the current user."""
    if obj is None or getattr(obj, "org_id", None) != current_user.org_id:
        abort(404)
    return obj
