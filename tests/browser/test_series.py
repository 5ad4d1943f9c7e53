"""A weekly series in a real browser, with a real worker process and the Zoom sandbox over HTTP.

Staff book Video call every Monday at 10:00 in Tijuana, four times, from 4 March 2030: the clocks change
on 10 March, so the first meeting is at 18:00 UTC and the next three at 17:00 UTC -- one meeting each.
Then "this and following" from the third date moves the third and fourth meetings (the same meetings,
PATCHed) and leaves the first two alone; and cancelling the first date alone deletes its meeting only.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from conecta.extensions import db
from conecta.models import Appointment
from conecta.zoom.decide import zoom_time
from tests.browser.axe import assert_accessible
from tests.support.factories import PASSWORD
from tests.support.worker import wait_until
from tests.support.zoom_sync import api_calls, meetings

WEEK = "/calendar/?date=2030-03-04"
EXPECTED = [datetime(2030, 3, 4, 18, 0, tzinfo=UTC)] + [
    datetime(2030, 3, d, 17, 0, tzinfo=UTC) for d in (11, 18, 25)
]


@pytest.fixture
def zoom_ready_acme(acme, connect_zoom, zoom_live_app, app):
    """acme connected to the sandbox; the test app shares the live app's job namespace."""
    connect_zoom(acme)
    app.config["CONECTA_QUEUE"] = zoom_live_app.config["CONECTA_QUEUE"]
    return acme


def occurrences() -> list[Appointment]:
    db.session.expire_all()
    query = select(Appointment).where(Appointment.series_id.is_not(None)).order_by(Appointment.starts_at)
    return list(db.session.scalars(query))


def meeting_times(sandbox) -> dict[str, str]:
    return {str(m["id"]): m["start_time"] for m in meetings(sandbox)}


def test_a_weekly_series_across_dst_gets_one_meeting_each_and_scoped_changes_reach_only_theirs(
    zoom_ready_acme,
    zoom_live_app,
    zoom_sandbox,
    worker_process,
    page,
    sign_in,
):
    acme = zoom_ready_acme
    worker_process(zoom_live_app)
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto(WEEK)

    page.get_by_role("link", name="New booking", exact=True).click()
    modal = page.get_by_role("dialog", name="New booking")
    modal.get_by_label("Client", exact=True).select_option(str(acme.client.id))
    modal.get_by_label("Service").select_option(label="Video call (30 min)")
    modal.get_by_label("Date", exact=True).fill("2030-03-04")
    modal.get_by_label("Time", exact=True).fill("10:00")
    modal.get_by_text("Repeat", exact=True).click()  # the <details> opens
    modal.get_by_label("Repeat weekly").check()
    modal.get_by_label("Mon", exact=True).check()
    modal.get_by_label("Occurrences").fill("4")
    assert_accessible(page, "booking modal, Repeat open")
    modal.get_by_role("button", name="Save booking").click()
    expect(page.get_by_text("Series booked: 4 dates.")).to_be_visible()

    # Four meetings, at the right UTC times across the DST change, one create each.
    wait_until(lambda: all(a.zoom_state == "ready" for a in occurrences()), timeout=30)
    booked = occurrences()
    assert [a.starts_at for a in booked] == EXPECTED
    times = meeting_times(zoom_sandbox)
    assert [times[a.zoom.meeting_id] for a in booked] == [zoom_time(t) for t in EXPECTED]
    assert len(api_calls(zoom_sandbox, "POST")) == 4
    ids = [a.zoom.meeting_id for a in booked]

    # "This and following" from the third date: 11:00 instead of 10:00.
    page.goto(f"/bookings/{booked[2].id}/edit")
    page.get_by_label("Time").fill("11:00")
    page.get_by_label("This one and the following ones").check()
    assert_accessible(page, "edit of an occurrence, with its scope")
    page.get_by_role("button", name="Save booking").click()
    expect(page.get_by_role("heading", name="Video call · Carla Client")).to_be_visible()  # saved: 303
    patched = {f"/v2/meetings/{ids[2]}", f"/v2/meetings/{ids[3]}"}
    wait_until(lambda: {p for _, p in api_calls(zoom_sandbox, "PATCH")} >= patched, timeout=30)
    wait_until(lambda: all(a.zoom_state == "ready" for a in occurrences()), timeout=30)
    after = occurrences()
    assert {p for _, p in api_calls(zoom_sandbox, "PATCH")} == patched  # only theirs
    assert [a.zoom.meeting_id for a in after] == ids  # the same meetings
    times = meeting_times(zoom_sandbox)
    assert [times[i] for i in ids] == [
        zoom_time(EXPECTED[0]),
        zoom_time(EXPECTED[1]),
        "2030-03-18T18:00:00Z",
        "2030-03-25T18:00:00Z",
    ]
    assert after[2].series_id != after[0].series_id  # the split: a new series from the third date

    # Cancelling only the first date deletes its meeting and no other.
    page.goto(f"/bookings/{booked[0].id}/cancel")
    assert_accessible(page, "cancel confirmation with a scope")
    page.get_by_label("Only this one").check()
    page.get_by_role("button", name="Yes, cancel booking").click()
    wait_until(
        lambda: api_calls(zoom_sandbox, "DELETE") == [("DELETE", f"/v2/meetings/{ids[0]}")], timeout=30
    )
    wait_until(lambda: sorted(meeting_times(zoom_sandbox)) == sorted(ids[1:]), timeout=30)
    assert len(api_calls(zoom_sandbox, "POST")) == 4
