"""Group sessions' Add client / Remove (on the bookings blueprint). World's appointment is an ordinary
one: acme's staff are refused with a 422 (not a group session); the rival admin gets 404."""

from tests.authz import Route, expect

REFUSED_HERE = expect(302, 403, 403, 422, 422, 404)

ROUTES = [
    Route(
        "bookings.add_participant",
        REFUSED_HERE,
        method="POST",
        params=lambda w: {"appointment_id": w.appointment.id},
        data=lambda w: {"client_id": w.acme.other_client.id},
    ),
    Route(
        "bookings.remove_participant",
        REFUSED_HERE,
        method="POST",
        params=lambda w: {"appointment_id": w.appointment.id, "client_id": w.acme.client.id},
    ),
]
