"""Periodic work, in one place: the Zoom sweep, the follow-up of lost creates, the email outbox sweep,
the pre-meeting checks, the reminders and the admins' alerts.

Every worker calls `run_if_due` on its maintenance tick; a Redis key set with NX and an expiry of one
interval lets exactly one of them take each turn, however many run. Every sweep is idempotent (the
safety nets enqueue what a lost job, a Redis outage or a lost answer from Zoom left behind; the others
act once on what is due, remembered in the database), so a missed or doubled turn is harmless.
"""

from __future__ import annotations

import logging

from flask import Flask

from conecta import jobs
from conecta.mail import outbox, reminders
from conecta.zoom import alerts, health, lock
from conecta.zoom import attempts as zoom_attempts
from conecta.zoom import sweep as zoom_sweep

log = logging.getLogger("conecta.periodic")

SWEEPS = (
    ("zoom", zoom_sweep.sweep),
    ("zoom-leases", lock.wake_orphans),  # jobs left with a holder that died (a killed worker)
    ("zoom-creates", zoom_attempts.sweep),  # creates whose answer was lost, followed up
    ("email", outbox.sweep),
    ("zoom-health", health.sweep),  # checks before each meeting (and their reminders)
    ("reminders", reminders.sweep),  # reminders of appointments without Zoom
    ("zoom-alerts", alerts.sweep),  # admins emailed when Zoom needs reconnecting
)


def run_if_due(app: Flask) -> bool:
    """Run the sweeps if this worker takes the turn; True if it did."""
    with app.app_context():
        interval = float(app.config["PERIODIC_INTERVAL_SECONDS"])
        # A little under one interval, so the next tick of the same worker finds the turn free.
        expiry_ms = max(500, int(interval * 1000) - 250)
        if not jobs.redis_conn().set(jobs.redis_key("periodic", "turn"), "1", nx=True, px=expiry_ms):
            return False
        run_sweeps()
        return True


def run_sweeps() -> None:
    """Each sweep on its own: one failing (the database or Redis away) does not stop the other."""
    from conecta.extensions import db

    for name, sweep in SWEEPS:
        try:
            sweep()
        except Exception:
            db.session.rollback()
            log.exception("the %s sweep failed; the next turn tries again", name)
