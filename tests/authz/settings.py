"""Settings: Team is for admins; Calendar → Events is read-only for staff and edited by admins.

Another organization's admin gets 404 for acme's people and services (they do not exist for them).
"""

from tests.authz import ADMIN_PAGE, STAFF_PAGE, Route, expect

ADMIN_ON_ACME_OBJECT = expect(302, 403, 403, 403, 200, 404)
ADMIN_CHANGES_ACME_OBJECT = expect(302, 403, 403, 403, 303, 404)


def _member(w):
    return {"user_id": w.acme.staff.id}


def _service(w):
    return {"service_id": w.acme.service.id}


ROUTES = [
    # Admins land on Team, staff on the read-only Events list.
    Route("settings.index", expect(302, 403, 403, 302, 302, 302)),
    Route("settings.team", ADMIN_PAGE),
    # An empty add-member form is invalid (422) for any admin, in their own organization.
    Route("settings.team", expect(302, 403, 403, 403, 422, 422), method="POST"),
    Route(
        "settings.team_role",
        ADMIN_CHANGES_ACME_OBJECT,
        method="POST",
        params=_member,
        data=lambda w: {"role": "admin"},
    ),
    Route(
        "settings.team_color",
        ADMIN_CHANGES_ACME_OBJECT,
        method="POST",
        params=_member,
        data=lambda w: {"color": "#123abc"},
    ),
    Route("settings.team_deactivate", ADMIN_ON_ACME_OBJECT, params=_member),
    Route("settings.team_deactivate", ADMIN_CHANGES_ACME_OBJECT, method="POST", params=_member),
    Route("settings.team_reactivate", ADMIN_CHANGES_ACME_OBJECT, method="POST", params=_member),
    Route("settings.team_sign_out", ADMIN_CHANGES_ACME_OBJECT, method="POST", params=_member),
    # The matrix's staff member has a password already: nothing to resend (422).
    Route("settings.team_invite", expect(302, 403, 403, 403, 422, 404), method="POST", params=_member),
    Route("settings.events", STAFF_PAGE),
    Route("settings.event_new", ADMIN_PAGE),
    Route("settings.event_new", expect(302, 403, 403, 403, 422, 422), method="POST"),
    Route("settings.event_edit", ADMIN_ON_ACME_OBJECT, params=_service),
    Route(
        "settings.event_edit",
        expect(302, 403, 403, 403, 422, 404),
        method="POST",
        params=_service,
        data=lambda w: {"name": ""},
    ),
    Route("settings.event_deactivate", ADMIN_ON_ACME_OBJECT, params=_service),
    Route("settings.event_deactivate", ADMIN_CHANGES_ACME_OBJECT, method="POST", params=_service),
    Route("settings.event_reactivate", ADMIN_CHANGES_ACME_OBJECT, method="POST", params=_service),
]
