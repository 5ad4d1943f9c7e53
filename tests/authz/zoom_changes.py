"""Staff's answers to changes made in Zoom (the Zoom panel's Recreate and resend, Put Zoom back, Move the
appointment to Zoom's time): staff and admins of the organization; nothing for clients; 404 elsewhere.
(The appointment here has no Zoom meeting: the action does nothing and answers with the panel's page.)"""

from tests.authz import Route, expect


def appointment_id(w) -> dict:
    return {"appointment_id": w.appointment.id}


STAFF_ACTION = expect(302, 403, 403, 303, 303, 404)

ROUTES = [
    Route("bookings.zoom_recreate", STAFF_ACTION, method="POST", params=appointment_id),
    Route("bookings.zoom_put_back", STAFF_ACTION, method="POST", params=appointment_id),
    Route("bookings.zoom_move_to_zoom_time", STAFF_ACTION, method="POST", params=appointment_id),
]
