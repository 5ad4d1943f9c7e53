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
