"""A 52-week series and Zoom's per-host daily limit, through the real pipeline, worker and sandbox.

Sam's Zoom user has 10 creates left today: 10 meetings are made, the other 42 wait -- visibly, in each
occurrence's panel -- for 00:00 GMT, while the series email waits for them; released by the outbox
sweep, it lists the 10 Join links and says "coming soon" for the 42. The next day (the sandbox's budget
back, the wait over) the last 2 are made: 52 meetings, one each, and no email per occurrence.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from conecta.bookings import series as series_service
from conecta.extensions import db
from conecta.mail import outbox
from conecta.models import Appointment, ZoomMeeting
from conecta.models.email import SERIES_KINDS, EmailStatus, OutboxEmail
from conecta.models.types import utcnow
from conecta.scheduling import BookingDetails
from conecta.scheduling.series import Repeat
from conecta.zoom import dispatch
from tests.support.smtp import text_parts
from tests.support.worker import run_jobs
from tests.support.zoom_side import run_until_quiet
from tests.support.zoom_sync import START, meetings

HX = {"HX-Request": "true"}


def states() -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(select(ZoomMeeting.state, db.func.count()).group_by(ZoomMeeting.state)).all()
    return {str(state): n for state, n in rows}


def waiting_ids() -> list[int]:
    db.session.expire_all()
    query = select(ZoomMeeting.appointment_id).where(ZoomMeeting.retry_at.is_not(None))
    return list(db.session.scalars(query))


def test_a_52_week_series_waits_visibly_for_the_daily_limit_and_gets_every_meeting_later(
    team, sync_app, zoom_sandbox, as_user, mailbox
):
    acme = team.org
    zoom_sandbox.set_limit(acme.staff.email, used=50)  # 50 creates left today for Sam's Zoom user
    details = BookingDetails(client=acme.client, service=acme.zoom_service, staff=acme.staff, starts_at=START)
    plan = series_service.plan_series(acme.org, details, Repeat(1, (0,), count=52))
    booked = series_service.book_series(acme.org, details, plan)
    assert len(booked) == 52

    run_jobs(sync_app, until=lambda: states().get("ready") == 50 and len(waiting_ids()) == 2, timeout=60)
    waiting = db.session.get(Appointment, waiting_ids()[0])
    assert "daily limit" in waiting.zoom.error
    panel = as_user(acme.staff).get(f"/bookings/{waiting.id}/zoom", headers=HX).text
    assert "Waiting for Zoom" in panel and "staff@acme.test" in panel
    (series_email,) = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind.in_(SERIES_KINDS)))
    assert series_email.status == EmailStatus.WAITING  # its meetings are not all made

    # The outbox sweep lets it go without the links still due.
    sync_app.config["MAIL_ZOOM_WAIT_SECONDS"] = 0
    outbox.sweep()
    run_until_quiet(sync_app)
    assert len(mailbox.messages) == 1
    body = text_parts(mailbox.messages[0].message)["text/plain"]
    assert body.count("Join Zoom meeting:") == 50
    assert body.count("Meeting link coming soon") == 2

    # The next day: the budget is back and the wait is over; the last 2 are made, with no email each.
    zoom_sandbox.set_limit(acme.staff.email, used=0)
    db.session.execute(update(ZoomMeeting).values(retry_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    for appointment_id in waiting_ids():
        dispatch.request_reconcile(appointment_id)
    run_jobs(sync_app, until=lambda: states().get("ready") == 52, timeout=60)
    run_until_quiet(sync_app)
    held = meetings(zoom_sandbox)
    assert len(held) == 52 and len({m["id"] for m in held}) == 52
    assert len(mailbox.messages) == 1
