"""Benchmark: switching "Auto-create Zoom meeting" on for a service with 1,000 upcoming appointments.

The appointments are booked through the booking service while the service's switch is off (no meeting,
no job). Then, as the admin does it on Settings → Calendar → Events (the Flask test client, the whole
request minus the network):
- the question: the server counts the appointments the rule would reach ("1000 upcoming Video call
  appointments will get a Zoom meeting…") — nothing is changed;
- the switch: every appointment planned through the booking pipeline (the rule, the mark, the mail
  plan) in one transaction with the switch, then one reconcile job enqueued each.
With `--sync`, 4 `worker.py` processes then make the meetings (Zoom at 100 ms) and the time until the
last one is ready is printed too (its throughput is bench/sync_throughput.py's figure). Targets: the
question ≤ 500 ms, the switch ≤ 10 s (one request; a flush per plan once made it 33 s).

    .venv/bin/python bench/switch_on.py [--pg] [--appointments 1000] [--sync]
"""

from __future__ import annotations

import argparse
import time

from figures import Figure, emit  # before zoom_harness, which takes bench/ off sys.path
from zoom_harness import HX, Harness, wait_for


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--appointments", type=int, default=1000)
    parser.add_argument("--sync", action="store_true", help="then make the meetings with 4 workers")
    args = parser.parse_args()
    n = args.appointments
    where = "PostgreSQL" if args.pg else "SQLite"

    with Harness(pg=args.pg) as harness:
        from conecta.extensions import db
        from conecta.models import Service, User, ZoomMeeting

        with harness.app.app_context():
            db.session.get(Service, harness.service_id).zoom_auto_create = False
            admin = db.session.get(User, harness.staff_ids[0])
            admin.role = "admin"
            db.session.commit()
        for i in range(n):
            harness.book_directly(i)
        http = harness.http_as_staff()
        url = f"/settings/calendar/events/{harness.service_id}/zoom"

        started = time.perf_counter()
        asked = http.post(url, data={"zoom_auto_create": "y"}, headers=HX)
        question_ms = (time.perf_counter() - started) * 1000
        assert asked.status_code == 200 and f"{n} upcoming Video call appointments" in asked.text, asked.text

        started = time.perf_counter()
        done = http.post(url, data={"zoom_auto_create": "y", "confirmed": "1"})
        switch_ms = (time.perf_counter() - started) * 1000
        assert done.status_code == 303, done.text
        with harness.app.app_context():
            marked = db.session.scalar(
                db.select(db.func.count())
                .select_from(ZoomMeeting)
                .where(ZoomMeeting.sync_requested_at.is_not(None))
            )
        assert marked == n, f"{marked} of {n} appointments marked"
        print(f"{n} upcoming appointments ({where})")
        print(f"  the question (count what the rule would reach): {question_ms:8.0f} ms")
        print(
            f"  the switch (plan + one commit + {n} jobs):      {switch_ms:8.0f} ms ({switch_ms / n:.1f} ms each)"
        )
        figures = [
            Figure(
                f"Switch a service on, {n:,} upcoming appointments: the question ({where})",
                question_ms,
                "ms",
                500,
            ),
            Figure(
                f"Switch a service on, {n:,} upcoming appointments: the switch ({where})",
                switch_ms,
                "ms",
                10000,
            ),
        ]
        if args.sync:
            harness.set_latency(100)
            started = time.perf_counter()
            harness.start_workers(4)
            wait_for(lambda: harness.count_states().get("ready", 0) >= n, 900, f"{n} meetings", interval=0.5)
            print(f"  every meeting made (4 workers, Zoom at 100 ms): {time.perf_counter() - started:8.1f} s")
        emit(*figures)


if __name__ == "__main__":
    main()
