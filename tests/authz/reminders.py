"""Settings → Emails → Reminders: admins only (an empty form is invalid, 422, in one's own organization)."""

from tests.authz import Route, expect

ROUTES = [
    Route("settings.reminder_settings", expect(302, 403, 403, 403, 422, 422), method="POST"),
]
