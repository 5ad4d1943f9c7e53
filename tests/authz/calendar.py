"""Calendar routes (calendar.index GET itself has its row in foundation.py)."""

from tests.authz import Route, expect

HX = {"HX-Request": "true"}
OWN_ORG_ONLY = expect(302, 403, 403, 200, 200, 404)  # the rival admin gets 404 for acme's appointment

ROUTES = [
    # HTMX requests of an expired session get 401 + HX-Redirect to the sign-in page.
    Route(
        "calendar.index",
        expect(401, 403, 403, 200, 200, 200),
        params=lambda w: {"view": "day", "date": "2030-01-07"},
        headers=HX,
    ),
    Route("calendar.appointment", OWN_ORG_ONLY, params=lambda w: {"appointment_id": w.appointment.id}),
    Route(
        "calendar.appointment",
        expect(401, 403, 403, 200, 200, 404),
        params=lambda w: {"appointment_id": w.appointment.id},
        headers=HX,
    ),
    # An acme admin asking for the rival's appointment: 404, like an id that does not exist.
    Route(
        "calendar.appointment",
        expect(302, 403, 403, 404, 404, 200),
        params=lambda w: {"appointment_id": w.rival_appointment.id},
    ),
]
