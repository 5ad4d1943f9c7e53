"""Benchmark: server time and SQL statements to render the Calendar, week view and day view.

One organization per size N, on a temporary SQLite database (PostgreSQL with --pg): in the week view N
appointments over one week, in the day view N on one day (half-hour slots from 06:00; staff enough that
nobody is double-booked: at least 10, one person per 24 slots, so a day of 5,000 has 209 people side by
side). Each view (Flask test client, signed in as an admin, full page) is rendered `--repeat` times per
size in each of `--rounds` rounds, sizes interleaved so that a busy machine slows all alike; it prints the
median server time and CPU time of all renders, and the SQL statements of one render.

Targets: the week view at N = 1,000 within 35 ms; the same statement count at every N; no worse than
linear growth: N = 5,000 (a busy clinic's month, all drawn at once) within 5 x the CPU time of
N = 1,000, in either view. The machine's speed is printed beside it (a fixed pure-Python workload),
before and after.

    .venv/bin/python bench/calendar.py [--pg] [--repeat 20] [--rounds 3] [--sizes 100,1000,5000]
                                       [--day-sizes 1000,5000] [--profile]
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
import cProfile  # noqa: E402
import io  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from datetime import time as clock  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_login import FlaskLoginClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.figures import Figure, emit  # noqa: E402
from conecta import create_app  # noqa: E402
from conecta.extensions import db  # noqa: E402
from conecta.models import Appointment, Client, Organization, Service, User  # noqa: E402
from conecta.scheduling import to_utc  # noqa: E402

MIN_STAFF = 10
SLOTS_PER_DAY = 24  # half-hour appointments per person and day at most: 06:00 to 18:00
CLIENTS = 200
WEEK = date(2030, 1, 7)  # a Monday
TZ = "America/Tijuana"
TARGET_MS = 35  # at N = 1,000
TARGET_N, LARGE_N = 1000, 5000
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


@contextmanager
def bench_database(pg: bool) -> Iterator[tuple[str, str]]:
    """A fresh, empty database for one benchmark run, and its name for the figures: a SQLite file in a
    temporary folder, or a PostgreSQL database created for the run and dropped after it."""
    if not pg:
        with tempfile.TemporaryDirectory(prefix="conecta-bench-") as tmp:
            yield "SQLite", f"sqlite:///{tmp}/bench.db"
        return
    name = f"conecta_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield "PostgreSQL", sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def logging_off(app: Flask) -> None:
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    app.logger.setLevel(logging.WARNING)


def seed(n: int, days: int) -> User:
    """A fresh organization with N appointments spread over the first `days` days of the week, nobody
    double-booked; returns its admin."""
    org = Organization(name=f"Bench {n} in {days} days", timezone=TZ)
    tag = uuid.uuid4().hex[:8]
    staff = [
        User(org=org, email=f"s{i}-{tag}@bench.test", name=f"Staff {i}", password_hash="x", role="staff")
        for i in range(max(MIN_STAFF, math.ceil(n / (days * SLOTS_PER_DAY))))
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
    # Staff take turns: days round-robin, 06:00 onwards, nobody double-booked.
    rows = []
    for i in range(n):
        person = staff[i % len(staff)]
        k = i // len(staff)
        day = WEEK + timedelta(days=k % days)
        minute = 6 * 60 + (k // days) * 30
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


@dataclass
class Size:
    """One organization of N appointments in one view (week, or day: all N on one day, side by side),
    and the timings of its renders so far."""

    view: str
    n: int
    http: FlaskClient
    wall: list[float]
    cpu: list[float]

    @property
    def url(self) -> str:
        return f"/calendar/?view={self.view}&date={WEEK.isoformat()}"

    def render(self) -> str:
        started, started_cpu = time.perf_counter(), time.process_time()
        response = self.http.get(self.url)
        self.wall.append(time.perf_counter() - started)
        self.cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200
        return response.get_data(as_text=True)


def prepare(app: Flask, view: str, n: int) -> Size:
    with app.app_context():
        session_id = seed(n, 1 if view == "day" else 7).get_id()  # "user:<id>:<version>", as a sign-in stores
        db.session.remove()
    # Requests run outside any app context, as in production: each loads the user anew.
    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True
    size = Size(view, n, http, [], [])
    html = size.render()
    drawn = html.count("data-appointment-id=")
    assert drawn == n, f"expected {n} appointments drawn, found {drawn}"
    for _ in range(2):  # warm up: template compilation, connection pool, statement caches
        size.render()
    size.wall.clear()
    size.cpu.clear()
    return size


def statements(app: Flask, size: Size) -> int:
    with app.app_context(), statement_counter() as counted:
        size.render()
    size.wall.pop()
    size.cpu.pop()
    return counted[0]


def cpu_reference_ms() -> float:
    """A fixed pure-Python workload, to compare machines: ~0.01 ms on a current laptop core."""
    timings = []
    for _ in range(200):
        started = time.perf_counter()
        sum(range(1000))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def profile(size: Size, renders: int = 20, top: int = 15) -> str:
    """cProfile's top functions by own time over some renders (its overhead inflates small calls)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(renders):
        size.http.get(size.url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def run(
    label: str, url: str, scenarios: list[tuple[str, int]], repeat: int, rounds: int, want_profile: bool
) -> list[Figure]:
    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(_BENCH_DIR.parent / "migrations"), revision="heads")
    prepared = [prepare(app, view, n) for view, n in scenarios]
    for _ in range(rounds):
        for size in prepared:
            for _ in range(repeat):
                size.render()
    counts = {(size.view, size.n): statements(app, size) for size in prepared}
    median_ms = {(size.view, size.n): statistics.median(size.wall) * 1000 for size in prepared}
    print(f"{label}: full page, median of {repeat * rounds} renders per size")
    for view in ("week", "day"):
        shown = [size for size in prepared if size.view == view]
        if shown:
            print(f"  {view} view" + (" (all N on one day, side by side)" if view == "day" else ""))
        for previous, size in zip([None, *shown], shown, strict=False):
            print_size(size, median_ms, counts[view, size.n], previous)
    if want_profile and ("week", TARGET_N) in median_ms:
        print(f"  profile of the week view at N={TARGET_N:,}, 20 renders:")
        print(profile(next(size for size in prepared if (size.view, size.n) == ("week", TARGET_N))))
    with app.app_context():
        db.engine.dispose()
    median_cpu_ms = {(size.view, size.n): statistics.median(size.cpu) * 1000 for size in prepared}
    return figures(label, median_ms, median_cpu_ms, counts)


