"""The world of one chaos run (bench/chaos.py): the whole system, for real, and the faults thrown at it.

- `zoom_harness.Harness` underneath: a throwaway database (SQLite, or PostgreSQL with --pg), the Zoom
  sandbox in its own process, a mail catcher; here with two organizations, each connected through the
  sandbox's OAuth flow as a Zoom user of its own, each with staff, clients, two Zoom services and one
  without. Clinic A is connected for the whole Zoom account: two of its staff host their meetings on
  Zoom users of their own, the third on the connecting user, so meetings move between hosts.
- A private `redis-server` (never the machine's shared one), stopped and started again empty.
- `worker.py` processes in process groups of their own, SIGKILLed and restarted.
- Operations through HTTP (the Flask test client, signed in as staff, posting the booking modal's
  forms): book, reschedule, change service, change client, change staff (another host), cancel.
- `count()`: what Zoom holds against what the appointments want -- duplicates, orphans, missing
  meetings, stuck appointments, wrong times, topics and hosts, refresh-token reuse.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

# isort: off
# First: it takes bench/ off sys.path (bench/calendar.py would shadow the standard library's) and puts
# the project on it.
from zoom_harness import FIRST_DAY, ROOT, Harness, free_port, wait_for
# isort: on

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from conecta.extensions import db
from conecta.models import Appointment, Client, Organization, Service, User, ZoomCreateAttempt
from conecta.models.audit import AuditEvent
from conecta.models.types import utcnow
from conecta.models.zoom import ZoomConnection
from conecta.models.zoom_host import ZoomHost
from conecta.models.zoom_meeting import parse_zoom_time
from conecta.zoom.decide import meeting_topic
from conecta.zoom.hosts import ACCOUNT_SCOPES

# Clocks shortened as the tests shorten them (production keeps conecta/config.py's defaults); the
# appointment lease (ZOOM_LOCK_LEASE_SECONDS, 15 s) keeps its production value.
CLOCKS = {
    "ZOOM_API_TIMEOUT_SECONDS": 3,
    "PERIODIC_INTERVAL_SECONDS": 5,
    "ZOOM_SWEEP_MIN_AGE_SECONDS": 10,
    "ZOOM_FOLLOWUP_GRACE_SECONDS": 10,
    "ZOOM_RETRY_BASE_SECONDS": 1,
    "ZOOM_RETRY_CAP_SECONDS": 15,
}
# Hangs last past our timeout by up to this much: Zoom does the work, late, and the answer is lost.
MAX_HANG = CLOCKS["ZOOM_API_TIMEOUT_SECONDS"] + 4
HX = {"HX-Request": "true"}
KEY = re.compile(r"conecta-(\d+)-[0-9a-f]+")
CONVERGENCE_COUNTS = (
    "stuck",
    "duplicates",
    "orphans",
    "missing",
    "wrong_times",
    "wrong_topics",
    "wrong_hosts",
)


class PrivateRedis:
    """A redis-server of our own, without persistence: stopped and started again, it comes back empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, workdir: Path) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = Redis.from_url(self.url, socket_connect_timeout=0.5)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except RedisError:
                return False

        wait_for(answers, 20, f"redis-server on port {self.port}")
        client.close()

    def stop(self) -> None:
        if self.running:
            self.process.terminate()
            self.process.wait(timeout=20)


