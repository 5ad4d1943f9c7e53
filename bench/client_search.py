"""Benchmark: the client search (Clients page and booking modal) over 10,000 clients of one organization.

A temporary SQLite database (PostgreSQL with --pg), built by the migrations, holds one organization with
`--clients` (10,000) clients whose names carry accents ("Lucía Gómez", "José Núñez", ...) and another
organization with 2,000 more. Signed in as staff (Flask test client), it asks the Clients page's search
(the rows fragment, as the search box does) for a mix of typed queries -- with and without accents, one
or two words, a common surname, a rare one, an email -- `--repeat` times each, and prints the p50 and p95
server time, plus the database's plan for one search (the index `ix_clients_org_search`).

Targets: p50 ≤ 25 ms and p95 ≤ 60 ms per search request.

    .venv/bin/python bench/client_search.py [--pg] [--clients 10000] [--repeat 20]
"""

from __future__ import annotations

import sys
from pathlib import Path

# As in bench/calendar.py: this folder off sys.path (its calendar.py would shadow the standard library's).
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

import argparse  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.calendar import bench_database, make_app  # noqa: E402
from bench.figures import Figure, emit  # noqa: E402
from conecta.clients.directory import SEARCH_ORDER, search_condition  # noqa: E402
from conecta.extensions import db  # noqa: E402
from conecta.models import Client, Organization, User  # noqa: E402
from conecta.models.client import client_search_text  # noqa: E402

FIRST = [
    "Lucía",
    "José",
    "María",
    "Andrés",
    "Inés",
    "Raúl",
    "Sofía",
    "Iñigo",
    "Ana",
    "Jesús",
    "Mónica",
    "Óscar",
]
LAST = ["Gómez", "Núñez", "Pérez", "Martín", "Ibáñez", "López", "Sánchez", "Díaz", "Muñoz", "Álvarez"]
QUERIES = ["gomez", "Gómez", "lucia gomez", "NUÑEZ", "ines", "ibanez muñoz", "zzz", "client42@", "oscar d"]
P50_TARGET_MS, P95_TARGET_MS = 25.0, 60.0


def seed(org: Organization, count: int, rng: random.Random, prefix: str) -> None:
    rows = []
    for n in range(count):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        email = f"{prefix}{n}@example.test"
        phone = f"+34 6{rng.randrange(10**7, 10**8)}"
        rows.append(
            {
                "org_id": org.id,
                "name": name,
                "email": email,
                "phone": phone,
                "notes": "",
                "search_text": client_search_text(name, email, phone),
                "session_version": uuid.uuid4().hex[:16],
            }
        )
    for start in range(0, len(rows), 2000):
        db.session.execute(sa.insert(Client), rows[start : start + 2000])
    db.session.commit()


def plan(dialect: str, org_id: int) -> str:
    statement = (
        sa.select(Client.id)
        .where(Client.org_id == org_id, *search_condition("gomez"))
        .order_by(*SEARCH_ORDER)
        .limit(200)
    )
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    explain = "EXPLAIN QUERY PLAN " if dialect == "SQLite" else "EXPLAIN "
    rows = db.session.execute(sa.text(explain + str(compiled))).all()
    return "\n".join("    " + str(row[-1]) for row in rows)


def measure(database: str, url: str, clients: int, repeat: int) -> list[Figure]:
    app = make_app(url)
    rng = random.Random(17)
    with app.app_context():
        upgrade()
        org, other = Organization(name="Big Clinic", timezone="Europe/Madrid"), Organization(name="Other")
        staff = User(org=org, email="staff@big.test", name="Sam", password_hash="x")
        db.session.add_all([org, other, staff])
        db.session.commit()
        seed(org, clients, rng, "client")
        seed(other, 2000, rng, "other")
        if database == "PostgreSQL":
            db.session.execute(sa.text("ANALYZE clients"))
            db.session.commit()
        http = app.test_client(user=staff)
        for query in QUERIES:  # warm up
            http.get("/clients/", query_string={"q": query}, headers={"HX-Request": "true"})
        times = []
        for _ in range(repeat):
            for query in QUERIES:
                started = time.perf_counter()
                response = http.get("/clients/", query_string={"q": query}, headers={"HX-Request": "true"})
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        found = http.get("/clients/", query_string={"q": "gomez"}, headers={"HX-Request": "true"}).text
        assert "Gómez" in found
        print(f"{database}: {clients:,} clients, {len(times)} searches")
        print(f"  the plan of one search:\n{plan(database, org.id)}")
        db.session.remove()
        db.engine.dispose()
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"  p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    label = f"{clients:,} clients ({database})"
    return [
        Figure(f"Client search p50, {label}", round(p50, 1), "ms", target=P50_TARGET_MS),
        Figure(f"Client search p95, {label}", round(p95, 1), "ms", target=P95_TARGET_MS),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with bench_database(args.pg) as (database, url):
        figures = measure(database, url, args.clients, args.repeat)
    emit(*figures)


if __name__ == "__main__":
    main()
