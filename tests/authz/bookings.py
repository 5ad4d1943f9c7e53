"""Booking modal routes. POSTs carry acme's ids: the rival admin's org has none of them (422 / 404)."""

from tests.authz import STAFF_PAGE, Route, expect

OWN_ORG_ONLY = expect(302, 403, 403, 200, 200, 404)


def booking_form(w, **overrides) -> dict:
    data = {
        "client_id": w.acme.client.id,
        "service_id": w.acme.service.id,
        "staff_id": w.acme.staff.id,
        "date": "2030-01-09",
        "time": "10:00",
        "duration_minutes": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def appointment_id(w) -> dict:
    return {"appointment_id": w.appointment.id}


ROUTES = [
    Route("bookings.new", STAFF_PAGE),
    Route("bookings.new", expect(302, 403, 403, 303, 303, 422), method="POST", data=booking_form),
    Route("bookings.show", OWN_ORG_ONLY, params=appointment_id),
    Route(
        "bookings.show",
        expect(302, 403, 403, 404, 404, 200),
        params=lambda w: {"appointment_id": w.rival_appointment.id},
    ),
    Route("bookings.edit", OWN_ORG_ONLY, params=appointment_id),
    Route(
        "bookings.edit",
        expect(302, 403, 403, 303, 303, 404),
        method="POST",
        params=appointment_id,
        data=booking_form,
    ),
    Route("bookings.cancel", OWN_ORG_ONLY, params=appointment_id),
    # Attendance is marked once the appointment has started: the matrix's one is upcoming (422).
    Route(
        "bookings.attendance",
        expect(302, 403, 403, 422, 422, 404),
        method="POST",
        params=appointment_id,
        data=lambda w: {"attendance": "attended"},
    ),
    Route("bookings.cancel", expect(302, 403, 403, 303, 303, 404), method="POST", params=appointment_id),
    Route(
        "bookings.cancel",
        expect(302, 403, 403, 404, 404, 303),
        method="POST",
        params=lambda w: {"appointment_id": w.rival_appointment.id},
    ),
    Route("bookings.client_options", STAFF_PAGE, params=lambda w: {"client_search": "a"}),
    Route("bookings.dismiss", expect(401, 403, 403, 200, 200, 200), headers={"HX-Request": "true"}),
    Route("bookings.dismiss", expect(302, 403, 403, 302, 302, 302)),
]
