"""Clients: staff and admins of the organization; another organization's admin gets 404 for acme's."""

from tests.authz import STAFF_PAGE, Route, expect

STAFF_ON_ACME_CLIENT = expect(302, 403, 403, 200, 200, 404)


def _client(w):
    return {"client_id": w.acme.client.id}


ROUTES = [
    Route("clients.index", STAFF_PAGE),
    # The search box's HTMX request: an expired session answers 401 with HX-Redirect to sign in.
    Route("clients.index", expect(401, 403, 403, 200, 200, 200), headers={"HX-Request": "true"}),
    Route("clients.new", STAFF_PAGE),
    Route("clients.new", expect(302, 403, 403, 422, 422, 422), method="POST"),
    Route("clients.detail", STAFF_ON_ACME_CLIENT, params=_client),
    Route("clients.edit", STAFF_ON_ACME_CLIENT, params=_client),
    Route("clients.appointments", STAFF_ON_ACME_CLIENT, params=_client),
    # A blank name is invalid (an empty POST would keep the stored values, as WTForms does with `obj`).
    Route(
        "clients.edit",
        expect(302, 403, 403, 422, 422, 404),
        method="POST",
        params=_client,
        data=lambda w: {"name": ""},
    ),
    Route("clients.invite", expect(302, 403, 403, 303, 303, 404), method="POST", params=_client),
    Route("clients.sign_out", expect(302, 403, 403, 303, 303, 404), method="POST", params=_client),
]
