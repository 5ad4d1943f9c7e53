"""Pages that only read run their statements outside a transaction: two database round trips fewer.

A transaction costs two round trips of its own: psycopg sends BEGIN before the first statement, and the
connection pool sends ROLLBACK when the request hands the connection back. For a page that reads two
rows (the signed-in person, then the page's own rows) that is half its round trips, and under load each
round trip is also a wait for the CPU, on our side and on PostgreSQL's. In autocommit each statement is
its own transaction; under READ COMMITTED (PostgreSQL's default, and ours) each statement of a
transaction takes a snapshot of its own anyway, so a page read this way sees exactly what it would have
seen inside one.

A view marked `@reads_only` says so for its GET requests: they bind to the same engine and pool with
`isolation_level="AUTOCOMMIT"` (SQLAlchemy sets it on the connection when it is taken and resets it when
it is handed back). Should such a request try to write -- a flush, or an UPDATE, INSERT or DELETE --
it fails with `ReadOnlyRequestWrote` instead of committing statement by statement: the mark is a promise
the test suite holds it to. POSTs to the same view run in a transaction as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState

F = TypeVar("F", bound=Callable[..., Any])


class ReadOnlyRequestWrote(RuntimeError):
    """A view marked `@reads_only` tried to write."""


def reads_only(view: F) -> F:
    """Mark a view whose GET requests only read (see the module's docstring)."""
    view.reads_only = True  # type: ignore[attr-defined]
    return view


def _reading() -> bool:
    return has_request_context() and g.get("reads_only", False)


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, bound to the autocommit engine while a read-only request runs."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        if _reading():
            return current_app.extensions["autocommit_engine"]
        return super().get_bind(*args, **kwargs)


@event.listens_for(Session, "do_orm_execute")
def _refuse_statements_that_write(state: ORMExecuteState) -> None:
    if not state.is_select and _reading():
        raise ReadOnlyRequestWrote(f"{request.endpoint} is marked @reads_only but wrote")


@event.listens_for(Session, "before_flush")
def _refuse_flushes(session: Session, *_: Any) -> None:
    if _reading():
        raise ReadOnlyRequestWrote(f"{request.endpoint} is marked @reads_only but flushed changes")


def init_app(app: Flask, engine: Engine) -> None:
    """Before any other hook reads the database: a request's statements all go through one engine."""
    app.extensions["autocommit_engine"] = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.before_request(_mark_read_only_requests)


def _mark_read_only_requests() -> None:
    # Set on every request: an app context that outlives one request (a test's) keeps its `g`.
    view = current_app.view_functions.get(request.endpoint or "")
    g.reads_only = request.method in ("GET", "HEAD") and getattr(view, "reads_only", False)
