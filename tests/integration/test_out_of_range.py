"""Numbers no database row or calendar can hold: 404 in a path, ignored in a query, 422 in a form — never a 500."""

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
        f"/bookings/{2**31}",
    ],
)
def test_out_of_range_urls_are_not_found(acme, as_user, url: str) -> None:
    assert as_user(acme.staff).get(url).status_code == 404


@pytest.mark.parametrize(
    "url", [f"/bookings/new?client_id={HUGE}", f"/calendar/?staff={HUGE}", "/calendar/?date=0001-01-01"]
)
def test_out_of_range_query_values_are_ignored(acme, as_user, url: str) -> None:
    """Like any malformed value there, they fall back to the defaults (nothing pre-selected, this week)."""
    assert as_user(acme.staff).get(url).status_code == 200


def test_a_hand_made_form_with_huge_ids_is_refused_with_messages(acme, as_user) -> None:
    response = as_user(acme.staff).post(
        "/bookings/new",
        data={"client_id": HUGE, "service_id": HUGE, "staff_id": HUGE, "date": "2030-01-08", "time": "10:00"},
    )
    assert response.status_code == 422
    assert b"Choose a client." in response.data


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
