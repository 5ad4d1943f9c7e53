"""Benchmark: our own chaos proof. Everything that can go wrong, at once, run after run -- and then every
meeting in Zoom must be exactly what the appointments want.

Each run builds a fresh world (bench/zoom_chaos.py: two organizations, each connected to Zoom as its
own user, one of them for the whole Zoom account with per-staff hosts; `worker.py` processes; a
private Redis) and, for `--seconds`, makes `--operations` bookings,
reschedules, service changes, client changes, staff changes (in the organization connected for the whole
Zoom account, a change of host: the meeting moves) and cancellations over HTTP, paced evenly, while:
- the Zoom sandbox injects, every 1.5 s, a fresh handful of faults: 5xx, lost answers (the work done,
  the answer a 502), hangs past our timeout (the work done late), 429 with Retry-After, expired tokens;
- workers are SIGKILLed (`--kills`, evenly spread) and restarted 1-3 s later;
- Redis is stopped for `--redis-outage` seconds (at 40 % of the run) and comes back empty.
Then the faults clear (Redis up, every worker running, no injected faults) and the clock runs until
Zoom and the database agree, and stay agreeing. Per run it prints:

  duplicates    appointments with more than one live meeting carrying their tracking key
  orphans       live meetings carrying a Conecta tracking key that are no live appointment's meeting
  missing       live appointments that want Zoom and have no live meeting
  stuck         appointments still pending, or marked for a sync
  wrong times   meetings whose start or duration differ from the appointment's (wrong topics too)
  wrong hosts   meetings on another Zoom user than the one hosting the staff member's meetings
  failed        appointments that ended "failed"
  token reuse   refresh tokens refused by Zoom (invalid_grant: a refresh token used twice) and
                connections left needing a reconnect
  500s          server errors answered to the operations
  converge      seconds from "faults clear" until all the above hold (target ≤ 30 s)

Every count must be 0, in every run. Clocks are shortened as the tests shorten them (zoom_chaos.CLOCKS).

    .venv/bin/python bench/chaos.py [--pg] [--runs 5] [--operations 250] [--seconds 60] [--workers 3]
                                    [--kills 4] [--redis-outage 10] [--seed 1]
    .venv/bin/python bench/chaos.py --small     # what CI runs: 1 run, 40 operations, 1 kill, Redis 3 s
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from pathlib import Path

from figures import Figure, emit  # before zoom_chaos, whose zoom_harness takes bench/ off sys.path
from zoom_chaos import MAX_HANG, ChaosWorld, Org, pause, run_in_thread
from zoom_harness import worker_setting

ROWS = (  # (count, label in the table, figure name)
    ("duplicates", "dup", "duplicate meetings"),
    ("orphans", "orphan", "orphan meetings"),
    ("missing", "missing", "missing meetings"),
    ("stuck", "stuck", "stuck appointments"),
    ("wrong_times", "times", "wrong meeting times"),
    ("wrong_topics", "topics", "wrong meeting topics"),
    ("wrong_hosts", "hosts", "wrong meeting hosts"),
    ("failed", "failed", "failed appointments"),
    ("refresh_token_reuse", "reuse", "refresh-token reuse"),
    ("connections_lost", "lost conn", "Zoom connections lost"),
    ("server_errors", "500s", "HTTP 500s"),
)
CONVERGE_TARGET = 30.0


def operations(world: ChaosWorld, org: Org, count: int, seconds: float, results: list) -> None:
    http = world.client_for(org)
    started = time.monotonic()
    for i in range(count):
        try:
            results.append(world.operate(org, http))
        except Exception as exc:  # the test client raising is a server error too
            results.append((f"crash {type(exc).__name__}", 599))
        pause(started + seconds * (i + 1) / count - time.monotonic())


def chaos(world: ChaosWorld, stop: threading.Event, args: argparse.Namespace) -> None:
    """Faults, kills and the Redis outage on their timeline; on `stop`, Redis is brought back."""
    started = time.monotonic()
    kills = [args.seconds * (i + 1) / (args.kills + 1) for i in range(args.kills)]
    restarts: list[tuple[float, int]] = []
    outage_at = args.seconds * 0.4 if args.redis_outage else None
    next_faults = 0.0
    workdir = Path(world.tmp.name)
    while not stop.wait(0.2):
        now = time.monotonic() - started
        try:
            if now >= next_faults:
                world.sandbox("POST", "faults", json=world.random_faults())
                next_faults = now + 1.5
            if kills and now >= kills[0]:
                kills.pop(0)
                alive = [i for i in range(world.worker_count) if world.pool.alive(i)]
                if alive:
                    victim = world.rng.choice(alive)
                    world.pool.kill(victim)
                    restarts.append((now + world.rng.uniform(1, 3), victim))
            for due in [r for r in restarts if now >= r[0]]:
                restarts.remove(due)
                world.pool.start(due[1])
            if outage_at is not None and now >= outage_at and world.redis.running:
                world.redis.stop()
            if outage_at is not None and now >= outage_at + args.redis_outage and not world.redis.running:
                world.redis.start(workdir)
                outage_at = None
        except Exception as exc:  # a control call failing must not end the chaos silently
            print(f"  chaos step failed: {exc!r}", flush=True)
    if not world.redis.running:
        world.redis.start(workdir)


def converge(world: ChaosWorld, cleared: float, limit: float, stable: float) -> tuple[float | None, dict]:
    """Seconds from `cleared` until every count holds and keeps holding for `stable` s (None: not within
    `limit`), and the counts then. `stable` outlasts any call still hanging when the faults cleared."""
    good_since = None
    while True:
        counts = world.count()
        now = time.monotonic()
        good_since = (good_since or now) if world.settled(counts) else None
        if good_since is not None and now - good_since >= stable:
            return good_since - cleared, counts
        if now - cleared > limit:
            return None, counts
        pause(1.0)


def one_run(args: argparse.Namespace, index: int) -> dict:
    with ChaosWorld(pg=args.pg, workers=args.workers, seed=args.seed + index) as world:
        results: list[tuple[str, int]] = []
        stop = threading.Event()
        director = run_in_thread(chaos, world, stop, args)
        shares = [
            args.operations // len(world.orgs) + (i < args.operations % len(world.orgs))
            for i in range(len(world.orgs))
        ]
        threads = [
            run_in_thread(operations, world, org, share, args.seconds, results)
            for org, share in zip(world.orgs, shares, strict=True)
        ]
        for thread in threads:
            thread.join()
        stop.set()
        director.join()
        world.sandbox("DELETE", "faults")
        world.pool.ensure_all()
        cleared = time.monotonic()
        converged, counts = converge(world, cleared, args.limit, stable=MAX_HANG + 2)
        if converged is None:
            for line in world.explain():
                print("  " + line, flush=True)
        kills = world.pool.kills
        activity = world.activity()
    kinds = Counter(kind for kind, _ in results)
    counts["server_errors"] = sum(1 for _, status in results if status >= 500)
    refused = sum(1 for _, status in results if 400 <= status < 500)
    done = "did NOT converge" if converged is None else f"converged {converged:.1f} s after faults cleared"
    print(
        f"run {index + 1}: {len(results)} operations ({', '.join(f'{k} {n}' for k, n in kinds.items())}; "
        f"{refused} refused), {kills} worker kills, Redis down {args.redis_outage} s; {done}; "
        + ", ".join(f"{name} {counts[name]}" for name, _, _ in ROWS)
        + f"; follow-ups still open {counts['open_follow_ups']}",
        flush=True,
    )
    print("  what the chaos did: " + ", ".join(f"{what} {n}" for what, n in activity.items()), flush=True)
    return {**counts, "operations": len(results), "kills": kills, "converge": converged}


def table(runs: list[dict]) -> str:
    header = ["run", "ops", "kills", *(label for _, label, _ in ROWS), "converge"]
    lines = [header]
    for i, run in enumerate(runs, 1):
        converge_text = "never" if run["converge"] is None else f"{run['converge']:.1f} s"
        lines.append(
            [
                str(i),
                str(run["operations"]),
                str(run["kills"]),
                *(str(run[n]) for n, _, _ in ROWS),
                converge_text,
            ]
        )
    widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)) for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--operations", type=int, default=250, help="per run")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the operations take")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kills", type=int, default=4, help="worker SIGKILLs per run")
    parser.add_argument("--redis-outage", type=float, default=10.0, help="seconds Redis is down per run")
    parser.add_argument("--limit", type=float, default=300.0, help="give up converging after this long")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--small", action="store_true", help="CI: 1 run, 40 operations, 1 kill, Redis 3 s")
    args = parser.parse_args()
    if args.small:
        args.runs, args.operations, args.seconds, args.workers = 1, 40, 20.0, 2
        args.kills, args.redis_outage, args.limit = 1, 3.0, 120.0

    database = "PostgreSQL" if args.pg else "SQLite"
    print(f"Chaos ({database}): {args.runs} run(s) of {args.operations} operations in {args.seconds:.0f} s, "
          f"{args.workers} workers × {worker_setting('CONECTA_WORKER_THREADS')} threads, {args.kills} kills, Redis down {args.redis_outage:.0f} s", flush=True)  # fmt: skip
    runs = [one_run(args, i) for i in range(args.runs)]
    print("\n" + table(runs))
    worst = {name: max(run[name] for run in runs) for name, _, _ in ROWS}
    slowest = max((run["converge"] if run["converge"] is not None else float("inf")) for run in runs)
    print(f"\nworst time to converge: {slowest:.1f} s (target ≤ {CONVERGE_TARGET:.0f} s)")
    suffix = f"worst of {args.runs} run{'s' if args.runs > 1 else ''} ({database})"
    emit(
        *(Figure(f"Chaos: {label}, {suffix}", worst[name], "", 0) for name, _, label in ROWS),
        Figure(
            f"Chaos: time to converge once faults clear, {suffix}",
            round(min(slowest, args.limit + 1), 1),
            "s",
            CONVERGE_TARGET,
        ),
    )


if __name__ == "__main__":
    main()
