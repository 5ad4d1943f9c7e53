"""Micro-profile: the web CPU of each request kind of bench/load.py, in-process, on PostgreSQL.

The load's world (40 staff, 200 clients, Zoom connected; bench/load.py's LoadWorld), signed in through the
Flask test client as one staff member and one portal client; each kind repeated `--repeat` times. Prints
process CPU per request per kind (ms); with `--profile FILE`, writes cProfile stats of them all (`python -m
pstats FILE`), or of the kinds named by `--only`. No worker runs meanwhile: the bookings' jobs wait in
Redis, under the run's own namespace. With `--jobs`, they are then worked in this process, one at a time,
and their CPU and SQL statements printed per kind of job (Zoom syncs, emails), RQ's handling included.

    .venv/bin/python bench/profile_requests.py [--repeat 30] [--profile /tmp/web.prof] [--only KINDS]
                                               [--jobs] [--sqlite]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import random
import time
from collections import defaultdict
from datetime import timedelta

# isort: off
from load import PASSWORD, SEARCHES, LoadWorld, job_label  # zoom_harness (through load) sets sys.path
from zoom_harness import FIRST_DAY

# isort: on
from sqlalchemy import event

from conecta import collector
from conecta.extensions import db

HX = {"HX-Request": "true"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", help="write cProfile stats (CPU clock) here")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--sql", action="store_true", help="print every SQL statement (with --repeat 1)")
    parser.add_argument(
        "--jobs",
        action="store_true",
        help="then run the jobs the requests queued, in-process: CPU per job kind",
    )
    parser.add_argument("--only", help="profile only these kinds (comma-separated, e.g. 'booking form,book')")
    args = parser.parse_args()
    rng = random.Random(1)
    cpu: dict[str, list[float]] = defaultdict(list)
    statements: dict[str, list[int]] = defaultdict(list)
    profiler = cProfile.Profile(time.process_time)

    with LoadWorld(pg=not args.sqlite, staff=41, portal=20) as world:
        app = world.app
        collector.settle_after_load()  # as each web process does once its app is loaded
        queries = [0]
        with app.app_context():
            event.listen(
                db.engine, "before_cursor_execute", lambda *a: queries.__setitem__(0, queries[0] + 1)
            )
            if args.sql:
                event.listen(
                    db.engine,
                    "before_cursor_execute",
                    lambda c, cur, sql, *a: print("SQL", sql[:160].replace("\n", " ")),
                )
        app.config["RATELIMIT_ENABLED"] = False
        staff_id, email = world.staff[0]
        web = app.test_client()
        signed = web.post("/login", data={"email": email, "password": PASSWORD})
        assert signed.status_code in (200, 302, 303), (signed.status_code, signed.text[:300])
        portal = app.test_client()
        portal.post("/portal/login", data={"email": world.portal_emails[0], "password": PASSWORD})
        live: list[int] = []
        slot = iter(range(10**6))

        def form() -> dict[str, str]:
            k = next(slot)
            day = FIRST_DAY + timedelta(days=k % 56)
            service = world.service_id if rng.random() < 0.8 else world.visit_id
            return {
                "client_id": str(rng.choice(world.client_ids)), "service_id": str(service),
                "staff_id": str(staff_id), "date": day.isoformat(), "time": f"{7 + k // 56:02d}:00",
                "duration_minutes": "", "notes": "",
            }  # fmt: skip

        def run(kind: str, client, method: str, path: str, **kwargs):
            before = queries[0]
            started = time.process_time()
            profiled = args.profile and (not args.only or kind in args.only.split(","))
            if profiled:
                profiler.enable()
            if args.sql:
                print("==", kind)
            response = client.open(path, method=method, **kwargs)
            if profiled:
                profiler.disable()
            cpu[kind].append(time.process_time() - started)
            statements[kind].append(queries[0] - before)
            assert response.status_code < 400, (kind, response.status_code)
            return response

        def one_round(i: int) -> None:
            day = (FIRST_DAY + timedelta(days=rng.randrange(56))).isoformat()
            own = f"&staff={staff_id}" if i % 2 else ""
            run("calendar", web, "GET", f"/calendar/?date={day}{own}")
            run("booking form", web, "GET", "/bookings/new", headers=HX)
            answer = run("book", web, "POST", "/bookings/new", data=form(), headers=HX)
            live.append(json.loads(answer.headers["HX-Trigger"])["appointment-saved"]["id"])
            run("zoom panel", web, "GET", f"/bookings/{live[-1]}/zoom", headers=HX)
            run("drawer", web, "GET", f"/calendar/appointments/{rng.choice(live)}", headers=HX)
            run("search", web, "GET", "/clients/", query_string={"q": rng.choice(SEARCHES)}, headers=HX)
            target = rng.choice(live)
            run("edit form", web, "GET", f"/bookings/{target}/edit", headers=HX)
            run("reschedule", web, "POST", f"/bookings/{target}/edit", data=form(), headers=HX)
            if len(live) > 3:
                target = live.pop(rng.randrange(len(live)))
                run("cancel confirm", web, "GET", f"/bookings/{target}/cancel", headers=HX)
                run("cancel", web, "POST", f"/bookings/{target}/cancel", headers=HX)
            run("portal", portal, "GET", "/portal/")

        one_round(0)  # warm: templates compiled, connections open
        cpu.clear()
        statements.clear()
        profiler = cProfile.Profile(time.process_time)
        for i in range(args.repeat):
            one_round(i + 1)
        if args.profile:
            profiler.dump_stats(args.profile)
        if args.jobs:
            with app.app_context():
                job_cpu, job_statements = run_jobs(queries)

    total = sum(sum(v) for v in cpu.values()) / sum(len(v) for v in cpu.values())
    for kind, values in cpu.items():
        per = 1000 * sum(values) / len(values)
        sql = sum(statements[kind]) / len(values)
        print(f"  {kind:<16} n={len(values):>4}  CPU {per:6.1f} ms/request  {sql:5.1f} SQL statements")
    print(f"  {'all':<16} CPU {1000 * total:6.1f} ms/request (unweighted)")
    if args.jobs:
        print("  the jobs they queued, run in-process (RQ's handling of each job included):")
        for name, values in sorted(job_cpu.items(), key=lambda item: -sum(item[1])):
            per = 1000 * sum(values) / len(values)
            sql = sum(job_statements[name]) / len(values)
            print(f"  {name:<32} n={len(values):>4}  CPU {per:6.1f} ms/job  {sql:5.1f} SQL statements")


def run_jobs(queries: list[int]) -> tuple[dict[str, list[float]], dict[str, list[int]]]:
    """Work the run's queues (Zoom first, then mail, as worker.py orders them) until they are empty,
    one job at a time in this process; CPU and SQL statements per job, by the job's function and result.
    They run after every request, so most find their appointment changed again or cancelled since
    ("nothing-to-do", "skipped"): those show what any job costs, RQ's handling and a first statement."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from conecta import jobs

    cpu: dict[str, list[float]] = defaultdict(list)
    statements: dict[str, list[int]] = defaultdict(list)

    class MeasuredWorker(SimpleWorker):
        def execute_job(self, job, queue):
            before, started = queries[0], time.process_time()
            try:
                return super().execute_job(job, queue)
            finally:
                name = job_label(job, job.return_value())
                cpu[name].append(time.process_time() - started)
                statements[name].append(queries[0] - before)

    queues = [jobs.queue(name) for name in ("default", "mail")]
    MeasuredWorker(queues, connection=jobs.redis_conn(), serializer=JSONSerializer).work(
        burst=True, logging_level="WARNING"
    )
    return cpu, statements


if __name__ == "__main__":
    main()