def print_size(
    size: Size, median_ms: dict[tuple[str, int], float], statements: int, previous: Size | None
) -> None:
    ms, cpu_ms = median_ms[size.view, size.n], statistics.median(size.cpu) * 1000
    kib = len(size.render().encode()) / 1024
    growth = ""
    if previous is not None:
        per = (ms - median_ms[size.view, previous.n]) / (size.n - previous.n) * 1000
        growth = f", {per:.1f} µs per added appointment"
    verdict = ""
    if (size.view, size.n) == ("week", TARGET_N):
        verdict = "  [ok]" if ms <= TARGET_MS else f"  [over the {TARGET_MS} ms target]"
    print(
        f"    N={size.n:>5}: {ms:6.1f} ms server time ({cpu_ms:.1f} ms CPU), {statements} SQL statements, "
        f"{kib:.0f} KiB{growth}{verdict}"
    )


def figures(
    label: str,
    median_ms: dict[tuple[str, int], float],
    median_cpu_ms: dict[tuple[str, int], float],
    counts: dict[tuple[str, int], int],
) -> list[Figure]:
    """The target at N = 1,000 is server time; growth is judged on this process's CPU time, which a
    neighbour's burst on a shared machine does not inflate (PostgreSQL's own work is not in it)."""
    found = []
    if ("week", TARGET_N) in median_ms:
        found.append(
            Figure(f"Week view at N=1,000 ({label})", round(median_ms["week", TARGET_N], 1), "ms", TARGET_MS)
        )
    if len(counts) > 1:
        sizes = sorted({n for _, n in counts})
        found.append(
            Figure(
                f"Calendar SQL statements added from N={sizes[0]:,} to N={sizes[-1]:,} ({label})",
                max(counts.values()) - min(counts.values()),
                "",
                0,
                target_label="0 (constant in N)",
            )
        )
    for view in ("week", "day"):
        if (view, TARGET_N) in median_cpu_ms and (view, LARGE_N) in median_cpu_ms:
            ratio = median_cpu_ms[view, LARGE_N] / median_cpu_ms[view, TARGET_N]
            found.append(
                Figure(
                    f"{view.capitalize()} view CPU time, N=5,000 ÷ N=1,000 ({label})",
                    round(ratio, 2),
                    "",
                    LARGE_N / TARGET_N,
                    target_label="≤ 5 (linear)",
                )
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--repeat", type=int, default=20, help="renders per size and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="100,1000,5000", help="week view sizes")
    parser.add_argument("--day-sizes", default="1000,5000", help="day view sizes ('' for none)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top lines at N=1,000")
    args = parser.parse_args()
    scenarios = [("week", int(n)) for n in args.sizes.split(",") if n]
    scenarios += [("day", int(n)) for n in args.day_sizes.split(",") if n]
    measure = (args.repeat, args.rounds, args.profile)

    print(f"CPU reference: sum(range(1000)) takes {cpu_reference_ms():.3f} ms on this machine")
    with bench_database(args.pg) as (database, url):
        found = run(database, url, scenarios, *measure)
    print(f"CPU reference afterwards: {cpu_reference_ms():.3f} ms")
    emit(*found)


if __name__ == "__main__":
    main()
