"""Settings → Integrations (Zoom card, Zoom hosts) and Zoom's webhook.

Staff see the card read-only; only admins connect or disconnect. The webhook answers 401 to anything
without Zoom's signature, whoever sends it.
"""

from tests.authz import STAFF_PAGE, Route, expect

ADMIN_ACTION = expect(302, 403, 403, 403, 303, 303)

ROUTES = [
    Route("settings.integrations", STAFF_PAGE),
    # Admins are sent to Zoom's consent page.
    Route("settings.zoom_connect", ADMIN_ACTION, method="POST"),
    # Without a started authorization the callback explains and goes back to Integrations.
    Route("settings.zoom_callback", ADMIN_ACTION),
    Route("settings.zoom_disconnect_confirm", expect(302, 403, 403, 403, 200, 200)),
    # Not connected in the matrix's world: "Zoom is not connected." and back to Integrations.
    Route("settings.zoom_disconnect", ADMIN_ACTION, method="POST"),
    # The Zoom hosts table (account mode). Not connected in the matrix's world: back to Integrations with
    # a message; another organization's admin does not see acme's member (404).
    Route("settings.zoom_hosts_match", ADMIN_ACTION, method="POST"),
    Route(
        "settings.zoom_host_choose",
        expect(302, 403, 403, 403, 303, 404),
        method="POST",
        params=lambda w: {"user_id": w.acme.staff.id},
        data=lambda w: {"zoom_user_id": "auto"},
    ),
    Route("webhooks.zoom", expect(401, 401, 401, 401, 401, 401), method="POST"),
]
