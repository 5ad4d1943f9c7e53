"""Pages marked `@reads_only` read outside a transaction on GET, and may not write (conecta.read_only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event, update

from conecta.extensions import db
from conecta.models import Appointment, Client
from conecta.read_only import ReadOnlyRequestWrote, reads_only
from tests.support.factories import build_org

FUTURE = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)


@pytest.fixture
def isolation_levels(app):
    """The isolation level each statement the web ran went out with ("AUTOCOMMIT" or "transaction")."""
    seen: list[str] = []

    def record(conn, *_):
        seen.append(conn.get_execution_options().get("isolation_level", "transaction"))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_read_only_pages_run_their_statements_without_a_transaction(acme, as_user, isolation_levels):
    appointment = acme.book(FUTURE)
    staff, portal = as_user(acme.staff), as_user(acme.client)
    for browser, path in (
        (staff, "/calendar/?date=2030-01-07"),
        (staff, f"/calendar/appointments/{appointment.id}"),
        (staff, "/bookings/new"),
        (staff, f"/bookings/{appointment.id}/edit"),
        (staff, f"/bookings/{appointment.id}/cancel"),
        (staff, f"/bookings/{appointment.id}/zoom"),
        (staff, "/clients/?q=a"),
        (portal, "/portal/"),
        (portal, f"/portal/bookings/{appointment.id}"),
    ):
        isolation_levels.clear()
        assert browser.get(path).status_code == 200, path
        assert isolation_levels and set(isolation_levels) == {"AUTOCOMMIT"}, (path, isolation_levels)


def test_a_post_to_the_same_view_saves_in_a_transaction(acme, as_user, isolation_levels):
    appointment = acme.book(FUTURE)
    staff = as_user(acme.staff)
    assert staff.get(f"/bookings/{appointment.id}/cancel").status_code == 200
    isolation_levels.clear()
    cancelled = staff.post(f"/bookings/{appointment.id}/cancel", data={"email_client": ""})
    assert cancelled.status_code == 303  # saved, then to the booking
    assert isolation_levels and "AUTOCOMMIT" not in isolation_levels
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).is_cancelled


def test_a_connection_handed_back_is_transactional_again(acme, as_user):
    """The pool's connections are shared: after a read-only page, a rollback still undoes a write."""
    for _ in range(3):  # whichever pooled connection comes next
        assert as_user(acme.client).get("/portal/").status_code == 200
    db.session.remove()
    db.session.execute(update(Client).where(Client.id == acme.client.id).values(name="Not kept"))
    db.session.rollback()
    assert db.session.scalar(sa.select(Client.name).where(Client.id == acme.client.id)) != "Not kept"


@pytest.mark.parametrize("how", ["flush", "update"])
def test_a_marked_view_that_writes_fails_and_writes_nothing(make_app, how):
    app = make_app()

    @app.route("/test-writes")
    @reads_only
    def writes():
        client = db.session.get(Client, org.client.id)
        if how == "flush":
            client.name = "Written"
            db.session.flush()
        else:
            db.session.execute(update(Client).where(Client.id == client.id).values(name="Written"))
        db.session.commit()
        return "wrote"

    with app.app_context():
        org = build_org()
        with pytest.raises(ReadOnlyRequestWrote, match="marked @reads_only"):
            app.test_client().get("/test-writes")
        db.session.rollback()
        assert db.session.scalar(sa.select(Client.name).where(Client.id == org.client.id)) != "Written"
