"""Benchmark: how long a booking request takes when Zoom is fast, and when Zoom is slow.

No web request waits on Zoom (the meeting is made by a worker after the commit), so the median booking
request must take about as long with the sandbox adding 1,000 ms to every Zoom call as with 0 ms:
target ratio ≤ 1.1. Workers run throughout, creating the meetings the bookings ask for. The two
latencies alternate in blocks so that drift (caches, database growth) hits both alike.

    .venv/bin/python bench/booking_latency.py [--pg] [--bookings 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from figures import Figure, emit  # before zoom_harness, which takes bench/ off sys.path
from zoom_harness import Harness, describe


def book(http, harness: Harness, i: int) -> float:
    started = time.perf_counter()
    response = http.post("/bookings/new", data=harness.booking_form(i), headers={"HX-Request": "true"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "appointment-saved" in json.loads(response.headers["HX-Trigger"])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--bookings", type=int, default=60, help="bookings per latency (default 60)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with Harness(pg=args.pg) as harness:
        harness.start_workers(args.workers)
        http = harness.http_as_staff()
        index = 0
        for _ in range(5):  # warm up: templates, connection pools, statement caches
            book(http, harness, index)
            index += 1
        timings: dict[int, list[float]] = {0: [], 1000: []}
        block = 10
        while min(len(t) for t in timings.values()) < args.bookings:
            for latency in (0, 1000):
                harness.set_latency(latency)
                for _ in range(block):
                    timings[latency].append(book(http, harness, index))
                    index += 1
        made = len(harness.sandbox("GET", "state")["meetings"])

    fast, slow = statistics.median(timings[0]), statistics.median(timings[1000])
    ratio = slow / fast
    database = "PostgreSQL" if args.pg else "SQLite"
    print(f"Booking request time ({database}, {args.workers} workers creating meetings meanwhile)")
    print(f"  Zoom +0 ms:     {describe(timings[0])}")
    print(f"  Zoom +1,000 ms: {describe(timings[1000])}")
    print(f"  ratio of medians: {ratio:.2f}  [{'ok' if ratio <= 1.1 else 'over the 1.1 target'}]")
    print(f"  meetings created in Zoom while measuring: {made}")
    emit(Figure(f"Booking latency ratio, Zoom at 1,000 ms vs 0 ms ({database})", round(ratio, 2), "", 1.1))


if __name__ == "__main__":
    main()
