"""Rows for the foundation's pages that have no area file of their own (see settings.py, clients.py)."""

from tests.authz import STAFF_PAGE, Route

ROUTES = [
    Route("calendar.index", STAFF_PAGE),
]
