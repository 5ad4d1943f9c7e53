"""Languages and zones: staff choose their own language, admins the organization's default; a portal
client their own language and time zone. Each acts on their own record only, so there is no other
organization's object to reach."""

from tests.authz import CLIENT_PAGE, STAFF_PAGE, Route, expect

ROUTES = [
    Route("settings.language", STAFF_PAGE),
    Route(
        "settings.language",
        expect(302, 403, 403, 303, 303, 303),
        method="POST",
        data=lambda w: {"mine-language": "en"},
    ),
    Route(
        "settings.org_language",
        expect(302, 403, 403, 403, 303, 303),
        method="POST",
        data=lambda w: {"org-language": "en"},
    ),
    Route("portal.preferences", CLIENT_PAGE),
    Route(
        "portal.preferences",
        expect(302, 303, 303, 403, 403, 403),
        method="POST",
        data=lambda w: {"language": "", "timezone": ""},
    ),
]
ROUTES.append(
    Route(
        "settings.team_language",
        expect(302, 403, 403, 403, 303, 404),
        method="POST",
        params=lambda w: {"user_id": w.acme.staff.id},
        data=lambda w: {"language": "es"},
    )
)
