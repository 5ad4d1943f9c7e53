"""The migrations at head build exactly the schema the models describe, on an empty database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from conecta import create_app
from conecta.extensions import db
from tests.conftest import PG_ADMIN_URL, TEST_DB, _test_config


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    """A brand-new database of the kind this run tests (not the run's shared one)."""
    if TEST_DB == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"conecta_migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_at_head_match_the_models(empty_database_url, tmp_path) -> None:
    app = create_app(_test_config(empty_database_url, tmp_path))
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "compare_server_default": False}
                )
                differences = compare_metadata(context, db.metadata)
                tables = set(sa.inspect(conn).get_table_names())
        finally:
            db.session.remove()
            db.engine.dispose()
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert differences == [], "the models and the migrations disagree (add a migration):\n" + "\n".join(
        map(str, differences)
    )


def test_migrations_have_one_head() -> None:
    """`flask --app wsgi db upgrade` (the README's command) needs a single head."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    directory = Path(__file__).resolve().parents[2] / "migrations"
    config = Config()
    config.set_main_option("script_location", str(directory))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_zoom_meetings_move_to_their_own_table_with_every_value(empty_database_url, tmp_path) -> None:
    """An appointment's zoom_* columns become its `zoom_meetings` row, encrypted values untouched;
    an appointment that never involved Zoom gets no row; and the move can be undone."""
    from flask_migrate import downgrade

    app = create_app(_test_config(empty_database_url, tmp_path))
    with app.app_context():
        try:
            upgrade(revision="0d7e9639e81b")  # the schema before the move
            with db.engine.begin() as conn:
                _seed_appointments_with_zoom_columns(conn)
            upgrade(revision="b7c4e2a91f30")
            with db.engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT appointment_id, wanted, state, meeting_id, join_url, passcode, attempts, "
                        "client_id, synced_duration, tracking_key FROM zoom_meetings ORDER BY appointment_id"
                    )
                ).all()
                columns = {c["name"] for c in sa.inspect(conn).get_columns("appointments")}
            downgrade(revision="0d7e9639e81b")
            with db.engine.connect() as conn:
                back = conn.execute(
                    sa.text(
                        "SELECT id, zoom_state, zoom_meeting_id, zoom_join_url FROM appointments ORDER BY id"
                    )
                ).all()
        finally:
            db.session.remove()
            db.engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, True, "ready", "81234567890", "gAAAA-join", "gAAAA-code", 0, 5, 30, "k1")
    ]
    assert not {c for c in columns if c.startswith("zoom_")}
    assert [tuple(r) for r in back] == [(1, "ready", "81234567890", "gAAAA-join"), (2, "none", None, None)]


def _seed_appointments_with_zoom_columns(conn) -> None:
    conn.execute(
        sa.text("INSERT INTO organizations (id, name, timezone, created_at) VALUES (1, 'Org', 'UTC', :t)"),
        {"t": "2030-01-01 00:00:00"},
    )
    conn.execute(
        sa.text(
            "INSERT INTO users (id, org_id, email, name, password_hash, role, active, created_at) "
            "VALUES (1, 1, 'a@x.test', 'A', 'h', 'admin', true, :t)"
        ),
        {"t": "2030-01-01 00:00:00"},
    )
    conn.execute(
        sa.text(
            "INSERT INTO clients (id, org_id, name, email, phone, notes, created_at) "
            "VALUES (5, 1, 'C', 'c@x.test', '', '', :t)"
        ),
        {"t": "2030-01-01 00:00:00"},
    )
    conn.execute(
        sa.text(
            "INSERT INTO services (id, org_id, name, duration_minutes, description, color, active, "
            "zoom_auto_create) VALUES (1, 1, 'S', 30, '', '#3b82f6', true, true)"
        )
    )
    common = "org_id, client_id, service_id, staff_id, starts_at, duration_minutes, status, notes, created_at, updated_at"
    values = (
        "1, 5, 1, 1, '2030-01-07 17:00:00', 30, 'booked', '', '2030-01-01 00:00:00', '2030-01-01 00:00:00'"
    )
    conn.execute(
        sa.text(
            f"INSERT INTO appointments (id, {common}, zoom_wanted, zoom_state, zoom_meeting_id, zoom_join_url, "
            "zoom_passcode, zoom_client_id, zoom_synced_duration, zoom_tracking_key, zoom_attempts, "
            f"zoom_wanted_service_id) VALUES (1, {values}, true, 'ready', '81234567890', 'gAAAA-join', "
            "'gAAAA-code', 5, 30, 'k1', 0, 1)"
        )
    )
    conn.execute(
        sa.text(
            f"INSERT INTO appointments (id, {common}, zoom_wanted, zoom_state, zoom_attempts, zoom_wanted_service_id) "
            f"VALUES (2, {values}, false, 'none', 0, 1)"
        )
    )


def test_hosts_and_settings_keep_every_existing_row_as_it_behaved(empty_database_url, tmp_path) -> None:
    """An existing connection is user mode, existing services ask for Zoom's defaults, and existing
    meetings are on the connecting user (no host): nothing moves or changes after the upgrade. Undoable."""
    from flask_migrate import downgrade

    app = create_app(_test_config(empty_database_url, tmp_path))
    with app.app_context():
        try:
            upgrade(revision="b7c41e2f9a60")  # the schema before hosts and settings
            with db.engine.begin() as conn:
                _seed_connection_service_and_meeting(conn)
            upgrade(revision="c3d9a7e5f1b2")
            with db.engine.connect() as conn:
                mode = conn.execute(sa.text("SELECT mode FROM zoom_connections")).scalar_one()
                service = conn.execute(
                    sa.text(
                        "SELECT zoom_waiting_room, zoom_join_before_host, zoom_mute_upon_entry, "
                        "zoom_auto_recording, zoom_require_passcode FROM services"
                    )
                ).one()
                meeting = conn.execute(
                    sa.text(
                        "SELECT meeting_id, wanted_host_id, host_user_id, synced_settings, applied_settings "
                        "FROM zoom_meetings"
                    )
                ).one()
            downgrade(revision="b7c41e2f9a60")
            with db.engine.connect() as conn:
                back = conn.execute(sa.text("SELECT meeting_id, join_url FROM zoom_meetings")).one()
                tables = set(sa.inspect(conn).get_table_names())
        finally:
            db.session.remove()
            db.engine.dispose()
    assert mode == "user"
    assert tuple(service) == (False, False, False, "none", False)
    assert tuple(meeting) == ("81234567890", None, None, None, None)
    assert tuple(back) == ("81234567890", "gAAAA-join")
    assert not {"zoom_hosts", "zoom_account_users"} & tables


def _seed_connection_service_and_meeting(conn) -> None:
    at = {"t": "2030-01-01 00:00:00"}
    conn.execute(
        sa.text("INSERT INTO organizations (id, name, timezone, created_at) VALUES (1, 'Org', 'UTC', :t)"), at
    )
    conn.execute(
        sa.text(
            "INSERT INTO users (id, org_id, email, name, password_hash, role, active, created_at) "
            "VALUES (1, 1, 'a@x.test', 'A', 'h', 'admin', true, :t)"
        ),
        at,
    )
    conn.execute(
        sa.text(
            "INSERT INTO clients (id, org_id, name, email, phone, notes, created_at) "
            "VALUES (5, 1, 'C', 'c@x.test', '', '', :t)"
        ),
        at,
    )
    conn.execute(
        sa.text(
            "INSERT INTO services (id, org_id, name, duration_minutes, description, color, active, "
            "zoom_auto_create) VALUES (1, 1, 'S', 30, '', '#3b82f6', true, true)"
        )
    )
    conn.execute(
        sa.text(
            "INSERT INTO zoom_connections (id, org_id, zoom_user_id, zoom_email, zoom_account_id, scopes, "
            "access_token, refresh_token, access_token_expires_at, status, connected_at) VALUES "
            "(1, 1, 'u1', 'host@x.test', 'acc', 'meeting:write:meeting', 'gAAAA-a', 'gAAAA-r', :t, 'active', :t)"
        ),
        at,
    )
    conn.execute(
        sa.text(
            "INSERT INTO appointments (id, org_id, client_id, service_id, staff_id, starts_at, duration_minutes, "
            "status, notes, created_at, updated_at) VALUES (1, 1, 5, 1, 1, :t, 30, 'booked', '', :t, :t)"
        ),
        at,
    )
    conn.execute(
        sa.text(
            "INSERT INTO zoom_meetings (appointment_id, wanted, state, attempts, meeting_id, join_url) "
            "VALUES (1, true, 'ready', 0, '81234567890', 'gAAAA-join')"
        )
    )


def test_a_create_in_flight_at_upgrade_becomes_an_open_attempt(empty_database_url, tmp_path) -> None:
    """A tracking key without a meeting (a create whose answer may be lost) is followed up after the
    upgrade like any other, on the host the create went to; answered creates open nothing; and the table
    can be dropped again."""
    from flask_migrate import downgrade

    app = create_app(_test_config(empty_database_url, tmp_path))
    with app.app_context():
        try:
            upgrade(revision="0d7e9639e81b")
            with db.engine.begin() as conn:
                _seed_appointments_with_zoom_columns(conn)  # appointment 1: ready, key k1, a meeting
            upgrade(revision="c5e1d7a3b902")  # the schema before the attempts
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO zoom_meetings (appointment_id, wanted, state, attempts, tracking_key, "
                        "host_user_id, wanted_host_id) VALUES (2, true, 'pending', 1, 'k2', 'zu-2', 'zu-2')"
                    )
                )
            upgrade(revision="d4f2b8c6a1e3")
            with db.engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT tracking_key, org_id, appointment_id, host_user_id, calls, attempted_at "
                        "FROM zoom_create_attempts"
                    )
                ).all()
            downgrade(revision="c5e1d7a3b902")
            with db.engine.connect() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                columns = {c["name"] for c in sa.inspect(conn).get_columns("zoom_meetings")}
        finally:
            db.session.remove()
            db.engine.dispose()
    ((key, org_id, appointment_id, host, calls, attempted_at),) = rows
    assert (key, org_id, appointment_id, host, calls) == ("k2", 1, 2, "zu-2", 1)
    assert attempted_at is not None
    assert "zoom_create_attempts" not in tables and "verify_at" not in columns
