"""Benchmark: 1,000 appointments reconciled by 4 workers with 100 ms sandbox latency per Zoom call.

The appointments are booked first (through the booking service: outbox mark and job each), with no worker
running; then 4 `worker.py` processes start and the clock runs until every appointment's meeting is
ready. Prints syncs per second (wall clock, worker start-up included, and the steady rate between the
5th and 95th percentile of creates as Zoom saw them) and Zoom calls per appointment — target: exactly
1 create each, and 1,000 meetings in Zoom, no duplicates.

Worker CPU per sync is counted once the workers are up (importing and building the app, registering
with RQ: a process's one-time cost, about a second each, not a sync's) and divided by the syncs done
since; the figure with start-up included is printed beside it. The confirmation emails the syncs release
are sent after the reconciles (their queue comes second), so the script then waits for them and prints
their CPU per email apart.

    .venv/bin/python bench/sync_throughput.py [--pg] [--appointments 1000] [--workers 4] [--latency 100]
                                              [--profile]

`--profile` runs the workers under cProfile and prints the top of their merged profile (by own time)
instead of the figures, which the profiler inflates.
"""

from __future__ import annotations

import argparse
import os
import pstats
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

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
    parser.add_argument("--profile", action="store_true", help="print the workers' cProfile top lines")
    args = parser.parse_args()
    n = args.appointments
    profile_to = Path(tempfile.mkdtemp(prefix="conecta-profile-")) if args.profile else None

    with Harness(pg=args.pg) as harness:
        harness.set_latency(args.latency)
        booking_started = time.perf_counter()
        for i in range(n):
            harness.book_directly(i)
        booking_seconds = time.perf_counter() - booking_started

        started = time.perf_counter()
        harness.start_workers(args.workers, profile_to)
        cpu_up, ready_up = harness.cpu_seconds(), harness.count_states().get("ready", 0)
        wait_for(lambda: harness.count_states().get("ready", 0) >= n, 600, f"{n} meetings", interval=0.2)
        elapsed = time.perf_counter() - started
        cpu_done, mail_done = harness.cpu_seconds(), harness.mail_count()
        states = harness.count_states()
        state = harness.sandbox("GET", "state")
        wait_for(lambda: harness.mail_count() >= n, 600, f"{n} confirmation emails", interval=0.5)
        cpu_mailed, mailed = harness.cpu_seconds(), harness.mail_count()

    if profile_to is not None:
        print_profile(profile_to, n)
        return
    synced_since_up = max(1, n - ready_up)
    cpu_per_sync = (cpu_done["workers"] - cpu_up["workers"]) / synced_since_up * 1000
    cpu_per_email = (cpu_mailed["workers"] - cpu_done["workers"]) / max(1, mailed - mail_done) * 1000

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
    print(f"  confirmation emails sent meanwhile by the same workers: {mail_done}")
    print(
        f"  worker CPU per sync: {cpu_per_sync:.1f} ms once up ({synced_since_up} syncs),"
        f" {cpu_done['workers'] / n * 1000:.1f} ms with start-up; sandbox {cpu_done['sandbox'] / n * 1000:.1f} ms"
        f" ({os.cpu_count()} CPUs on this machine, load average {os.getloadavg()[0]:.2f})"
    )
    print(
        f"  then the {mailed - mail_done} other confirmation emails: worker CPU {cpu_per_email:.1f} ms per email"
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
        Figure(f"Worker CPU per sync ({database})", round(cpu_per_sync, 1), "ms", 15),
    )


def print_profile(folder: Path, syncs: int) -> None:
    """The workers' merged profile: start-up, every sync and the emails, by own time."""
    stats = pstats.Stats(*(str(p) for p in sorted(folder.glob("worker-*.prof"))))
    print(f"Workers' profile ({syncs} syncs and their emails, start-up included), top 25 by own time:")
    stats.sort_stats("tottime").print_stats(25)
    print("Conecta's own functions, by cumulative time:")
    stats.sort_stats("cumulative").print_stats(r"conecta/", 15)
    stats.dump_stats(folder / "merged.prof")
    print(f"Merged profile: {folder / 'merged.prof'}")


if __name__ == "__main__":
    main()
