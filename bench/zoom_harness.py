"""What the Zoom benchmarks share: the whole system, for real, on throwaway resources.

- a temporary database (SQLite file, or PostgreSQL with --pg), built by the migrations;
- the Zoom sandbox in its own process (`zoom_sandbox.process.SandboxProcess`, as the tests start it), its
  latency set through `/__sandbox/faults`;
- a mail catcher (aiosmtpd) so the confirmation emails the sync triggers have somewhere to go;
- an organization whose Zoom connection holds tokens minted by the sandbox;
- `worker.py` processes on a Redis namespace of their own (`bench-<id>`), removed afterwards;
- when asked, the web app under gunicorn as the Procfile runs it (`start_web`), for a real browser.

Bookings are made with the Flask test client signed in as a staff member (the whole request, minus the
network), exactly as the booking modal posts them.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# worker.py under cProfile with a CPU clock; argv[1] is where the profile goes when it stops.
PROFILED_WORKER = """
import cProfile, runpy, sys, time
out, sys.argv = sys.argv[1], ["worker.py"]
profiler = cProfile.Profile(time.process_time)
try:
    profiler.runcall(runpy.run_path, "worker.py", run_name="__main__")
except SystemExit:
    pass
finally:
    profiler.dump_stats(out)
"""
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from flask import Flask  # noqa: E402
from flask_login import FlaskLoginClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from conecta import create_app, jobs  # noqa: E402
from conecta.extensions import db  # noqa: E402
from conecta.models import Client, Organization, Service, User, ZoomMeeting  # noqa: E402
from conecta.models.types import utcnow  # noqa: E402
from conecta.models.zoom import ZoomConnection  # noqa: E402
from conecta.scheduling import BookingDetails, to_utc  # noqa: E402
from zoom_sandbox.process import SandboxProcess  # noqa: E402

TZ = "America/Tijuana"
FIRST_DAY = date(2031, 3, 3)  # a Monday, far enough ahead to be "upcoming" for Zoom
PG_ADMIN_URL = os.environ.get("CONECTA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CONECTA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
HX = {"HX-Request": "true"}


def procfile_setting(name: str, default: int = 1) -> int:
    """A worker setting's default in the Procfile (CONECTA_WORKER_PROCESSES, _THREADS, _NICE): the
    benchmarks run workers as production does, and the web as gunicorn.conf.py says."""
    found = re.search(rf"{name}:-(\d+)", (ROOT / "Procfile").read_text())
    return int(found.group(1)) if found else default


def worker_setting(name: str, default: int = 1) -> int:
    """A setting of each worker.py process: from the environment if set, else the Procfile's."""
    return int(os.environ.get(name) or procfile_setting(name, default))


