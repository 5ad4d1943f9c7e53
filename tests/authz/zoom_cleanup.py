"""The Zoom card's cleanup after a reconnect: admins only, each in their own organization (not connected
here, so every action answers "Zoom is not connected" and goes back to Integrations)."""

from tests.authz import ADMIN_PAGE, Route, expect

ADMIN_ACTION = expect(302, 403, 403, 403, 303, 303)

ROUTES = [
    Route("settings.zoom_cleanup", ADMIN_PAGE),
    Route("settings.zoom_cleanup_scan", ADMIN_ACTION, method="POST"),
    Route("settings.zoom_cleanup_delete", ADMIN_PAGE),
    Route("settings.zoom_cleanup_delete", ADMIN_ACTION, method="POST"),
]
