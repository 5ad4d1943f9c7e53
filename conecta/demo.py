"""The demo organization that the run command seeds, so a newcomer has something to click."""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from conecta.auth.passwords import hash_password
from conecta.extensions import db
from conecta.models import Client, Organization, Service, User
from conecta.models.types import utcnow
from conecta.scheduling import BookingDetails, BookingError, create_appointment, to_utc

DEMO_ORG = "Bright Path Wellness"
DEMO_TZ = "America/Tijuana"
ADMIN = ("admin", "admin@demo.conecta.test", "demo-admin-pass", "Ana Admin")
STAFF = [
    ("staff", "sofia@demo.conecta.test", "demo-staff-pass", "Sofía Staff"),
    ("staff", "diego@demo.conecta.test", "demo-staff-pass", "Diego Staff"),
]
CLIENT_PASSWORD = "demo-client-pass"
CLIENT_NAMES = [
    "Carla Client",
    "Mateo Ruiz",
    "Lucía Gómez",
    "Tom Baker",
    "Priya Shah",
    "Omar Haddad",
    "Emma Stone",
    "Kenji Sato",
]
# Spanish-speaking clients elsewhere (the rest read the organization's English, in its zone): their emails
# and portal are in Spanish, with times in their own zone; staff see both zones in the drawer.
CLIENT_READERS = {
    "Mateo Ruiz": ("es", "Europe/Madrid"),
    "Lucía Gómez": ("es", "America/Mexico_City"),
    "Priya Shah": (None, "America/New_York"),  # English, in New York
}
# Sofía works in Spanish (her own UI language); Ana and Diego read the organization's English.
STAFF_LANGUAGES = {"sofia@demo.conecta.test": "es"}
SERVICES = [
    ("Video consultation", 45, "#2563eb", "A remote session over Zoom."),
    ("Initial assessment", 60, "#059669", "First visit: goals and plan."),
    ("Follow-up", 30, "#d97706", "A short check-in."),
]


def zoom_sandbox_users() -> str:
    """The demo's Zoom account in the sandbox (`ZOOM_SANDBOX_USERS`, which scripts/run sets): the admin and
    both staff under their Conecta emails, so connecting for the whole Zoom account matches every host by
    email -- two staff with video appointments at the same hour get two hosts."""
    admin = f"{ADMIN[1]}:admin"
    return ",".join([admin, *(f"{email}:member" for _, email, _, _ in STAFF)])


def _email(name: str) -> str:
    return name.split()[0].lower().replace("í", "i") + "@client.conecta.test"


def seed() -> list[tuple[str, str, str]]:
    """Create the demo organization once; always return every login (role, email, password)."""
    logins = [(role, email, pw) for role, email, pw, _ in [ADMIN, *STAFF]]
    logins += [("client", _email(n), CLIENT_PASSWORD) for n in CLIENT_NAMES]
    if db.session.scalar(db.select(Organization).filter_by(name=DEMO_ORG)) is not None:
        return logins

    org = Organization(name=DEMO_ORG, timezone=DEMO_TZ)
    # The contact block of every client email (Settings → Organization).
    org.contact_phone, org.contact_email = "+1 619 555 0100", "hola@demo.conecta.test"
    org.contact_address = "1250 Avenida Revolución, Tijuana"
    db.session.add(org)
    people = [
        User(
            org=org,
            email=email,
            name=name,
            password_hash=hash_password(pw),
            role=role,
            language=STAFF_LANGUAGES.get(email),
        )
        for role, email, pw, name in [ADMIN, *STAFF]
    ]
    client_hash = hash_password(CLIENT_PASSWORD)
    clients = [
        Client(
            org=org,
            name=n,
            email=_email(n),
            password_hash=client_hash,
            language=CLIENT_READERS.get(n, (None, None))[0],
            timezone=CLIENT_READERS.get(n, (None, None))[1],
        )
        for n in CLIENT_NAMES
    ]
    services = [
        Service(org=org, name=n, duration_minutes=d, color=c, description=desc) for n, d, c, desc in SERVICES
    ]
    db.session.add_all([*people, *clients, *services])
    db.session.flush()

    rng = random.Random(7)
    today = utcnow().astimezone(org.tz).date()
    for offset in range(-7, 8):
        day: date = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for staff in people:
            for hour in rng.sample(range(9, 17), 3):
                service = rng.choice(services)
                try:
                    details = BookingDetails(
                        client=rng.choice(clients),
                        service=service,
                        staff=staff,
                        starts_at=to_utc(day, time(hour, 0), org.timezone),
                    )
                    create_appointment(db.session, org, details)
                    db.session.flush()
                except BookingError:
                    continue  # a clash with an earlier random pick: skip it, the demo stays valid
    db.session.commit()
    return logins