class Workers:
    """`worker.py` processes, each the leader of its own process group (its RQ scheduler is in it)."""

    def __init__(self, env: dict[str, str], log_path: Path, count: int) -> None:
        self.env, self.log_path = env, log_path
        self.processes: list[subprocess.Popen | None] = [None] * count
        self.kills = 0

    def start(self, i: int) -> None:
        with open(self.log_path, "ab") as log:
            self.processes[i] = subprocess.Popen(
                [sys.executable, "worker.py"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def alive(self, i: int) -> bool:
        process = self.processes[i]
        return process is not None and process.poll() is None

    def kill(self, i: int) -> None:
        """SIGKILL: nothing gets to clean up (its lease, its scheduler lock, a job half done)."""
        process = self.processes[i]
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
            self.kills += 1
        self.processes[i] = None

    def ensure_all(self) -> None:
        for i in range(len(self.processes)):
            if not self.alive(i):
                self.start(i)

    def stop(self) -> None:
        for process in self.processes:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for i, process in enumerate(self.processes):
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(i)
        self.processes = [None] * len(self.processes)


@dataclass
class Org:
    id: int
    staff_ids: list[int]
    client_ids: list[int]
    zoom_service_ids: list[int]
    plain_service_id: int
    zoom_user_id: str  # the Zoom user who connected: the host of meetings without a host of their own
    next_slot: int = 0
    booked: dict[int, dict[str, Any]] = field(default_factory=dict)  # live appointment id → its form
    recent: list[int] = field(default_factory=list)


class ChaosWorld(Harness):
    """`with ChaosWorld(pg=False, workers=3) as world:` -- everything above, torn down on exit."""

    def __init__(self, *, pg: bool, workers: int, seed: int) -> None:
        self.redis = PrivateRedis()
        super().__init__(pg=pg, staff=1, redis_url=self.redis.url)
        self.worker_count = workers
        self.rng = random.Random(seed)
        self.orgs: list[Org] = []
        self.pool: Workers | None = None

    def _start(self) -> None:
        self.redis.start(Path(self.tmp.name))
        super()._start()
        self.app.config.update(CLOCKS)
        env = {**self.process_env(), **{name: str(value) for name, value in CLOCKS.items()}}
        self.pool = Workers(env, Path(self.tmp.name) / "workers.log", self.worker_count)
        self.pool.ensure_all()

    def _seed(self) -> None:
        second = self.sandbox("POST", "users", json={"email": "studio@example.com", "role": "member"})
        self.orgs = [
            self._seed_org(
                "Clinic A", "America/Tijuana", "clinic", "sandbox-user-1", "host@example.com", hosts=2
            ),
            self._seed_org("Studio B", "Europe/Madrid", "studio", second["id"], second["email"]),
        ]

    def _seed_org(
        self, name: str, tz: str, slug: str, zoom_user: str, zoom_email: str, hosts: int = 0
    ) -> Org:
        """An organization connected as `zoom_user`; with `hosts`, for the whole Zoom account, its first
        `hosts` staff members each hosting on a Zoom user of their own (the others on `zoom_user`)."""
        org = Organization(name=name, timezone=tz)
        staff = [
            User(org=org, email=f"s{i}@{slug}.test", name=f"Staff {i}", password_hash="x", role="staff")
            for i in range(3)
        ]
        clients = [
            Client(org=org, name=f"Client {i} of {slug}", email=f"c{i}@{slug}.test") for i in range(12)
        ]
        video = Service(org=org, name="Video call", duration_minutes=30, zoom_auto_create=True)
        session = Service(org=org, name="Video session", duration_minutes=45, zoom_auto_create=True)
        visit = Service(org=org, name="Visit", duration_minutes=60)
        db.session.add_all([org, *staff, *clients, video, session, visit])
        db.session.flush()
        tokens = self._authorize(zoom_user, scope=" ".join(ACCOUNT_SCOPES) if hosts else None)
        for member in staff[:hosts]:
            own = self.sandbox("POST", "users", json={"email": member.email, "role": "member"})
            db.session.add(
                ZoomHost(user_id=member.id, org_id=org.id, zoom_user_id=own["id"], zoom_email=member.email)
            )
        db.session.add(
            ZoomConnection(
                org_id=org.id, zoom_user_id=zoom_user, zoom_email=zoom_email,
                zoom_account_id="sandbox-account-1", scopes=tokens["scope"],
                mode="account" if hosts else "user",
                access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
                access_token_expires_at=utcnow() + timedelta(seconds=int(tokens["expires_in"])),
            )
        )  # fmt: skip
        db.session.commit()
        return Org(
            org.id,
            [s.id for s in staff],
            [c.id for c in clients],
            [video.id, session.id],
            visit.id,
            zoom_user,
        )

    def __exit__(self, *exc: Any) -> None:
        if self.pool is not None:
            self.pool.stop()
        if not self.redis.running:
            self.redis.start(Path(self.tmp.name))  # the harness clears its keys on the way out
        try:
            super().__exit__(*exc)
        finally:
            self.redis.stop()

    # -- operations, through HTTP ----------------------------------------------------------------------

    def client_for(self, org: Org):
        with self.app.app_context():
            return self.app.test_client(user=db.session.get(User, org.staff_ids[0]))

    def _slot(self, org: Org) -> dict[str, str]:
        """A time nobody in the organization ever had: days, then hours (never two within an hour), so
        any staff member may take it, and change to any other, without a conflict."""
        k = org.next_slot
        org.next_slot += 1
        day = FIRST_DAY + timedelta(days=k % 56)
        return {"date": day.isoformat(), "time": f"{7 + k // 56:02d}:00"}

    def _service(self, org: Org, other_than: str | None = None) -> str:
        choices = [str(s) for s in [*org.zoom_service_ids, *org.zoom_service_ids, org.plain_service_id]]
        return self.rng.choice([c for c in choices if c != other_than] or choices)

    def operate(self, org: Org, http: Any) -> tuple[str, int]:
        """One random operation on `org`; (what, HTTP status)."""
        rng, roll = self.rng, self.rng.random()
        if not org.booked or roll < 0.35:
            form = {
                "client_id": str(rng.choice(org.client_ids)),
                "service_id": self._service(org),
                "staff_id": str(rng.choice(org.staff_ids)),
                **self._slot(org),
                "duration_minutes": "",
                "notes": "",
            }
            response = http.post("/bookings/new", data=form, headers=HX)
            if response.status_code == 200:
                saved = json.loads(response.headers["HX-Trigger"])["appointment-saved"]["id"]
                org.booked[saved] = form
                org.recent.append(saved)
            return "book", response.status_code
        # Half the time a change of mind about the latest bookings, whose calls to Zoom may still be in
        # flight (a create hanging, an answer lost); otherwise any live appointment.
        recent = [a for a in org.recent[-3:] if a in org.booked]
        target = rng.choice(recent) if recent and rng.random() < 0.5 else rng.choice(list(org.booked))
        form = dict(org.booked[target])
        if roll < 0.52:
            what = "reschedule"
            form.update(self._slot(org))
        elif roll < 0.63:
            what = "change service"
            form["service_id"] = self._service(org, other_than=form["service_id"])
        elif roll < 0.74:
            what = "change client"
            form["client_id"] = str(rng.choice([c for c in org.client_ids if str(c) != form["client_id"]]))
        elif roll < 0.82:
            what = "change staff"  # in Clinic A, mostly another Zoom host: the meeting moves
            form["staff_id"] = str(rng.choice([s for s in org.staff_ids if str(s) != form["staff_id"]]))
        else:
            # As a browser sends the confirmation: "Email the client" is checked by default.
            response = http.post(f"/bookings/{target}/cancel", data={"email_client": "y"}, headers=HX)
            if response.status_code == 200:
                del org.booked[target]
            return "cancel", response.status_code
        response = http.post(f"/bookings/{target}/edit", data=form, headers=HX)
        if response.status_code == 200:
            org.booked[target] = form
        return what, response.status_code

    # -- faults ------------------------------------------------------------------------------------------

    def random_faults(self) -> dict[str, Any]:
        """A few of Zoom's bad moments at once, each for a call or two: 5xx, a lost answer (the work done),
        a hang past our timeout (the work done late), 429 with Retry-After, expired tokens."""
        create, meeting = "re:/v2/users/[^/]+/meetings", r"re:/v2/meetings/\d+"
        hang = round(self.rng.uniform(CLOCKS["ZOOM_API_TIMEOUT_SECONDS"] + 0.5, MAX_HANG), 1)
        menu = [
            {"method": "POST", "path": create, "status": self.rng.choice([500, 502, 503]), "count": 1},
            {"method": "POST", "path": create, "status": 502, "commit_then_fail": True, "count": 1},
            {"method": "POST", "path": create, "hang_seconds": hang, "count": 1},
            {"method": "GET", "path": create, "status": 500, "count": 1},
            {"method": "GET", "path": create, "hang_seconds": hang, "count": 1},
            {"method": "PATCH", "path": meeting, "status": 503, "count": 1},
            {"method": "PATCH", "path": meeting, "status": 502, "commit_then_fail": True, "count": 1},
            {"method": "PATCH", "path": meeting, "hang_seconds": hang, "count": 1},
            {"method": "DELETE", "path": meeting, "status": 502, "commit_then_fail": True, "count": 1},
            {"method": "DELETE", "path": meeting, "hang_seconds": hang, "count": 1},
            {"path": "re:/v2/.*", "status": 429, "retry_after": 1, "count": 2},
        ]
        errors = self.rng.sample(menu, self.rng.choice([1, 2, 2, 3]))
        return {
            "latency_ms": self.rng.choice([0, 10, 30]),
            "errors": errors,
            "expire_all_tokens": self.rng.random() < 0.1,
        }

    # -- what Zoom holds against what the appointments want ---------------------------------------------

    def count(self) -> dict[str, int]:
        state = self.sandbox("GET", "state")
        live = {str(m["id"]): m for m in state["meetings"]}
        with self.app.app_context():
            try:
                appointments = db.session.scalars(
                    select(Appointment).options(
                        joinedload(Appointment.zoom),
                        joinedload(Appointment.service),
                        joinedload(Appointment.client),
                    )
                ).all()
                own_hosts = dict(db.session.execute(select(ZoomHost.user_id, ZoomHost.zoom_user_id)).all())
                counts = self._compare(appointments, live, own_hosts)
                counts["open_follow_ups"] = len(
                    db.session.scalars(select(ZoomCreateAttempt.tracking_key)).all()
                )
                counts["connections_lost"] = len(
                    db.session.scalars(
                        select(ZoomConnection.id).where(ZoomConnection.status != "active")
                    ).all()
                )
            finally:
                db.session.remove()
        counts["refresh_token_reuse"] = sum(
            1 for e in state["request_log"] if e["path"] == "/oauth/token" and e["status"] == 400
        )
        counts["request_log_full"] = int(len(state["request_log"]) >= 10_000)
        return counts

    def activity(self) -> dict[str, int]:
        """What the chaos made happen: from Zoom's request log, the audit log and the workers' log."""
        state = self.sandbox("GET", "state")
        api = [e for e in state["request_log"] if e["path"].startswith("/v2/")]
        worker_log = (Path(self.tmp.name) / "workers.log").read_text(errors="replace")
        with self.app.app_context():
            try:
                events = Counter(db.session.scalars(select(AuditEvent.event)))
                found = db.session.scalar(
                    select(func.count()).where(
                        AuditEvent.detail.like("Found the meeting an earlier attempt%")
                    )
                )
            finally:
                db.session.remove()
        return {
            "zoom 5xx": sum(1 for e in api if e["status"] >= 500),
            "zoom 429": sum(1 for e in api if e["status"] == 429),
            "answers lost in a hang or reset": len(re.findall(r"zoom_api .*status=failed", worker_log)),
            "token refreshes": state["refresh_count"],
            "creates on a staff member's own Zoom user": sum(
                1
                for e in api
                if e["method"] == "POST"
                and re.fullmatch(r"/v2/users/[^/]+/meetings", e["path"])
                and not e["path"].startswith("/v2/users/me/")
            ),
            "lost creates found and adopted": found or 0,
            "twins deleted on adoption": events["zoom_duplicate_deleted"],
            "stray meetings deleted by the follow-up": events["zoom_stray_meeting_deleted"],
            "meetings replaced (another client or host)": events["zoom_meeting_replaced"],
        }

    def _compare(
        self, appointments: list[Appointment], live: dict[str, dict], own_hosts: dict[int, str | None]
    ) -> dict[str, int]:
        """`own_hosts`: staff member → their own Zoom user (whole-account connections); anyone else's
        meetings belong on the Zoom user who connected the organization."""
        counts = dict.fromkeys(
            ("stuck", "failed", "missing", "wrong_times", "wrong_topics", "wrong_hosts"), 0
        )
        connecting = {org.id: org.zoom_user_id for org in self.orgs}
        current: set[str] = set()
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
            starts = parse_zoom_time(meeting["start_time"])
            wrong_time = (
                starts != appointment.starts_at or meeting["duration"] != appointment.duration_minutes
            )
            counts["wrong_times"] += int(wrong_time)
            counts["wrong_topics"] += int(meeting["topic"] != meeting_topic(appointment))
            host = own_hosts.get(appointment.staff_id) or connecting[appointment.org_id]
            counts["wrong_hosts"] += int(meeting.get("host_id") != host)
        per_appointment: dict[str, int] = {}
        orphans = 0
        for meeting_id, meeting in live.items():
            found = KEY.search(meeting.get("agenda") or "")
            if found is None:
                continue
            per_appointment[found.group(1)] = per_appointment.get(found.group(1), 0) + 1
            orphans += int(meeting_id not in current)
        counts["duplicates"] = sum(1 for n in per_appointment.values() if n > 1)
        counts["orphans"] = orphans
        return counts

    def explain(self) -> list[str]:
        """What is wrong, meeting by meeting (for a run that did not converge): each orphan's key and
        appointment, each missing meeting's appointment, with its row, open attempts and last events."""
        live = {str(m["id"]): m for m in self.sandbox("GET", "state")["meetings"]}
        lines = []
        with self.app.app_context():
            try:
                for appointment in db.session.scalars(
                    select(Appointment).options(joinedload(Appointment.zoom))
                ).all():
                    zoom = appointment.zoom
                    if zoom is None:
                        continue
                    keyed = [m for m in live.values() if (KEY.search(m.get("agenda") or "") or [0, 0])[1]
                             == str(appointment.id) and str(m["id"]) != zoom.meeting_id]  # fmt: skip
                    wanted = zoom.wanted and not appointment.is_cancelled
                    missing = wanted and (zoom.meeting_id or "") not in live
                    if not keyed and not missing:
                        continue
                    attempts = db.session.scalars(
                        select(ZoomCreateAttempt).where(ZoomCreateAttempt.appointment_id == appointment.id)
                    ).all()
                    events = db.session.scalars(
                        select(AuditEvent.event)
                        .where(AuditEvent.appointment_id == appointment.id)
                        .order_by(AuditEvent.id)
                    ).all()
                    lines.append(
                        f"appointment {appointment.id}: state {zoom.state}, meeting {zoom.meeting_id}, key "
                        f"{zoom.tracking_key}, wanted {wanted}, host {zoom.host_user_id}→{zoom.wanted_host_id};"
                        f" {'MISSING; ' if missing else ''}other live meetings with its key: "
                        f"{[(m['id'], m['agenda'][-20:], m.get('host_id')) for m in keyed]}; open attempts: "
                        f"{[(a.tracking_key, a.calls, a.host_user_id) for a in attempts]}; events: {events[-12:]}"
                    )
            finally:
                db.session.remove()
        return lines

    def settled(self, counts: dict[str, int]) -> bool:
        return all(counts[name] == 0 for name in CONVERGENCE_COUNTS)


def run_in_thread(target: Any, *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def pause(seconds: float) -> None:
    """Pacing between operations (not a wait for anything)."""
    if seconds > 0:
        time.sleep(seconds)
