"""Benchmark: booking a 52-week Zoom series in the booking modal, Zoom answering in 300 ms.

One POST of the booking form with Repeat on (every Monday, 52 dates; the Flask test client, the whole
request minus the network): the request books 52 appointments through the booking pipeline in one
transaction and enqueues one reconcile job each. Then 4 `worker.py` processes (already running) make
the meetings. Printed and handed over:
- the request's time (target ≤ 3 s: 52 plans and one commit, no Zoom call in the request);
- the Zoom calls: meeting creates (exactly 52: one per occurrence, target ≤ 52 and the script fails
  on fewer), and PATCHes and DELETEs (none);
- the time from the request's answer until every meeting exists (target ≤ 15 s: 52 × 300 ms over 4
  workers is ~4 s of Zoom);
- the client's emails once everything settled (one: the series confirmation).

    .venv/bin/python bench/series.py [--pg] [--latency 300] [--workers 4]
"""

from __future__ import annotations

import argparse
import time

from figures import Figure, emit  # before zoom_harness, which takes bench/ off sys.path
from zoom_harness import HX, Harness, wait_for

COUNT = 52


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--latency", type=int, default=300, help="Zoom's latency, ms")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    where = "PostgreSQL" if args.pg else "SQLite"

    with Harness(pg=args.pg) as harness:
        harness.set_latency(args.latency)
        harness.start_workers(args.workers)
        http = harness.http_as_staff()
        form = {
            **harness.booking_form(0),
            "repeat": "y",
            "repeat_interval": "1",
            "repeat_weekdays": ["0"],
            "repeat_end": "count",
            "repeat_count": str(COUNT),
        }
        started = time.perf_counter()
        answer = http.post("/bookings/new", data=form, headers=HX)
        request_ms = (time.perf_counter() - started) * 1000
        answered = time.perf_counter()
        assert answer.status_code == 200 and f"Series booked: {COUNT} dates." in answer.text, answer.text

        wait_for(
            lambda: harness.count_states().get("ready", 0) >= COUNT, 300, f"{COUNT} meetings", interval=0.1
        )
        all_ready_s = time.perf_counter() - answered
        wait_for(lambda: harness.mail_count() >= 1, 60, "the series email")
        time.sleep(1.0)  # a benchmark, not a test: let any stray email or call show up before counting
        calls = [
            (entry["method"], entry["path"])
            for entry in harness.sandbox("GET", "state")["request_log"]
            if "/meetings" in entry["path"]
        ]
        creates = sum(1 for method, path in calls if method == "POST" and path.endswith("/meetings"))
        patches = sum(1 for method, _ in calls if method == "PATCH")
        deletes = sum(1 for method, _ in calls if method == "DELETE")
        emails = harness.mail_count()
        assert creates == COUNT, f"{creates} creates for {COUNT} occurrences"

        print(f"A {COUNT}-week Zoom series, Zoom at {args.latency} ms, {args.workers} workers ({where})")
        print(f"  the booking request (52 appointments, one transaction): {request_ms:8.0f} ms")
        print(f"  Zoom calls: {creates} creates, {patches} PATCHes, {deletes} DELETEs")
        print(f"  every meeting made, after the answer:                  {all_ready_s:8.1f} s")
        print(f"  emails to the client:                                  {emails:8d}")
        emit(
            Figure(f"52-week series: the booking request ({where})", request_ms, "ms", 3000),
            Figure(f"52-week series: Zoom creates ({where})", creates, "", COUNT, target_label="= 52"),
            Figure(f"52-week series: every meeting made, Zoom at 300 ms ({where})", all_ready_s, "s", 15),
            Figure(f"52-week series: emails to the client ({where})", emails, "", 1),
        )


if __name__ == "__main__":
    main()
