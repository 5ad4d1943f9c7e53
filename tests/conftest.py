"""Shared fixtures: a real database (SQLite or PostgreSQL, by CONECTA_TEST_DB) and a real Redis.

Each test run gets its own database (a fresh file, or a fresh PostgreSQL database) built by the
migrations, and its own Redis namespace (queue names, job ids, lock keys), so runs never see each
other's data or jobs. Rows are wiped after every test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import Flask, g
from flask_login import FlaskLoginClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule

from conecta import create_app
from conecta.extensions import db

TEST_DB = os.environ.get("CONECTA_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("CONECTA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CONECTA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]
ENCRYPTION_KEY = Fernet.generate_key().decode()

# Fixture modules shared by every test directory.
pytest_plugins = [
    "tests.support.factories",
    "tests.support.smtp",
    "tests.support.worker",
    "tests.support.zoom",
    "tests.support.zoom_sync",
    "tests.support.zoom_side",
    "tests.support.zoom_hosts",
]


def _pg_url(database: str) -> str:
    return sa.engine.make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database for this run, migrated to the latest schema by the real migrations."""
    if TEST_DB == "postgresql":
        name = f"conecta_test_{RUN_ID}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = _pg_url(name)
    elif TEST_DB == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'conecta.db'}"
    else:
        raise pytest.UsageError(f"CONECTA_TEST_DB must be sqlite or postgresql, not {TEST_DB!r}")

    app = create_app(_test_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield url
    if TEST_DB == "postgresql":
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _test_config(url: str, instance: os.PathLike | None = None, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "REDIS_URL": REDIS_URL,
        "CONECTA_QUEUE": f"test-{RUN_ID}",
        "CONECTA_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "WTF_CSRF_ENABLED": False,
        "ZOOM_OAUTH_BASE_URL": "http://zoom-sandbox.invalid",
        "ZOOM_API_BASE_URL": "http://zoom-sandbox.invalid/v2",
        "SERVER_NAME": None,
        "CONECTA_BASE_URL": "http://localhost",
        # Throttling stays on, with limits no test reaches by accident (tests/integration/test_throttling.py
        # sets low ones); the suite signs in a lot.
        "CONECTA_SIGN_IN_LIMIT_PER_ACCOUNT": "10000 per minute",
        "CONECTA_SIGN_IN_LIMIT_PER_IP": "10000 per minute",
        "CONECTA_INVITE_LIMIT_PER_CLIENT": "10000 per minute",
        "CONECTA_INVITE_LIMIT_PER_IP": "10000 per minute",
    }
    config.update(overrides)
    return config


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once per run and shared by every test's app: each test builds its own app, and
    compiling the same templates again for each (tens of ms a test) was a large share of the suite's CPU.
    Keyed by template name and source checksum, so an edited template is compiled afresh."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


def _url_builders_compiled_once() -> None:
    """Each test's app also compiles a URL builder per route (Python code generated and compiled by
    Werkzeug: most of `create_app`'s time). A builder depends only on the rule's parsed parts, its
    defaults and its converters' kinds, and takes the rule itself as its first argument, so the run
    compiles each distinct one once and every app reuses it."""
    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def compile_once(self: Rule, append_unknown: bool = True):
        key = (
            tuple(self._trace),
            repr(sorted((self.defaults or {}).items())),
            tuple(
                (name, type(c), repr({k: v for k, v in vars(c).items() if k != "map"}))
                for name, c in sorted(self._converters.items())
            ),
            append_unknown,
        )
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = compile_once


_url_builders_compiled_once()


def _one_engine_per_database() -> None:
    """Every test's app on one engine per database URL and options. SQLAlchemy keeps its compiled SQL
    per engine, so with an engine per test every statement was compiled again in every test (about a
    fifth of the suite's CPU); in production one engine lives as long as the process."""
    make_engine = db._make_engine
    engines: dict[str, sa.engine.Engine] = {}

    def shared(bind_key, options: dict, app: Flask) -> sa.engine.Engine:
        options = {"query_cache_size": 5000, **options}  # the whole suite's statements stay compiled
        key = repr(sorted((k, repr(v)) for k, v in options.items()))
        if key not in engines:
            engines[key] = make_engine(bind_key, options, app)
        return engines[key]

    db._make_engine = shared


_one_engine_per_database()


@pytest.fixture
def make_app(database_url: str, tmp_path) -> Iterator:
    """Build an app on this run's database with config overrides; rows are wiped afterwards."""
    made: list[Flask] = []

    def factory(**overrides) -> Flask:
        app = create_app(_test_config(database_url, **overrides))
        app.test_client_class = FlaskLoginClient
        app.jinja_env.bytecode_cache = COMPILED_TEMPLATES

        @app.before_request
        def _forget_cached_user() -> None:
            # Tests keep an app context pushed, so requests share `g`; in production every request
            # has its own. Drop Flask-Login's cached user so each request loads its own signer-in.
            g.pop("_login_user", None)

        made.append(app)
        return app

    yield factory
    if made:
        with made[0].app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
    for app in made:
        with app.app_context():
            db.session.remove()  # the engine and its pooled connections stay for the next test


@pytest.fixture
def app(make_app) -> Iterator[Flask]:
    """The app under test, with an app context pushed (so tests can use `db.session`)."""
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask):
    """An anonymous test client."""
    return app.test_client()


@pytest.fixture
def as_user(app: Flask):
    """`as_user(user)` → a test client signed in as that staff member, admin or portal client."""

    def make(user):
        return app.test_client(user=user)

    return make


@pytest.fixture(scope="session", autouse=True)
def _clean_redis_namespace() -> Iterator[None]:
    """Drop this run's queues, jobs and locks from the shared Redis at the end."""
    yield
    from redis import Redis

    conn = Redis.from_url(REDIS_URL)
    for pattern in (f"*test-{RUN_ID}*",):
        for key in conn.scan_iter(pattern, count=1000):
            conn.delete(key)
    conn.close()
