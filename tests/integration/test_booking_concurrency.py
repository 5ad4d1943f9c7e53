"""Parallel bookings of one staff member's slot: exactly one wins, the others are told who has it.

Real HTTP (a threaded live server), one signed-in session per request, all fired at once. The staff
member's row is locked for the booking transaction (PostgreSQL: a row lock; SQLite: the write lock taken
before the conflict check), so the overlap check cannot race.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from conecta.extensions import db
from conecta.models import Appointment
from tests.support.factories import PASSWORD
from tests.support.live_server import LiveServer

PARALLEL = 6


def test_parallel_bookings_of_one_slot_make_exactly_one_appointment(app, acme) -> None:
    form = {
        "client_id": acme.client.id,
        "service_id": acme.service.id,
        "staff_id": acme.staff.id,
        "date": "2030-01-08",
        "time": "10:00",
        "duration_minutes": "",
        "notes": "",
    }
    email = acme.staff.email
    db.session.commit()
    with LiveServer(app) as server:
        sessions = []
        for _ in range(PARALLEL):
            http = requests.Session()
            signed_in = http.post(
                f"{server.url}/login", data={"email": email, "password": PASSWORD}, timeout=30
            )
            assert signed_in.status_code == 200 and signed_in.url.endswith("/calendar/"), signed_in.url
            sessions.append(http)
        start = threading.Barrier(PARALLEL)

        def book(http: requests.Session) -> requests.Response:
            start.wait(timeout=30)
            return http.post(
                f"{server.url}/bookings/new", data=form, headers={"HX-Request": "true"}, timeout=60
            )

        with ThreadPoolExecutor(PARALLEL) as pool:
            answers = list(pool.map(book, sessions))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [422] * (PARALLEL - 1), [a.text[:300] for a in answers]
    refused = [a.text for a in answers if a.status_code == 422]
    assert all("is already booked from 10:00 to 11:00" in text for text in refused)
    db.session.expire_all()
    assert len(db.session.scalars(db.select(Appointment)).all()) == 1
