"""Benchmark: the Calendar's week view with group sessions, at N = 1,000 and 5,000 appointments.

`bench/calendar.py`'s organizations and measurements, with a third of the appointments turned into
sessions of a group service ("Group therapy", 8 clients a session) holding 2 to 8 participants each
(some removed), so the week view draws "Group therapy · 5/8" for each: the count is read in the same one
statement (a correlated count, evaluated for group services' rows only). Targets as for the plain week
view: the same statement count at every N, and N = 5,000 within 5 x the CPU time of N = 1,000.

    .venv/bin/python bench/calendar_groups.py [--pg] [--repeat 20] [--rounds 3] [--sizes 1000,5000]
"""

from __future__ import annotations

import sys
from pathlib import Path

# As in bench/calendar.py: this folder off sys.path (its calendar.py would shadow the standard library's).
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

import random  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from bench import calendar as bench_calendar  # noqa: E402
from conecta.extensions import db  # noqa: E402
from conecta.models import Appointment, AppointmentParticipant, Client, Service, User  # noqa: E402
from conecta.models.types import utcnow  # noqa: E402

CAPACITY = 8
_plain_seed = bench_calendar.seed


def seed_with_groups(n: int, days: int) -> User:
    """bench/calendar.py's organization, a third of its appointments made group sessions."""
    admin = _plain_seed(n, days)
    org_id = admin.org_id
    group = Service(
        org_id=org_id, name="Group therapy", duration_minutes=30, color="#7c3aed", capacity=CAPACITY
    )
    db.session.add(group)
    db.session.flush()
    clients = list(db.session.scalars(sa.select(Client.id).where(Client.org_id == org_id)))
    ids = list(db.session.scalars(sa.select(Appointment.id).where(Appointment.org_id == org_id)))
    rng = random.Random(n)
    sessions = ids[::3]
    db.session.execute(sa.update(Appointment).where(Appointment.id.in_(sessions)).values(service_id=group.id))
    now, rows = utcnow(), []
    for appointment_id in sessions:
        for client_id in rng.sample(clients, rng.randint(2, CAPACITY)):
            status = "removed" if rng.random() < 0.1 else "active"
            rows.append(
                {"appointment_id": appointment_id, "client_id": client_id, "status": status, "added_at": now}
            )
    db.session.execute(sa.insert(AppointmentParticipant), rows)
    db.session.commit()
    return admin


def main() -> None:
    bench_calendar.seed = seed_with_groups  # prepare() seeds through the module's global
    if "--sizes" not in sys.argv:
        sys.argv += ["--sizes", "1000,5000"]
    if "--day-sizes" not in sys.argv:
        sys.argv += ["--day-sizes", ""]
    original_run = bench_calendar.run

    def run_labelled(label: str, *args):  # figures named apart from the plain week view's
        return original_run(f"{label}, with group sessions", *args)

    bench_calendar.run = run_labelled
    bench_calendar.main()


if __name__ == "__main__":
    main()
