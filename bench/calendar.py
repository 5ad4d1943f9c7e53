"""Benchmark: server time and SQL statements to render the Calendar week view.

An organization with 10 staff and N appointments in one week, on a temporary SQLite database (and a
temporary PostgreSQL database with --pg). For N = 100 and N = 1,000 it prints the median time of
~20 renders of the week view (Flask test client, signed in as an admin, full page) and the number of
SQL statements one render issues. Target: under 50 ms at N = 1,000, and a count that does not grow.

    .venv/bin/python bench/calendar.py [--pg] [--repeat 20] [--sizes 100,1000]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this file is called calendar.py:
# drop the folder so `import calendar` (used by the standard library) finds the real module.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from datetime import time as clock  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from flask import Flask  # noqa: E402
from flask_login import FlaskLoginClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from conecta import create_app  # noqa: E402
from conecta.extensions import db  # noqa: E402
from conecta.models import Appointment, Client, Organization, Service, User  # noqa: E402
from conecta.scheduling import to_utc  # noqa: E402

STAFF = 10
CLIENTS = 200
WEEK = date(2030, 1, 7)  # a Monday
TZ = "America/Tijuana"
PG_ADMIN_URL = os.environ.get("CONECTA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def make_app(url: str) -> Flask:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "CONECTA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "WTF_CSRF_ENABLED": False,
            "CONECTA_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
        }
    )
    app.test_client_class = FlaskLoginClient
    logging_off(app)
    return app


def logging_off(app: Flask) -> None:
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    app.logger.setLevel(logging.WARNING)


def seed(n: int) -> User:
    """A fresh organization with N non-overlapping appointments spread over one week; returns its admin."""
    org = Organization(name=f"Bench {n}", timezone=TZ)
    tag = uuid.uuid4().hex[:8]
    staff = [
        User(org=org, email=f"s{i}-{tag}@bench.test", name=f"Staff {i}", password_hash="x", role="staff")
        for i in range(STAFF)
    ]
    staff[0].role = "admin"
    clients = [Client(org=org, name=f"Client {i}", email=f"c{i}-{tag}@bench.test") for i in range(CLIENTS)]
    services = [
        Service(org=org, name=name, duration_minutes=30, color=color)
        for name, color in (("Consultation", "#2563eb"), ("Follow-up", "#059669"), ("Video call", "#d97706"))
    ]
    db.session.add_all([org, *staff, *clients, *services])
    db.session.flush()
    rng = random.Random(n)
    # Each staff member gets N/10 half-hour slots: days round-robin, 06:00 onwards, no double-booking.
    rows = []
    for i in range(n):
        person = staff[i % STAFF]
        k = i // STAFF
        day = WEEK + timedelta(days=k % 7)
        minute = 6 * 60 + (k // 7) * 30
        rows.append(
            {
                "org_id": org.id,
                "client_id": rng.choice(clients).id,
                "service_id": rng.choice(services).id,
                "staff_id": person.id,
                "starts_at": to_utc(day, clock(minute // 60, minute % 60), TZ),
                "duration_minutes": 30,
                "status": "cancelled" if rng.random() < 0.05 else "booked",
                "notes": "",
            }
        )
    db.session.execute(sa.insert(Appointment), rows)
    db.session.commit()
    return staff[0]


@contextmanager
def statement_counter():
    counted = [0]

    def count(*_args) -> None:
        counted[0] += 1

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def measure(app: Flask, n: int, repeat: int) -> dict[str, float]:
    with app.app_context():
        session_id = seed(n).get_id()  # "user:<id>:<session version>", what a sign-in stores
        db.session.remove()
    # Requests run outside any app context, as in production: each loads the user anew.
    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True
    url = f"/calendar/?date={WEEK.isoformat()}"
    for _ in range(3):  # warm up: template compilation, connection pool, statement caches
        assert http.get(url).status_code == 200
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = http.get(url)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200
    html = response.get_data(as_text=True)
    drawn = html.count("data-appointment-id=")
    assert drawn == n, f"expected {n} appointments drawn, found {drawn}"
    with app.app_context(), statement_counter() as counted:
        http.get(url)
    return {
        "wall_ms": statistics.median(wall) * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
        "statements": counted[0],
        "kib": len(html.encode()) / 1024,
    }


def cpu_reference_ms() -> float:
    """A fixed pure-Python workload, to compare machines: ~0.01 ms on a current laptop core."""
    timings = []
    for _ in range(200):
        started = time.perf_counter()
        sum(range(1000))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def run(label: str, url: str, sizes: list[int], repeat: int) -> None:
    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(_BENCH_DIR.parent / "migrations"), revision="heads")
    print(f"{label}: week view (full page), {STAFF} staff, median of {repeat} renders")
    for n in sizes:
        m = measure(app, n, repeat)
        verdict = "ok" if m["wall_ms"] < 50 else "over the 50 ms target"
        print(
            f"  N={n:>5}: {m['wall_ms']:6.1f} ms server time ({m['cpu_ms']:.1f} ms CPU), "
            f"{m['statements']} SQL statements, {m['kib']:.0f} KiB  [{verdict}]"
        )
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", action="store_true", help="also run on a temporary PostgreSQL database")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sizes", default="100,1000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"CPU reference: sum(range(1000)) takes {cpu_reference_ms():.3f} ms on this machine")
    with tempfile.TemporaryDirectory(prefix="conecta-bench-") as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.db", sizes, args.repeat)

    if args.pg:
        name = f"conecta_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            run(
                "PostgreSQL",
                sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False),
                sizes,
                args.repeat,
            )
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
