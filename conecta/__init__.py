"""Conecta: scheduling for small organizations, with Zoom meetings that follow appointments."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter

from conecta import crypto, i18n, jobs, read_only, security
from conecta.config import Config
from conecta.extensions import csrf, db, htmx, limiter, login_manager, migrate, oauth
from conecta.models.types import MAX_DATABASE_ID
from conecta.web import render_page_or_fragment
from conecta.zoom.oauth import OAuthStateCache


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app factory: configuration, extensions, blueprints, CLI, error pages."""
    app = Flask(__name__, instance_relative_config=True)
    # An id past our integer columns would overflow the database driver (a 500): such URLs do not match (404).
    app.url_map.converters["int"] = DatabaseIdConverter
    app.config.from_mapping(Config().as_dict())
    if config:
        app.config.from_mapping(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _resolve_defaults(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    db.init_app(app)
    _use_sqlite_wal(app)
    with app.app_context():
        read_only.init_app(app, db.engine)  # the first hook: before anything reads the database
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    i18n.init_app(app)  # gettext in Python and templates, Babel's date formats
    crypto.init_app(app)
    jobs.init_app(app)
    oauth.init_app(app, cache=OAuthStateCache())  # PKCE verifier and state stay server-side
    _resolve_web_defaults(app)
    limiter.init_app(app)
    security.init_app(app)

    from conecta import models  # noqa: F401  (register tables)
    from conecta.auth import bp as auth_bp
    from conecta.bookings import bp as bookings_bp
    from conecta.calendar import bp as calendar_bp
    from conecta.clients import bp as clients_bp
    from conecta.portal import bp as portal_bp
    from conecta.settings import bp as settings_bp

    for bp in (auth_bp, calendar_bp, bookings_bp, clients_bp, settings_bp, portal_bp):
        app.register_blueprint(bp)
    from conecta.zoom.webhooks import bp as webhooks_bp

    app.register_blueprint(webhooks_bp)
    from conecta import metrics, probes

    app.register_blueprint(probes.bp)
    metrics.init_app(app)  # request latency per endpoint, and /metrics
    csrf.exempt("conecta.zoom.webhooks.zoom")  # signed by Zoom instead; the only CSRF-exempt route

    from conecta import cli, mail, templating

    cli.init_app(app)
    mail.init_app(app)  # email actions and, in development, the Dev mailbox
    templating.init_app(app)
    _register_error_pages(app)

    @app.after_request
    def vary_on_htmx(response):
        # One URL answers with a page or a fragment: caches must keep them apart.
        response.vary.add("HX-Request")
        return response

    return app


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` bounded to what a database integer column can hold."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(map, *args, **kwargs)


def _resolve_defaults(app: Flask) -> None:
    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'conecta.db'}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite has one writer at a time: wait for it (parallel bookings queue up) rather than fail.
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("pool_size", int(app.config.get("DATABASE_POOL_SIZE", 16)))
        options.setdefault("max_overflow", int(app.config.get("DATABASE_POOL_OVERFLOW", 4)))
    if not app.config.get("SECRET_KEY"):
        if app.config.get("ENV_NAME") == "production":
            raise RuntimeError("SECRET_KEY is not set: refusing to start in production.")
        key_file = instance / "secret.key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
        app.config["SECRET_KEY"] = key_file.read_text().strip()


def _write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _use_sqlite_wal(app: Flask) -> None:
    """SQLite in write-ahead-log mode: readers never wait for a writer (the web app, the workers and the
    sweeps share one file), and a commit is one synced append instead of a rollback journal written,
    synced and deleted (~1 ms of disk and 0.3 ms of CPU less per commit). Just as durable: `synchronous`
    stays FULL, so a committed tracking key survives a power cut. (A module-level listener: SQLAlchemy
    registers the same function once, so an engine shared by several apps runs it once.)"""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        sa.event.listen(db.engine, "connect", _write_ahead_log)


def _resolve_web_defaults(app: Flask) -> None:
    """The base URL every absolute link uses, the Host names answered, and where throttling counts."""
    if not app.config.get("CONECTA_BASE_URL"):
        if app.config.get("ENV_NAME") == "production":
            raise RuntimeError("CONECTA_BASE_URL is not set: refusing to start in production.")
        app.config["CONECTA_BASE_URL"] = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    app.config["CONECTA_BASE_URL"] = app.config["CONECTA_BASE_URL"].rstrip("/")
    if app.config.get("ENV_NAME") == "production":
        app.config["SESSION_COOKIE_SECURE"] = True  # production is served over HTTPS only (HSTS too)
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = security.trusted_hosts(app.config)
    # Throttling counts live in the app's Redis, inside this deployment's (or test run's) namespace.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", {"key_prefix": f"{app.config['CONECTA_QUEUE']}:limits"}
    )


def _register_error_pages(app: Flask) -> None:
    def render_error(status: int, title: str, message: str):
        return render_page_or_fragment(
            "errors/error.html", "partials/_error.html", status, title=title, message=message
        )

    @app.errorhandler(400)
    def bad_request(e):
        if isinstance(e, SecurityError):
            # A Host this app does not serve: no URL can be built for it, so no page either.
            return "Bad request: this host is not served here.", 400, {"Content-Type": "text/plain"}
        return render_error(400, gettext("Bad request"), gettext("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(
            400,
            gettext("Form expired"),
            gettext("The form expired or was not sent from Conecta. Reload the page and try again."),
        )

    @app.errorhandler(403)
    def forbidden(e):
        return render_error(
            403,
            gettext("Not allowed"),
            gettext("Your role does not allow this. Ask an admin of your organization."),
        )

    @app.errorhandler(404)
    def not_found(e):
        return render_error(
            404, gettext("Not found"), gettext("There is nothing here, or it belongs to someone else.")
        )

    @app.errorhandler(405)
    def method_not_allowed(e):
        return render_error(405, gettext("Not allowed"), gettext("That action is not available here."))

    @app.errorhandler(413)
    def too_large(e):
        return render_error(
            413,
            gettext("Too large"),
            gettext("What was sent is larger than Conecta accepts. Shorten it, then try again."),
        )

    @app.errorhandler(429)
    def too_many_requests(e):
        # Flask-Limiter adds Retry-After (seconds until the window that was exceeded resets).
        return render_error(
            429,
            gettext("Too many attempts"),
            gettext("There were too many attempts in a short time. Wait a few minutes, then try again."),
        )

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(
            500,
            gettext("Something went wrong"),
            gettext("We could not finish that. Nothing was lost; please try again."),
        )
