"""The Zoom panel's push (`conecta.zoom.panel_push`): a pending panel's `?wait=1` request is answered the
moment the reconcile job commits what it did; without news it answers at the end of its wait; when it
cannot wait (no free waiting slot in the process, Redis unreachable) it answers at once and the panel
polls instead.

Each waiting request runs in a thread of its own, as a browser's would against a threaded server.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from redis import Redis

from conecta import jobs
from conecta.zoom import panel_push
from tests.support.worker import free_port, run_jobs, wait_until
from tests.support.zoom_sync import START, book, fresh, settle

HX = {"HX-Request": "true"}
# Far longer than any of these tests takes: an answer that came before it came from the push.
LONG_WAIT = 120.0
PUSHED = 'hx-trigger="load, zoom-panel-retry"'  # re-asks at once, to be answered when there is news
POLLING = 'hx-trigger="load delay:1s, zoom-panel-retry"'  # the fallback: re-asks after a second


def asks_again(page: str) -> bool:
    """The panel re-fetches itself (its own hx-get; a button inside it may have one of its own)."""
    return re.search(r"<section[^>]*\bhx-get=", page) is not None


@pytest.fixture
def push_app(sync_app):
    """The sync app with a long wait and this test's own waiting slots."""
    sync_app.config.update(ZOOM_PANEL_WAIT_SECONDS=LONG_WAIT)
    sync_app.extensions.pop("zoom_panel_slots", None)
    yield sync_app
    sync_app.extensions.pop("zoom_panel_slots", None)


class PanelRequest:
    """`GET <url>` with HX-Request in a thread of its own; `.answer()` joins it."""

    def __init__(self, client: Any, url: str, headers: dict[str, str] = HX) -> None:
        self.response: Any = None
        self._thread = threading.Thread(target=self._get, args=(client, url, headers), daemon=True)
        self._thread.start()

    def _get(self, client: Any, url: str, headers: dict[str, str]) -> None:
        self.response = client.get(url, headers=headers)

    def answer(self, timeout: float = 20.0) -> str:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"no answer within {timeout} s: it was not pushed"
        assert self.response.status_code == 200
        return self.response.text


def listeners(appointment_id: int) -> int:
    ((_, count),) = jobs.redis_conn().pubsub_numsub(panel_push.channel(appointment_id))
    return count


def wait_for_listeners(appointment_id: int, count: int) -> None:
    wait_until(lambda: listeners(appointment_id) == count, timeout=20, what=f"{count} waiting panels")


def test_waiting_panels_answer_with_join_as_soon_as_the_job_settles(push_app, connected, as_user):
    appointment = book(connected)
    staff = PanelRequest(as_user(connected.staff), f"/bookings/{appointment.id}/zoom?wait=1")
    client = PanelRequest(as_user(connected.client), f"/portal/bookings/{appointment.id}/zoom?wait=1")
    wait_for_listeners(appointment.id, 2)  # both hold their request open

    assert settle(push_app, appointment.id).zoom_state == "ready"

    for page in (staff.answer(), client.answer()):
        assert "Join Zoom Meeting" in page and not asks_again(page)  # settled: it asks no more
    assert "Start meeting" in staff.answer() and "Start meeting" not in client.answer()
    assert listeners(appointment.id) == 0  # the subscriptions went with the requests


def test_a_retry_after_a_zoom_error_is_pushed_to_staff_with_its_reason(
    push_app, connected, zoom_sandbox, as_user
):
    """Not only a settled meeting: every change staff can see (here, Zoom's error and the next try)."""
    push_app.config.update(ZOOM_RETRY_BASE_SECONDS=30.0)  # the next try stays well in the future
    zoom_sandbox.set_faults(
        errors=[{"method": "POST", "path": connected.create_path, "status": 503, "count": 100}]
    )
    appointment = book(connected)
    staff = PanelRequest(as_user(connected.staff), f"/bookings/{appointment.id}/zoom?wait=1")
    wait_for_listeners(appointment.id, 1)

    run_jobs(push_app, until=lambda: fresh(appointment.id).zoom.retry_at is not None)

    page = staff.answer()
    assert "Creating Zoom meeting…" in page and "Next attempt in" in page
    assert PUSHED in page  # still pending: it goes back to waiting


def test_without_news_the_panel_answers_at_the_end_of_its_wait_and_asks_again(push_app, connected, as_user):
    push_app.config.update(ZOOM_PANEL_WAIT_SECONDS=0.2)
    appointment = book(connected)  # no worker runs: nothing is published
    page = as_user(connected.staff).get(f"/bookings/{appointment.id}/zoom?wait=1", headers=HX).text
    assert "Creating Zoom meeting…" in page and PUSHED in page
    assert f'hx-get="/bookings/{appointment.id}/zoom?wait=1"' in page
    assert listeners(appointment.id) == 0


def test_a_settled_panel_answers_at_once_even_when_asked_to_wait(push_app, connected, as_user):
    appointment = settle(push_app, book(connected).id)
    page = PanelRequest(as_user(connected.client), f"/portal/bookings/{appointment.id}/zoom?wait=1").answer()
    assert "Join Zoom Meeting" in page and not asks_again(page)


def test_waiting_slots_are_limited_per_process_and_the_rest_poll(push_app, connected, as_user):
    push_app.config.update(ZOOM_PANEL_WAIT_SLOTS=1)
    appointment = book(connected)
    first = PanelRequest(as_user(connected.staff), f"/bookings/{appointment.id}/zoom?wait=1")
    wait_for_listeners(appointment.id, 1)

    # The one slot is taken: the client's panel answers at once and polls (the fallback).
    second = as_user(connected.client).get(f"/portal/bookings/{appointment.id}/zoom?wait=1", headers=HX).text
    assert "Meeting link coming soon" in second and POLLING in second  # what a client reads meanwhile
    assert f'hx-get="/portal/bookings/{appointment.id}/zoom?wait=1"' in second

    settle(push_app, appointment.id)
    assert "Join Zoom Meeting" in first.answer()

    # The slot is free again: the next pending panel waits (briefly here) instead of polling.
    push_app.config.update(ZOOM_PANEL_WAIT_SECONDS=0.2)
    other = book(connected, starts_at=START + timedelta(hours=3))
    third = as_user(connected.staff).get(f"/bookings/{other.id}/zoom?wait=1", headers=HX).text
    assert "Creating Zoom meeting…" in third and PUSHED in third


def test_with_redis_unreachable_the_panel_polls_and_still_gets_there(push_app, connected, as_user):
    appointment = book(connected)
    reachable = push_app.extensions["redis"]
    push_app.extensions["redis"] = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=1)
    try:
        page = as_user(connected.staff).get(f"/bookings/{appointment.id}/zoom?wait=1", headers=HX).text
    finally:
        push_app.extensions["redis"] = reachable
    assert "Creating Zoom meeting…" in page and POLLING in page

    settle(push_app, appointment.id)
    page = as_user(connected.staff).get(f"/bookings/{appointment.id}/zoom?wait=1", headers=HX).text
    assert "Join Zoom Meeting" in page


def test_a_full_page_never_waits(push_app, connected, as_user):
    """Only the panel's own htmx re-fetch waits; the page at the same URL answers at once."""
    appointment = book(connected)
    page = PanelRequest(as_user(connected.staff), f"/bookings/{appointment.id}/zoom?wait=1", {}).answer()
    assert "<html" in page and "Creating Zoom meeting…" in page
