"""Benchmark: a clinic group at work. N staff sessions and 20 portal clients for a few minutes, against
the web app as the Procfile runs it (gunicorn.conf.py, CSRF on) and `worker.py` processes, on PostgreSQL,
with Zoom (the sandbox) answering every call 300 ms late and sending its webhooks back as Zoom does.

Each staff session signs in, then loops over what a clinic's staff do, with a pause of 0.3-1.5 s between
actions: the week calendar (whole team or their own column), an appointment's drawer, a client search as
you type, a booking (modal, save, then the Zoom panel's long-poll until Join is on screen), a reschedule
(modal, save), a cancellation (confirmation, cancel). Portal clients refresh their bookings page, and
open a booking now and then. Every change in Zoom comes back as a signed webhook (`meeting.updated`,
`meeting.deleted`), from the sandbox's delivery thread, as Zoom sends them.

First, an idle pass: one session alone does every kind of request (60 of each) to give each kind's idle
p95. Then the load, for `--seconds`. Then the clock runs until every appointment is settled, and what
Zoom holds is compared with what the appointments want. It prints:

  per kind       p50 / p95 under load, the idle p95, and their ratio (target: p95 ≤ 4 × idle p95)
  inside the web the same for the busiest routes as gunicorn timed them (its access log): the rest of
                 the client's figure is the wait for a thread and the load generator's own
  time to Join   from the click on Save to the panel's answer carrying Join, minus Zoom's latency L
                 (target: p95 ≤ L + 300 ms at 40 staff)
  CPU            web (gunicorn's processes) + workers, from the load's start until everything settled
                 and every email went out, per booking made (target ≤ 120 ms) and per web request
  consistency    duplicates, missing or wrong meetings, stuck or failed appointments, HTTP 5xx
  what ran       webhooks received, Zoom-change jobs queued for them, Zoom calls by kind, and every
                 job run by function and result, and the emails by kind and status

The machine's load average is printed beside the figures: on a shared machine, repeat the run.

    .venv/bin/python bench/load.py [--staff 40] [--portal 20] [--seconds 120] [--workers N] [--threads N]
                                   [--latency 300] [--sqlite] [--seed 1]
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import re
import runpy
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# isort: off
from figures import Figure, emit  # before zoom_harness, which takes bench/ off sys.path
from zoom_harness import FIRST_DAY, TZ, Harness, percentile, procfile_setting, wait_for, worker_setting

# isort: on
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from conecta import collector
from conecta.auth.passwords import hash_password
from conecta.extensions import db
from conecta.mail.plan import IN_FLIGHT
from conecta.models import Appointment, Client, Organization, OutboxEmail, Service, User, ZoomMeeting
from conecta.models.types import utcnow
from conecta.models.zoom import ZoomConnection
from conecta.models.zoom_meeting import parse_zoom_time

PASSWORD = "bench-load-pass"
HX = {"HX-Request": "true"}
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
JOIN = "Join Zoom Meeting"
IDLE_SAMPLES = 60  # a p95 of 20 samples is their second largest: it moved 7 -> 13 ms run to run
# What a staff member does next, and how often (weights).
STAFF_MIX = (
    ("calendar", 25),
    ("drawer", 20),
    ("search", 15),
    ("book", 15),
    ("reschedule", 9),
    ("cancel", 5),
)
PAGE_TARGET_RATIO = 4.0
JOIN_TARGET_MS = 300
CPU_TARGET_MS = 120
SEARCHES = ("cl", "client 1", "c2", "client 3", "ent 4", "c5@", "client 1", "bench")


class LoadWorld(Harness):
    """The harness, seeded as a clinic: N staff with passwords, 200 clients (20 with portal passwords),
    a Zoom service and a plain one, Zoom connected; webhooks from the sandbox to the web app."""

    def __init__(self, *, pg: bool, staff: int, portal: int) -> None:
        super().__init__(pg=pg, staff=staff)
        self.portal_count = portal

    def _seed(self) -> None:
        password_hash = hash_password(PASSWORD)
        org = Organization(name="Bench Clinic Group", timezone=TZ)
        staff = [
            User(
                org=org, email=f"s{i}@load.test", name=f"Staff {i}", password_hash=password_hash, role="staff"
            )
            for i in range(self.staff_count)
        ]
        clients = [
            Client(
                org=org,
                name=f"Client {i}",
                email=f"c{i}@load.test",
                password_hash=password_hash if i < self.portal_count else None,
            )
            for i in range(200)
        ]
        video = Service(org=org, name="Video call", duration_minutes=30, zoom_auto_create=True)
        visit = Service(org=org, name="Visit", duration_minutes=45)
        db.session.add_all([org, *staff, *clients, video, visit])
        db.session.flush()
        tokens = self._authorize()
        db.session.add(
            ZoomConnection(
                org_id=org.id, zoom_user_id="sandbox-user-1", zoom_email="host@example.com",
                zoom_account_id="sandbox-account-1", scopes=tokens["scope"], access_token=tokens["access_token"],
                refresh_token=tokens["refresh_token"],
                access_token_expires_at=utcnow() + timedelta(seconds=int(tokens["expires_in"])),
            )
        )  # fmt: skip
        db.session.commit()
        self.org_id, self.service_id, self.visit_id = org.id, video.id, visit.id
        self.staff = [(s.id, s.email) for s in staff]
        self.client_ids = [c.id for c in clients]
        self.portal_emails = [c.email for c in clients[: self.portal_count]]

    def web_pids(self) -> list[int]:
        """gunicorn's master and its worker processes."""
        master = self.web.pid
        pids = [master]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == master:
                    pids.append(int(entry.name))
        return pids

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of the app's processes and of everything else on the machine that the run
        keeps busy: this load generator (with the mail catcher), the Zoom sandbox, PostgreSQL, Redis."""
        tick = os.sysconf("SC_CLK_TCK")

        def of(pid: int) -> float:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return 0.0
            return sum(int(v) for v in fields[11:15]) / tick

        def named(name: str) -> float:
            total = 0.0
            for entry in Path("/proc").iterdir():
                try:
                    if entry.name.isdigit() and (entry / "comm").read_text().strip() == name:
                        total += of(int(entry.name))
                except OSError:
                    continue
            return total

        return {
            "web": sum(of(p) for p in self.web_pids()),
            "workers": sum(of(w.pid) for w in self.workers),
            "load generator": of(os.getpid()),
            "sandbox": of(self.zoom.pid) if self.zoom else 0.0,
            "PostgreSQL": named("postgres"),
            "Redis": named("redis-server"),
        }


class Stats:
    """Request times per kind, statuses, and times to Join; shared by every session's thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.join: list[float] = []
        self.requests = 0
        self.long_polls = 0  # the Zoom panel's ?wait=1 re-fetches: web work, but no page kind of their own
        self.bookings = 0

    def add(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            self.statuses[(kind, status // 100 * 100)] += 1
            self.requests += 1


class Session:
    """One signed-in browser: a requests.Session, its CSRF token, and the stats it reports to."""

    def __init__(self, base: str, stats: Stats) -> None:
        self.base, self.stats = base, stats
        self.http = requests.Session()
        self.http.trust_env = False
        self.csrf = ""

    def call(self, kind: str | None, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), "X-CSRFToken": self.csrf}
        started = time.perf_counter()
        response = self.http.request(method, self.base + path, headers=headers, timeout=60, **kwargs)
        if kind is not None:
            self.stats.add(kind, time.perf_counter() - started, response.status_code)
        else:
            with self.stats.lock:
                self.stats.long_polls += 1
        return response

    def sign_in(self, login_path: str, email: str, landing: str) -> None:
        page = self.http.get(self.base + login_path, timeout=60).text
        token = next(a or b for a, b in FORM_CSRF.findall(page))
        answer = self.http.post(
            self.base + login_path,
            data={"csrf_token": token, "email": email, "password": PASSWORD},
            timeout=60,
        )
        if answer.status_code != 200 or login_path in answer.url:
            raise SystemExit(f"could not sign in as {email}: {answer.status_code} {answer.url}")
        self.csrf = CSRF.search(self.http.get(self.base + landing, timeout=60).text).group(1)


class Staff(Session):
    def __init__(self, base: str, stats: Stats, world: LoadWorld, index: int, rng: random.Random) -> None:
        super().__init__(base, stats)
        self.world, self.rng = world, rng
        self.staff_id, self.email = world.staff[index]
        self.next_slot = 0
        self.live: dict[int, dict[str, str]] = {}  # this member's appointments (not cancelled): their form

    def slot(self) -> dict[str, str]:
        """A time this member never had: days, then hours (nobody else books for them)."""
        k = self.next_slot
        self.next_slot += 1
        day = FIRST_DAY + timedelta(days=k % 56)
        return {"date": day.isoformat(), "time": f"{7 + k // 56:02d}:00"}

    def form(self) -> dict[str, str]:
        service = self.world.service_id if self.rng.random() < 0.8 else self.world.visit_id
        return {
            "csrf_token": self.csrf,
            "client_id": str(self.rng.choice(self.world.client_ids)),
            "service_id": str(service),
            "staff_id": str(self.staff_id),
            **self.slot(),
            "duration_minutes": "",
            "notes": "",
        }

    def act(self, kind: str) -> None:
        getattr(self, kind)()

    def calendar(self) -> None:
        day = FIRST_DAY + timedelta(days=self.rng.randrange(56))
        own = f"&staff={self.staff_id}" if self.rng.random() < 0.5 else ""
        self.call("calendar", "GET", f"/calendar/?date={day.isoformat()}{own}")

    def drawer(self) -> None:
        if self.live:
            appointment_id = self.rng.choice(list(self.live))
            self.call("drawer", "GET", f"/calendar/appointments/{appointment_id}", headers=HX)

    def search(self) -> None:
        self.call("search", "GET", "/clients/", params={"q": self.rng.choice(SEARCHES)}, headers=HX)

    def book(self) -> None:
        self.call("booking form", "GET", "/bookings/new", headers=HX)
        form = self.form()
        started = time.perf_counter()
        answer = self.call("book", "POST", "/bookings/new", data=form, headers=HX)
        if answer.status_code != 200 or "HX-Trigger" not in answer.headers:
            return
        appointment_id = json.loads(answer.headers["HX-Trigger"])["appointment-saved"]["id"]
        self.live[appointment_id] = form
        with self.stats.lock:
            self.stats.bookings += 1
        if form["service_id"] != str(self.world.service_id):
            return
        body = answer.text
        while JOIN not in body:  # the panel's long-poll, as the page asks it
            if time.perf_counter() - started > 60:
                return
            body = self.call(None, "GET", f"/bookings/{appointment_id}/zoom?wait=1", headers=HX).text
        with self.stats.lock:
            self.stats.join.append(time.perf_counter() - started)

    def reschedule(self) -> None:
        if not self.live:
            return
        appointment_id = self.rng.choice(list(self.live))
        self.call("edit form", "GET", f"/bookings/{appointment_id}/edit", headers=HX)
        form = {**self.live[appointment_id], **self.slot()}  # another time; the same client and service
        self.call("reschedule", "POST", f"/bookings/{appointment_id}/edit", data=form, headers=HX)

    def cancel(self) -> None:
        if len(self.live) < 3:
            return
        appointment_id = self.rng.choice(list(self.live))
        del self.live[appointment_id]
        self.call("cancel confirm", "GET", f"/bookings/{appointment_id}/cancel", headers=HX)
        self.call(
            "cancel",
            "POST",
            f"/bookings/{appointment_id}/cancel",
            data={"csrf_token": self.csrf, "email_client": "y"},
            headers=HX,
        )


class PortalClient(Session):
    def visit(self, rng: random.Random) -> None:
        page = self.call("portal", "GET", "/portal/").text
        bookings = re.findall(r'href="/portal/bookings/(\d+)"', page)
        if bookings and rng.random() < 0.3:
            self.call("portal booking", "GET", f"/portal/bookings/{rng.choice(bookings)}")


def staff_loop(member: Staff, until: float) -> None:
    kinds, weights = zip(*STAFF_MIX, strict=True)
    time.sleep(member.rng.uniform(0, 1.5))  # already at work: see portal_loop
    while time.monotonic() < until:
        try:
            member.act(member.rng.choices(kinds, weights)[0])
        except requests.RequestException as exc:
            member.stats.add(f"error {type(exc).__name__}", 0.0, 599)
        time.sleep(member.rng.uniform(0.3, 1.5))


def portal_loop(client: PortalClient, rng: random.Random, until: float) -> None:
    # Each session starts somewhere in its own pause, as people already at work do: all 60 sending their
    # first request in the same millisecond made a burst no clinic makes, and its 20 portal requests
    # (120-240 ms each, 3% of the portal's samples) were most of the portal's p95.
    time.sleep(rng.uniform(0, 5.0))
    while time.monotonic() < until:
        try:
            client.visit(rng)
        except requests.RequestException as exc:
            client.stats.add(f"error {type(exc).__name__}", 0.0, 599)
        time.sleep(rng.uniform(2.0, 5.0))


def idle_pass(world: LoadWorld, url: str, rng: random.Random) -> Stats:
    """One staff member and one client alone: IDLE_SAMPLES of each kind, one after the other."""
    stats = Stats()
    member = Staff(url, stats, world, len(world.staff) - 1, rng)
    member.sign_in("/login", member.email, "/calendar/")
    for _ in range(IDLE_SAMPLES):
        member.book()
        member.calendar()
        member.drawer()
        member.search()
        member.reschedule()
        member.book()
        member.cancel()
    settle(world, 60)  # the portal's pages are the cheapest: measured alone, not beside the jobs above
    client = PortalClient(url, stats)
    client.sign_in("/portal/login", world.portal_emails[-1], "/portal/")
    for _ in range(IDLE_SAMPLES):
        client.visit(random.Random(0))
        client.visit(random.Random(1))
    return stats


def settle(world: LoadWorld, limit: float) -> float | None:
    """Seconds until no appointment is pending or marked and no email waits or is being sent (None: not
    within `limit`)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        with world.app.app_context():
            busy = db.session.scalar(
                select(db.func.count()).where(
                    (ZoomMeeting.state == "pending") | ZoomMeeting.sync_requested_at.is_not(None)
                )
            ) or db.session.scalar(select(db.func.count()).where(OutboxEmail.status.in_(IN_FLIGHT)))
            db.session.remove()
        if not busy:
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def consistency(world: LoadWorld) -> dict[str, int]:
    state = world.sandbox("GET", "state")
    live = {str(m["id"]): m for m in state["meetings"]}
    counts = Counter()
    with world.app.app_context():
        appointments = db.session.scalars(
            select(Appointment).options(joinedload(Appointment.zoom), joinedload(Appointment.service))
        ).all()
        current = set()
        for appointment in appointments:
            zoom = appointment.zoom
            if zoom is None:
                continue
            counts["stuck"] += int(zoom.state == "pending" or zoom.sync_requested_at is not None)
            counts["failed"] += int(zoom.state == "failed")
            if not (zoom.wanted and not appointment.is_cancelled):
                continue
            meeting = live.get(zoom.meeting_id or "")
            if meeting is None:
                counts["missing"] += 1
                continue
            current.add(zoom.meeting_id)
            wrong = (
                parse_zoom_time(meeting["start_time"]) != appointment.starts_at
                or meeting["duration"] != appointment.duration_minutes
            )
            counts["wrong times"] += int(wrong)
        db.session.remove()
    counts["orphans"] = sum(1 for meeting_id in live if meeting_id not in current)
    return counts


def emails_made(world: LoadWorld) -> Counter:
    """The outbox by kind and status ("confirmation sent"): what the jobs' emails were."""
    with world.app.app_context():
        rows = db.session.execute(
            select(OutboxEmail.kind, OutboxEmail.status, func.count()).group_by(
                OutboxEmail.kind, OutboxEmail.status
            )
        ).all()
        db.session.remove()
    return Counter({f"{kind.value} {status.value}": count for kind, status, count in rows})


def job_label(job: Any, result: Any) -> str:
    """A job run as the benches count it: its function and what it returned (`reconcile_job → ready`)."""
    return f"{job.func_name.rpartition('.')[2]} → {result}"


def jobs_run(world: LoadWorld) -> Counter:
    """Every run of every job that finished, by function and result (`reconcile_job → ready`): a job id
    enqueued again while queued runs again, so runs, not ids, are counted (RQ keeps a job's last 10)."""
    from rq.job import Job
    from rq.registry import FinishedJobRegistry
    from rq.serializers import JSONSerializer

    from conecta import jobs

    runs: Counter = Counter()
    with world.app.app_context():
        for name in jobs.queue_names(world.app, ("default", "mail")):
            queue = jobs.Queue(name, connection=jobs.redis_conn(), serializer=JSONSerializer)
            ids = FinishedJobRegistry(queue=queue).get_job_ids()
            for job in Job.fetch_many(ids, connection=jobs.redis_conn(), serializer=JSONSerializer):
                if job is not None:
                    for result in job.results():
                        runs[job_label(job, result.return_value)] += 1
    return runs


def row(kind: str, times: list[float], idle: list[float] | None) -> str:
    p50, p95 = statistics.median(times) * 1000, percentile(times, 95) * 1000
    if not idle:
        return f"  {kind:<16} n={len(times):>5}  p50 {p50:7.0f} ms  p95 {p95:7.0f} ms"
    idle95 = percentile(idle, 95) * 1000
    ratio = p95 / max(idle95, 0.1)
    verdict = "ok" if ratio <= PAGE_TARGET_RATIO else "OVER"
    return (
        f"  {kind:<16} n={len(times):>5}  p50 {p50:7.0f} ms  p95 {p95:7.0f} ms   idle p95 {idle95:6.0f} ms"
        f"   {ratio:4.1f}x  [{verdict}]"
    )


def _by_route(lines: list[str]) -> dict[str, list[float]]:
    """Access-log lines ("GET /portal/bookings/12 200 5321") as ms per route (numbers as #)."""
    times: dict[str, list[float]] = defaultdict(list)
    for line in lines:
        method, path, _status, micros = line.split()
        route = re.sub(r"/\d+", "/#", path)
        times[f"{method} {route}"].append(int(micros) / 1000)
    return times


def inside_the_web(idle_lines: list[str], load_lines: list[str]) -> str:
    """p50/p95 under load against the idle p95 as gunicorn timed them, for the routes the load used
    most: what the server spent on a request, apart from its wait for a thread and the generator's own."""
    idle, load = _by_route(idle_lines), _by_route(load_lines)
    rows = []
    for route, times in sorted(load.items(), key=lambda item: -len(item[1]))[:10]:
        idle95 = percentile(idle[route], 95) if len(idle.get(route, ())) >= 10 else None
        p50, p95 = percentile(times, 50), percentile(times, 95)
        versus = f"   idle p95 {idle95:6.0f} ms   {p95 / max(idle95, 0.1):4.1f}x" if idle95 else ""
        rows.append(f"  {route[:34]:<34} n={len(times):>5}  p50 {p50:5.0f} ms  p95 {p95:5.0f} ms{versus}")
    return "\n".join(rows)


def _traced(trace_dir: Path, since: float, until: float) -> dict[str, list[tuple]]:
    """Each web process's trace lines (bench/web_trace.py) from `since` to `until` (perf_counter, the
    same clock in every process): (start, wall, cpu, what) per request or collection."""
    by_process: dict[str, list[tuple]] = {}
    for path in trace_dir.glob("*.log"):
        rows = []
        for line in path.read_text().splitlines():
            start, wall, cpu, what = line.split(" ", 3)
            if since <= float(start) <= until:
                rows.append((float(start), float(wall), float(cpu), re.sub(r"/\d+", "/#", what)))
        by_process[path.stem] = rows
    return by_process


def waits(trace_dir: Path, since: float, until: float) -> str:
    """What the busiest routes waited for under load, from the web's own trace: for their median request
    and their slowest 5%, the wall time, the request's own CPU, other requests' CPU in the same process
    meanwhile, garbage collections meanwhile, and the rest (a core, the database, Redis)."""
    by_process = _traced(trace_dir, since, until)
    mine: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    for rows in by_process.values():
        rows = sorted(r for r in rows if "/zoom" not in r[3])  # the Zoom panel's long-poll waits on purpose
        starts = [r[0] for r in rows]
        longest = max((r[1] for r in rows), default=0.0)
        for start, wall, cpu, what in rows:
            if what.startswith("GC "):
                continue
            end = start + wall
            others = collections = 0.0
            for other_start, other_wall, other_cpu, other in rows[
                bisect.bisect_left(starts, start - longest) : bisect.bisect_right(starts, end)
            ]:
                overlap = min(end, other_start + other_wall) - max(start, other_start)
                if overlap <= 0 or other_start == start:
                    continue
                if other.startswith("GC "):
                    collections += overlap
                else:
                    others += other_cpu * overlap / max(other_wall, 1e-6)
            mine[what].append((wall, cpu, others, collections))
    lines = []
    for what, samples in sorted(mine.items(), key=lambda item: -len(item[1]))[:8]:
        samples.sort()
        median, slowest = samples[len(samples) // 2], samples[int(len(samples) * 0.95) :]
        tail = [statistics.mean(s[i] for s in slowest) for i in range(4)]
        rest = tail[0] - tail[1] - tail[2] - tail[3]
        lines.append(
            f"  {what[:30]:<30} n={len(samples):>5}  median {median[0] * 1000:5.1f} ms (CPU {median[1] * 1000:4.1f}); "
            f"slowest 5%: {tail[0] * 1000:5.1f} ms = own CPU {tail[1] * 1000:4.1f} + others' {tail[2] * 1000:4.1f} "
            f"+ collections {tail[3] * 1000:4.1f} + the rest {rest * 1000:5.1f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--staff", type=int, default=40)
    parser.add_argument("--portal", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=procfile_setting("CONECTA_WORKER_PROCESSES"),
                        help="worker processes (default: the Procfile's)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=procfile_setting("CONECTA_WORKER_THREADS"),
                        help="job threads in each (default: the Procfile's)")  # fmt: skip
    parser.add_argument("--latency", type=int, default=300, help="ms the sandbox adds to every Zoom call")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (the default; for bench/report.py)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trace", action="store_true",
                        help="trace every web request's wall and CPU time: what the busiest routes waited for")  # fmt: skip
    args = parser.parse_args()
    # Its 60 threads stand in for 60 browsers: a thread whose answer arrived waits for Python's lock at
    # most 1 ms (5 by default) before it reads the clock, so its own parsing is not timed as the web's.
    sys.setswitchinterval(0.001)
    rng = random.Random(args.seed)
    latency = args.latency / 1000

    with LoadWorld(pg=not args.sqlite, staff=args.staff + 1, portal=args.portal) as world:
        # The generator holds an app too: a full collection of its objects would stop all 60 "browsers"
        # at once and be timed as the web's. Settled as the web's own processes are (conecta.collector).
        collector.settle_after_load()
        world.set_latency(args.latency)
        url = world.start_web(trace=args.trace)
        world.sandbox("POST", "webhooks", json={"url": f"{url}/webhooks/zoom"})
        os.environ["CONECTA_WORKER_THREADS"] = str(args.threads)  # the workers' environment
        world.start_workers(args.workers)
        idle = idle_pass(world, url, rng)
        settle(world, 60)

        stats = Stats()
        staff = [Staff(url, stats, world, i, random.Random(rng.random())) for i in range(args.staff)]
        portal = [PortalClient(url, stats) for _ in range(args.portal)]
        for member in staff:
            member.sign_in("/login", member.email, "/calendar/")
        for client, email in zip(portal, world.portal_emails, strict=False):
            client.sign_in("/portal/login", email, "/portal/")
        stats.times.clear()
        stats.statuses.clear()
        stats.requests = stats.long_polls = 0
        load_started_at = datetime.now(UTC).isoformat(timespec="milliseconds")  # as the sandbox stamps
        requests_before = len(world.sandbox("GET", "state")["request_log"])
        access_before = len(world.access_log.read_text().splitlines())
        load_before = os.getloadavg()
        cpu_before = world.cpu()
        load_started = time.monotonic()
        traced_from = time.perf_counter()
        until = time.monotonic() + args.seconds
        threads = [threading.Thread(target=staff_loop, args=(m, until), daemon=True) for m in staff]
        threads += [
            threading.Thread(target=portal_loop, args=(c, random.Random(rng.random()), until), daemon=True)
            for c in portal
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        load_during = os.getloadavg()
        traced_until = time.perf_counter()
        access = world.access_log.read_text().splitlines()
        idle_access, load_access = access[:access_before], access[access_before:]
        settled = settle(world, 180)
        wait_for(lambda: world.sandbox("POST", "webhooks/wait", json={"timeout_seconds": 20})["empty"], 180,
                 "the webhooks to be delivered")  # fmt: skip
        settle(world, 60)
        cpu_after = world.cpu()
        cpu_seconds_at = time.monotonic()
        traced = waits(world.trace_dir, traced_from, traced_until) if args.trace else ""
        counts = consistency(world)
        state = world.sandbox("GET", "state")
        deliveries = world.sandbox("GET", "webhooks/deliveries")["deliveries"]
        web_log = (Path(world.tmp.name) / "web.log").read_text(errors="replace")
        runs, emails = jobs_run(world), emails_made(world)

    api = [e for e in state["request_log"][requests_before:] if e["path"].startswith("/v2/")]
    calls = Counter(
        f"{e['method']} {'meetings' if e['path'].endswith('/meetings') else 'meeting'}" for e in api
    )
    webhook_ms = [a["ms"] / 1000 for d in deliveries for a in d["attempts"][:1] if a.get("status")]
    webhook_requests = sum(
        1 for d in deliveries for a in d["attempts"] if a.get("status") and a["at"] >= load_started_at
    )
    web_requests = stats.requests + stats.long_polls + webhook_requests  # everything the web served
    counts["HTTP 5xx"] = sum(n for (kind, status), n in stats.statuses.items() if status >= 500)
    database = "SQLite" if args.sqlite else "PostgreSQL"
    gunicorn = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))  # as the web ran
    cpu_web = cpu_after["web"] - cpu_before["web"]
    cpu_workers = cpu_after["workers"] - cpu_before["workers"]
    per_booking = (cpu_web + cpu_workers) / max(1, stats.bookings) * 1000

    print(
        f"Load ({database}): {args.staff} staff, {args.portal} portal clients, {args.seconds:.0f} s, "
        f"{args.workers} workers × {args.threads} threads (nice {worker_setting('CONECTA_WORKER_NICE', 0)}), web {gunicorn['workers']}×{gunicorn['threads']} threads, "
        f"Zoom +{args.latency} ms; {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, "
        f"{load_during[0]:.2f} at the end"
    )
    print(
        f"  {stats.requests} requests, {stats.bookings} bookings; statuses {dict(sorted(stats.statuses.items()))}"
    )
    print("  per kind, under load against idle:")
    for kind in sorted(stats.times):
        print(row(kind, stats.times[kind], idle.times.get(kind)))
    if webhook_ms:
        print(row("webhook", webhook_ms, None) + "  (as Zoom's sender timed them)")
    print("  inside the web (gunicorn's time per request, from its thread taking it to the last byte):")
    print(inside_the_web(idle_access, load_access))
    if traced:
        print("  what they waited for under load (the web's trace; --trace):")
        print(traced)
    join = [t - latency for t in stats.join]
    idle_join = [t - latency for t in idle.join]
    join_p95 = percentile(join, 95) * 1000 if join else float("inf")
    if join:
        print(
            f"  time to Join: L+{statistics.median(join) * 1000:.0f} ms p50, L+{join_p95:.0f} ms p95 "
            f"(n={len(join)}); alone: L+{statistics.median(idle_join) * 1000:.0f} ms p50, "
            f"L+{percentile(idle_join, 95) * 1000:.0f} ms p95"
        )
    print(
        f"  CPU: {per_booking:.0f} ms per booking (web {cpu_web / max(1, stats.bookings) * 1000:.0f}, workers "
        f"{cpu_workers / max(1, stats.bookings) * 1000:.0f}); web {cpu_web / max(1, web_requests) * 1000:.1f} ms "
        f"per request ({stats.requests} pages, {stats.long_polls} panel long-polls, {webhook_requests} "
        f"webhooks); settled {settled if settled is None else round(settled, 1)} s after the load"
    )
    elapsed = max(1e-3, cpu_seconds_at - load_started)
    shares = ", ".join(
        f"{name} {(cpu_after[name] - cpu_before[name]) / elapsed * 100:.0f}%" for name in cpu_after
    )
    print(f"  CPU used, in % of one core over the {elapsed:.0f} s until settled: {shares}")
    print(f"  consistency: {dict(counts)}")
    echo_jobs = len(re.findall(r"zoom_webhook event=meeting\.\S+ queued", web_log))
    echoes = len(re.findall(r"zoom_webhook event=meeting\.\S+ echo", web_log))
    print(
        f"  webhooks delivered {len(deliveries)} (log keeps 1000), Zoom-change jobs queued {echo_jobs}, "
        f"echoes recognised at the door {echoes}; "
        f"Zoom calls {dict(calls)}"
    )
    print(f"  jobs run, idle pass included ({sum(runs.values())}): {dict(runs.most_common())}")
    print(f"  emails (idle pass included): {dict(emails.most_common())}")
    ratios = [
        percentile(stats.times[k], 95) / max(percentile(idle.times[k], 95), 1e-4)
        for k in stats.times
        if idle.times.get(k)
    ]
    emit(
        Figure(f"Load: time to Join p95 beyond Zoom's latency, {args.staff} staff ({database})",
               round(join_p95), "ms", JOIN_TARGET_MS),
        Figure(f"Load: worst page kind's p95 against its idle p95 ({database})", round(max(ratios), 1), "×",
               PAGE_TARGET_RATIO),
        Figure(f"Load: CPU per booking, web + workers ({database})", round(per_booking), "ms", CPU_TARGET_MS),
        Figure(f"Load: HTTP 5xx and inconsistencies ({database})",
               sum(v for k, v in counts.items()), "", 0),
    )  # fmt: skip


if __name__ == "__main__":
    main()
