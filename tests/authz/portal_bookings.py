"""Portal booking pages: a client sees only their own booking; everyone else's is 404."""

from tests.authz import Route, expect

ROUTES = [
    Route(
        "portal.booking",
        expect(302, 200, 404, 403, 403, 403),
        params=lambda w: {"appointment_id": w.appointment.id},
    ),
    Route(
        "portal.booking",
        expect(302, 404, 404, 403, 403, 403),
        params=lambda w: {"appointment_id": w.rival_appointment.id},
    ),
]
