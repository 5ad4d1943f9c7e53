"""Benchmark: 1,000 appointments reconciled by 4 workers with 100 ms sandbox latency per Zoom call.

The appointments are booked first (through the booking service: outbox mark and job each), with no worker
running; then 4 `worker.py` processes start and the clock runs until every appointment's meeting is
ready. Prints syncs per second (wall clock, worker start-up included, and the steady rate between the
5th and 95th percentile of creates as Zoom saw them) and Zoom calls per appointment — target: exactly
1 create each, and 1,000 meetings in Zoom, no duplicates.

    .venv/bin/python bench/sync_throughput.py [--pg] [--appointments 1000] [--workers 4] [--latency 100]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from datetime import datetime

from figures import Figure, emit  # before zoom_harness, which takes bench/ off sys.path
from zoom_harness import Harness, wait_for


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--appointments", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency", type=int, default=100)
    args = parser.parse_args()
    n = args.appointments

    with Harness(pg=args.pg) as harness:
        harness.set_latency(args.latency)
        booking_started = time.perf_counter()
        for i in range(n):
            harness.book_directly(i)
        booking_seconds = time.perf_counter() - booking_started

        cpu_before = harness.cpu_seconds()
        started = time.perf_counter()
        harness.start_workers(args.workers)
        wait_for(lambda: harness.count_states().get("ready", 0) >= n, 600, f"{n} meetings", interval=0.2)
        elapsed = time.perf_counter() - started
        states = harness.count_states()
        state = harness.sandbox("GET", "state")
        harness_mail = harness.mail_count()
        cpu = {k: v - cpu_before.get(k, 0.0) for k, v in harness.cpu_seconds().items()}

    calls = Counter(
        f"{e['method']} {'/users/me/meetings' if e['path'].endswith('/meetings') else '/meetings/{id}'}"
        for e in state["request_log"]
        if e["path"].startswith("/v2/")
    )
    creates = [
        e for e in state["request_log"] if e["method"] == "POST" and e["path"] == "/v2/users/me/meetings"
    ]
    stamps = sorted(datetime.fromisoformat(e["at"]) for e in creates)
    lo, hi = stamps[len(stamps) // 20], stamps[len(stamps) * 19 // 20]
    steady = (len(stamps) * 0.9) / max((hi - lo).total_seconds(), 1e-9)
    api_calls = sum(calls.values())

    database = "PostgreSQL" if args.pg else "SQLite"
    print(
        f"Sync throughput ({database}, {n} appointments, {args.workers} workers, +{args.latency} ms per call)"
    )
    print(f"  booked {n} appointments in {booking_seconds:.1f} s (no worker running)")
    print(f"  all ready after {elapsed:.1f} s: {n / elapsed:.1f} syncs/s (worker start-up included)")
    print(f"  steady rate as Zoom saw the creates: {steady:.1f} creates/s")
    print(
        f"  creates per appointment: {len(creates) / n:.3f}  [{'ok' if len(creates) == n else 'NOT exactly 1'}]"
    )
    print(f"  Zoom API calls per appointment (all kinds): {api_calls / n:.3f}  {dict(calls)}")
    print(f"  confirmation emails sent meanwhile by the same workers: {harness_mail}")
    print(
        f"  CPU per sync: workers {cpu['workers'] / n * 1000:.0f} ms, sandbox {cpu['sandbox'] / n * 1000:.0f} ms"
        f" ({os.cpu_count()} CPUs on this machine)"
    )
    print(f"  meetings in Zoom: {len(state['meetings'])}; appointments by state: {states}")
    emit(
        Figure(
            f"Sync throughput, {args.workers} workers, Zoom at {args.latency} ms ({database})",
            round(n / elapsed, 1),
            "syncs/s",
            30,
            at_most=False,
        ),
        Figure(f"Worker CPU per sync ({database})", round(cpu["workers"] / n * 1000, 1), "ms", 15),
    )


if __name__ == "__main__":
    main()
