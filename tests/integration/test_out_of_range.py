"""Numbers no database row or calendar can hold answer 404 or 422 — never a 500."""

from __future__ import annotations

import pytest

HUGE = str(10**20)


@pytest.mark.parametrize(
    "url",
    [
        f"/calendar/appointments/{HUGE}",
        f"/bookings/{HUGE}",
        f"/bookings/{HUGE}/zoom",
        f"/bookings/{HUGE}/zoom/start",
        f"/bookings/new?client_id={HUGE}",
        "/calendar/?date=0001-01-01",
    ],
)
def test_out_of_range_urls_are_not_found(acme, as_user, url: str) -> None:
    assert as_user(acme.staff).get(url).status_code == 404


def test_a_client_portal_url_with_a_huge_id_is_not_found(acme, as_user) -> None:
    assert as_user(acme.client).get(f"/portal/bookings/{HUGE}").status_code == 404


def test_a_booking_in_the_year_9999_is_refused_with_a_message(acme, as_user) -> None:
    response = as_user(acme.staff).post(
        "/bookings/new",
        data={
            "client_id": acme.client.id,
            "service_id": acme.service.id,
            "staff_id": acme.staff.id,
            "date": "9999-12-31",
            "time": "23:30",
        },
    )
    assert response.status_code == 422
    assert b"Choose a date between 1900 and 2999." in response.data
