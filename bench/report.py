"""Every benchmark, then one table: figure, target, now, pass or fail.

    .venv/bin/python bench/report.py [--pg] [--only calendar.py,sync_throughput.py]

Runs each script in BENCHMARKS in its own process, on SQLite (and again with `--pg` on PostgreSQL),
shows its output once it is done, and collects the figures it hands over with `figures.emit` (one JSON line;
see bench/figures.py). A script that does not exist yet is listed as "not built", one that fails or hands
over nothing as such, and the table is printed all the same. Exit status 0 only when every figure meets
its target.

To add a benchmark: make it `emit(...)` its figures, each with its target, and name it below.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from figures import Figure, parse

BENCH_DIR = Path(__file__).resolve().parent
TIMEOUT_SECONDS = 30 * 60


@dataclass(frozen=True)
class Benchmark:
    script: str
    # (figure, target) listed while the script is missing or hands over nothing: what it should show.
    expects: tuple[tuple[str, str], ...]
    # Runs on PostgreSQL whatever the pass (the load bench): run once, in the first pass.
    postgresql_only: bool = False


BENCHMARKS = (
    Benchmark("calendar.py", (("Week view at N=1,000", "≤ 35 ms"),)),
    Benchmark(
        "calendar_groups.py",
        (("Week view CPU time, N=5,000 ÷ N=1,000 (SQLite, with group sessions)", "≤ 5 (linear)"),),
    ),
    Benchmark("booking_latency.py", (("Booking latency ratio, Zoom at 1,000 ms vs 0 ms", "≤ 1.1"),)),
    Benchmark("time_to_link.py", (("Join served after booking, p95 (Zoom at 300 ms)", "≤ Zoom + 500 ms"),)),
    Benchmark(
        "time_to_link_browser.py",
        (
            ("Join visible in the browser after Save, median", "≤ Zoom + 150 ms"),
            ("Join visible in the browser after Save, p95", "≤ Zoom + 300 ms"),
        ),
    ),
    Benchmark(
        "switch_on.py",
        (
            ("Switch a service on, 1,000 upcoming appointments: the question", "≤ 500 ms"),
            ("Switch a service on, 1,000 upcoming appointments: the switch", "≤ 10,000 ms"),
        ),
    ),
    Benchmark(
        "client_search.py",
        (
            ("Client search p50, 10,000 clients", "≤ 25 ms"),
            ("Client search p95, 10,000 clients", "≤ 60 ms"),
        ),
    ),
    Benchmark(
        "series.py",
        (
            ("52-week series: the booking request", "≤ 3,000 ms"),
            ("52-week series: Zoom creates", "= 52"),
            ("52-week series: every meeting made, Zoom at 300 ms", "≤ 15 s"),
            ("52-week series: emails to the client", "≤ 1"),
        ),
    ),
    Benchmark(
        "sync_throughput.py",
        (("Sync throughput, 4 workers, Zoom at 100 ms", "≥ 30 syncs/s"), ("Worker CPU per sync", "≤ 15 ms")),
    ),
    Benchmark(
        "chaos.py",
        (
            *(
                (f"Chaos: {count}, worst of 5 runs", "≤ 0")
                for count in (
                    "duplicate meetings",
                    "orphan meetings",
                    "missing meetings",
                    "stuck appointments",
                    "wrong meeting times",
                    "wrong meeting topics",
                    "wrong meeting hosts",
                    "failed appointments",
                    "refresh-token reuse",
                    "Zoom connections lost",
                    "HTTP 500s",
                )
            ),
            ("Chaos: time to converge once faults clear, worst of 5 runs", "≤ 30 s"),
        ),
    ),
    Benchmark(
        "load.py",
        (
            ("Load: time to Join p95 beyond Zoom's latency, 40 staff", "≤ 300 ms"),
            ("Load: worst page kind's p95 against its idle p95", "≤ 4 ×"),
            ("Load: CPU per booking, web + workers", "≤ 120 ms"),
            ("Load: HTTP 5xx and inconsistencies", "≤ 0"),
        ),
        postgresql_only=True,
    ),
)


@dataclass(frozen=True)
class Row:
    figure: str
    target: str
    now: str
    result: str  # "pass", "FAIL", "not built", "no figures", "error"


def run(benchmark: Benchmark, pg: bool) -> list[Row]:
    if benchmark.postgresql_only and pg:
        return []  # already run in the first pass
    database = "PostgreSQL" if pg or benchmark.postgresql_only else "SQLite"
    path = BENCH_DIR / benchmark.script
    if not path.exists():
        return expected_rows(benchmark, database, "—", "not built")
    command = [sys.executable, str(path), *(["--pg"] if pg and not benchmark.postgresql_only else [])]
    print(f"\n==> {benchmark.script} ({database})", flush=True)
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return expected_rows(benchmark, database, f"over {TIMEOUT_SECONDS // 60} min", "error")
    figures = parse(done.stdout)
    print("\n".join(line for line in done.stdout.splitlines() if not line.startswith("bench-figures: ")))
    print(f"    ({time.monotonic() - started:.0f} s)", flush=True)
    if done.returncode != 0:
        print("\n".join(done.stderr.splitlines()[-15:]), file=sys.stderr)
        return expected_rows(benchmark, database, f"exit {done.returncode}", "error")
    if not figures:
        return expected_rows(benchmark, database, "—", "no figures")
    return [row_of(figure) for figure in figures]


def expected_rows(benchmark: Benchmark, database: str, now: str, result: str) -> list[Row]:
    return [Row(f"{figure} ({database})", target, now, result) for figure, target in benchmark.expects]


def row_of(figure: Figure) -> Row:
    return Row(figure.name, figure.target_text, figure.value_text, "pass" if figure.met else "FAIL")


def table(rows: list[Row]) -> str:
    header = Row("figure", "target", "now", "result")
    widths = [max(len(getattr(row, name)) for row in [header, *rows]) for name in ("figure", "target", "now")]

    def line(row: Row) -> str:
        cells = (row.figure, row.target, row.now)
        return (
            "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            + "  "
            + row.result
        )

    rule = "-" * len(line(header))
    return "\n".join([line(header), rule, *map(line, rows)])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", action="store_true", help="also run every benchmark on PostgreSQL")
    parser.add_argument("--only", default="", help="comma-separated script names (default: all)")
    args = parser.parse_args()
    chosen = [b for b in BENCHMARKS if not args.only or b.script in args.only.split(",")]

    rows = [row for pg in ([False, True] if args.pg else [False]) for b in chosen for row in run(b, pg)]
    print("\n" + table(rows))
    sys.exit(0 if all(row.result == "pass" for row in rows) else 1)


if __name__ == "__main__":
    main()
