"""Regenerate the screenshots in docs/screenshots/ (run it as `scripts/screenshots`).

The demo organization of `seed-demo` is seeded into a throwaway SQLite database, its video
consultations of this week are given Zoom meetings as the reconciler would leave them (so the sheets
show meeting IDs without a Zoom connection), and Debian's Chromium, driven by Playwright, takes:
the phone calendar (390×844), the Everyone week view, and the day sheet as printed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from conecta import create_app  # noqa: E402
from conecta.demo import ADMIN, DEMO_ORG, seed  # noqa: E402
from conecta.extensions import db  # noqa: E402
from conecta.models import Appointment, Organization, Service, ZoomMeeting, ZoomState  # noqa: E402
from conecta.models.types import utcnow  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CONECTA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]


def build_world(app) -> date:
    """The demo, with this week's video consultations holding ready meetings; returns the day to show."""
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed()
        org = db.session.scalar(db.select(Organization).filter_by(name=DEMO_ORG))
        video = db.session.scalar(db.select(Service).filter_by(org_id=org.id, name="Video consultation"))
        today = utcnow().astimezone(org.tz).date()
        day = today + timedelta(days=(7 - today.weekday()) % 7 if today.weekday() >= 5 else 0)
        appointments = db.session.scalars(
            db.select(Appointment).where(Appointment.org_id == org.id, Appointment.service_id == video.id)
        ).all()
        for number, appointment in enumerate(appointments):
            appointment.zoom = ZoomMeeting(
                wanted=True, state=ZoomState.READY, attempts=0, meeting_id=str(81234500000 + number * 7919)
            )
        db.session.commit()
        return day


def sign_in(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(ADMIN[1])
    page.get_by_label("Password").fill(ADMIN[2])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(
            {
                "SECRET_KEY": os.urandom(16).hex(),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/screenshots.db",
                "CONECTA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                "CONECTA_QUEUE": f"screenshots-{os.getpid()}",
            }
        )
        day = build_world(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        week, day_view = f"/calendar/?date={day.isoformat()}", f"/calendar/?view=day&date={day.isoformat()}"
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                phone = browser.new_context(base_url=base, viewport={"width": 390, "height": 844})
                page = phone.new_page()
                sign_in(page)
                page.goto(week)
                page.screenshot(path=OUT / "phone-calendar.png")
                desk = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
                page = desk.new_page()
                sign_in(page)
                page.goto(week)
                page.screenshot(path=OUT / "everyone-week.png", full_page=True)
                page.goto(day_view)
                page.emulate_media(media="print")
                page.screenshot(path=OUT / "print-day-sheet.png", full_page=True)
                browser.close()
        finally:
            server.shutdown()
    for name in ("phone-calendar.png", "everyone-week.png", "print-day-sheet.png"):
        print(f"wrote {(OUT / name).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
