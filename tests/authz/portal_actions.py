"""Portal cancellation (a client's own upcoming booking only; anyone else's is 404) and Settings →
Organization (admins only; an empty form is invalid, 422, in one's own organization)."""

from tests.authz import ADMIN_PAGE, Route, expect


def _mine(w):
    return {"appointment_id": w.appointment.id}


def _rivals(w):
    return {"appointment_id": w.rival_appointment.id}


ROUTES = [
    Route("portal.cancel_booking", expect(302, 200, 404, 403, 403, 403), params=_mine),
    Route("portal.cancel_booking", expect(302, 303, 404, 403, 403, 403), method="POST", params=_mine),
    Route("portal.cancel_booking", expect(302, 404, 404, 403, 403, 403), params=_rivals),
    Route("portal.cancel_booking", expect(302, 404, 404, 403, 403, 403), method="POST", params=_rivals),
    Route("settings.organization", ADMIN_PAGE),
    Route("settings.organization", expect(302, 403, 403, 403, 422, 422), method="POST"),
]