def link_bench_args(doc: str | None) -> argparse.Namespace:
    """The command line of the two time-to-link benchmarks (server side and in a browser)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--bookings", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency", type=int, default=300, help="ms the sandbox adds to every Zoom call")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def describe(values: list[float]) -> str:
    return (
        f"median {statistics.median(values) * 1000:.0f} ms, p95 {percentile(values, 95) * 1000:.0f} ms, "
        f"min {min(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms (n={len(values)})"
    )


class Harness:
    """`with Harness(pg=False) as h:` — everything above, torn down on exit (even on Ctrl-C)."""

    def __init__(self, *, pg: bool = False, staff: int = 10, redis_url: str = REDIS_URL) -> None:
        self.pg = pg
        self.redis_url = redis_url
        self.staff_count = staff
        self.tmp = tempfile.TemporaryDirectory(prefix="conecta-bench-")
        self.namespace = f"bench-{uuid.uuid4().hex[:8]}"
        self.zoom: SandboxProcess | None = None
        self.workers: list[subprocess.Popen] = []
        self.web: subprocess.Popen | None = None
        self.pg_name: str | None = None
        self.mail_controller = None
        self.app: Flask
        self.sandbox_url = ""

    # -- set-up ---------------------------------------------------------------------------------------

    def __enter__(self) -> Harness:
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        tmp = Path(self.tmp.name)
        if self.pg:
            self.pg_name = f"conecta_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self.pg_name}"'))
            admin.dispose()
            database_url = sa.engine.make_url(PG_ADMIN_URL).set(database=self.pg_name).render_as_string(False)
        else:
            database_url = f"sqlite:///{tmp / 'bench.db'}"

        self.zoom = SandboxProcess().start()
        self.sandbox_url = self.zoom.url
        self.sandbox("POST", "config", json={"DAILY_CREATE_UPDATE_LIMIT": 10**9})

        import logging

        from aiosmtpd.controller import Controller

        from conecta.mail.catcher import MailboxHandler

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
        mail_port = free_port()
        self.mail_controller = Controller(
            MailboxHandler(tmp / "mailbox"), hostname="127.0.0.1", port=mail_port
        )
        self.mail_controller.start()

        self.config = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "CONECTA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "WTF_CSRF_ENABLED": False,
            "REDIS_URL": self.redis_url,
            "CONECTA_QUEUE": self.namespace,
            "ZOOM_OAUTH_BASE_URL": self.sandbox_url,
            "ZOOM_API_BASE_URL": f"{self.sandbox_url}/v2",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": mail_port,
            "MAIL_CATCHER_DIR": str(tmp / "mailbox"),
        }
        self.app = create_app(self.config)
        self.app.test_client_class = FlaskLoginClient
        logging.getLogger().setLevel(logging.WARNING)
        with self.app.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision="heads")
            self._seed()

    def _seed(self) -> None:
        org = Organization(name="Bench Clinic", timezone=TZ)
        staff = [
            User(org=org, email=f"s{i}@bench.test", name=f"Staff {i}", password_hash="x", role="staff")
            for i in range(self.staff_count)
        ]
        clients = [Client(org=org, name=f"Client {i}", email=f"c{i}@bench.test") for i in range(50)]
        service = Service(org=org, name="Video call", duration_minutes=30, zoom_auto_create=True)
        db.session.add_all([org, *staff, *clients, service])
        db.session.flush()
        tokens = self._authorize()
        db.session.add(
            ZoomConnection(
                org_id=org.id,
                zoom_user_id="sandbox-user-1",
                zoom_email="host@example.com",
                zoom_account_id="sandbox-account-1",
                scopes=tokens["scope"],
                access_token=tokens["access_token"],
                refresh_token=tokens["refresh_token"],
                access_token_expires_at=utcnow() + timedelta(seconds=int(tokens["expires_in"])),
            )
        )
        db.session.commit()
        self.org_id, self.service_id = org.id, service.id
        self.staff_ids = [s.id for s in staff]
        self.client_ids = [c.id for c in clients]

    def _authorize(self, user_id: str | None = None, scope: str | None = None) -> dict[str, Any]:
        """The OAuth dance with the sandbox (consent page → Allow → code → tokens), minus the browser;
        `user_id` chooses the sandbox user on the consent page (default: its first admin), `scope` asks
        for other scopes than the app's user-level ones (the admin scopes of a whole-account connection)."""
        redirect_uri = "http://127.0.0.1/zoom/callback"
        page = requests.get(
            f"{self.sandbox_url}/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": "sandbox-client-id",
                "redirect_uri": redirect_uri,
                "state": "bench",
                **({"scope": scope} if scope else {}),
            },
            timeout=10,
        )
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        fields = {name: html.unescape(value) for name, value in fields.items()}
        answer = requests.post(
            f"{self.sandbox_url}/oauth/authorize",
            data={**fields, "decision": "allow", **({"user_id": user_id} if user_id else {})},
            allow_redirects=False,
            timeout=10,
        )
        code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
        token = requests.post(
            f"{self.sandbox_url}/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            auth=("sandbox-client-id", "sandbox-client-secret"),
            timeout=10,
        )
        token.raise_for_status()
        return token.json()

    # -- the pieces -----------------------------------------------------------------------------------

    def sandbox(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.sandbox_url}/__sandbox/{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def set_latency(self, ms: int) -> None:
        self.sandbox("POST", "faults", json={"latency_ms": ms})

    def slot(self, i: int) -> tuple[int, date, clock]:
        """The i-th free half-hour: staff round-robin, then days, then times from 06:00 (never a clash)."""
        staff_id = self.staff_ids[i % len(self.staff_ids)]
        k = i // len(self.staff_ids)
        day = FIRST_DAY + timedelta(days=k % 28)
        minute = 6 * 60 + (k // 28) * 30
        return staff_id, day, clock(minute // 60, minute % 60)

    def booking_form(self, i: int) -> dict[str, Any]:
        staff_id, day, at = self.slot(i)
        return {
            "client_id": self.client_ids[i % len(self.client_ids)],
            "service_id": self.service_id,
            "staff_id": staff_id,
            "date": day.isoformat(),
            "time": at.strftime("%H:%M"),
            "duration_minutes": "",
            "notes": "",
        }

    def http_as_staff(self):
        with self.app.app_context():
            user = db.session.get(User, self.staff_ids[0])
            return self.app.test_client(user=user)

    def book_directly(self, i: int) -> int:
        """Book through the booking service (no HTTP): the mark and the job, as a save makes them."""
        from conecta.bookings import service as bookings

        staff_id, day, at = self.slot(i)
        with self.app.app_context():
            details = BookingDetails(
                client=db.session.get(Client, self.client_ids[i % len(self.client_ids)]),
                service=db.session.get(Service, self.service_id),
                staff=db.session.get(User, staff_id),
                starts_at=to_utc(day, at, TZ),
            )
            appointment = bookings.save_new(db.session.get(Organization, self.org_id), details)
            return appointment.id

    def zoom_state(self, appointment_id: int) -> str:
        """The appointment's Zoom state, read on a connection of our own (no app context, no ORM)."""
        if not hasattr(self, "_engine"):
            self._engine = sa.create_engine(self.config["SQLALCHEMY_DATABASE_URI"])
        with self._engine.connect() as conn:
            return (
                conn.execute(
                    sa.text("SELECT state FROM zoom_meetings WHERE appointment_id = :id"),
                    {"id": appointment_id},
                ).scalar_one_or_none()
                or "none"
            )

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far (user + system, reaped children included): workers, sandbox, this process."""
        tick = os.sysconf("SC_CLK_TCK")

        def of(pid: int) -> float:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return 0.0
            return sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime

        return {
            "workers": sum(of(w.pid) for w in self.workers),
            "sandbox": of(self.zoom.pid) if self.zoom else 0.0,
            "web+bench": of(os.getpid()),
        }

    def mail_count(self) -> int:
        """Messages the mail catcher has received so far."""
        mailbox = Path(self.tmp.name) / "mailbox"
        return sum(1 for _ in mailbox.glob("*.eml")) if mailbox.exists() else 0

    def count_states(self) -> dict[str, int]:
        with self.app.app_context():
            rows = db.session.execute(
                sa.select(ZoomMeeting.state, sa.func.count()).group_by(ZoomMeeting.state)
            ).all()
            db.session.remove()
        return {str(state): n for state, n in rows}

    def process_env(self) -> dict[str, str]:
        """The environment of the app's own processes (workers, the web server): this harness's system."""
        return {
            **os.environ,
            "CONECTA_ENV": "development",
            "SECRET_KEY": "bench",
            "DATABASE_URL": self.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": self.redis_url,
            "CONECTA_QUEUE": self.namespace,
            "CONECTA_ENCRYPTION_KEYS": self.config["CONECTA_ENCRYPTION_KEYS"],
            "ZOOM_OAUTH_BASE_URL": self.config["ZOOM_OAUTH_BASE_URL"],
            "ZOOM_API_BASE_URL": self.config["ZOOM_API_BASE_URL"],
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.config["MAIL_PORT"]),
            "CONECTA_WORKER_PROCESSES": "1",  # one worker each: the benchmarks start as many as they ask for
            "CONECTA_WORKER_THREADS": str(worker_setting("CONECTA_WORKER_THREADS")),
            "CONECTA_WORKER_NICE": str(worker_setting("CONECTA_WORKER_NICE", 0)),
        }

    @property
    def access_log(self) -> Path:
        return Path(self.tmp.name) / "access.log"

    @property
    def trace_dir(self) -> Path:
        """Where `start_web(trace=True)` has each web process write its trace (bench/web_trace.py)."""
        return Path(self.tmp.name) / "web-trace"

    def start_web(self, trace: bool = False) -> str:
        """gunicorn as the Procfile runs it (gunicorn.conf.py), CSRF and all; returns its base URL. With
        `trace`, each web process also writes every request's wall and CPU time (bench/web_trace.py)."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**self.process_env(), "CONECTA_BASE_URL": url}
        config = "gunicorn.conf.py"
        if trace:
            self.trace_dir.mkdir(exist_ok=True)
            env["CONECTA_WEB_TRACE_DIR"] = str(self.trace_dir)
            config = str(Path(__file__).parent / "web_trace.py")
        log = open(Path(self.tmp.name) / "web.log", "ab")  # noqa: SIM115  (lives as long as it does)
        command = [sys.executable, "-m", "gunicorn", "-c", config, "-b", f"127.0.0.1:{port}"]
        # An access log as the Procfile's, with gunicorn's own time per request (µs): its thread's share.
        command += ["--access-logfile", str(self.access_log), "--access-logformat", "%(m)s %(U)s %(s)s %(D)s"]
        self.web = subprocess.Popen(
            [*command, "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )

        def answers() -> bool:
            try:
                return requests.get(f"{url}/login", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for(answers, 60, "the web server")
        return url

    def start_workers(self, n: int, profile_to: Path | None = None) -> None:
        """Start `n` worker.py processes; with `profile_to`, each under cProfile counting CPU time (not
        the wait for Zoom), writing worker-<i>.prof there when it stops (`stop_workers`)."""
        env = self.process_env()
        if profile_to is not None:
            env["CONECTA_WORKER_THREADS"] = "1"  # cProfile sees its own thread only: every job runs there
        log = open(Path(self.tmp.name) / "workers.log", "ab")  # noqa: SIM115  (lives as long as they do)
        for i in range(n):
            command = ["worker.py"]
            if profile_to is not None:
                command = ["-c", PROFILED_WORKER, str(profile_to / f"worker-{i}.prof")]
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, *command],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        from rq import Worker

        with self.app.app_context():
            connection = jobs.redis_conn()
            queue = jobs.queue_names(self.app)[0]
            wait_for(
                lambda: sum(queue in w.queue_names() for w in Worker.all(connection=connection)) >= n,
                60,
                f"{n} workers to start",
            )

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.workers = []

    # -- tear-down ------------------------------------------------------------------------------------

    def __exit__(self, *exc: Any) -> None:
        self.stop_workers()
        if self.web is not None:
            self.web.send_signal(signal.SIGTERM)
            try:
                self.web.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.web.kill()
                self.web.wait()
        if hasattr(self, "_engine"):
            self._engine.dispose()
        if self.zoom is not None:
            self.zoom.stop()
        if self.mail_controller is not None:
            self.mail_controller.stop()
        if hasattr(self, "app"):
            with self.app.app_context():
                connection = jobs.redis_conn()
                for key in connection.scan_iter(f"*{self.namespace}*", count=1000):
                    connection.delete(key)
                db.session.remove()
                db.engine.dispose()
        if self.pg_name:
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
            admin.dispose()
        self.tmp.cleanup()
