"""Creating organizations and their first admin (used by the CLI and the demo)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from conecta.auth.passwords import hash_password
from conecta.extensions import db
from conecta.models import Organization, User


class OnboardingError(ValueError):
    """Input the CLI reports back to the person typing it."""


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name in available_timezones() or name == "UTC"


def create_organization(
    name: str, timezone_name: str, admin_email: str, admin_password: str, admin_name: str = "Admin"
) -> tuple[Organization, User]:
    email = admin_email.strip().lower()
    if not name.strip():
        raise OnboardingError("The organization needs a name.")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in name + admin_name):
        raise OnboardingError("Names are one line of text, without control characters.")
    if not valid_timezone(timezone_name):
        raise OnboardingError(
            f"Unknown time zone {timezone_name!r}; use an IANA name such as America/Tijuana."
        )
    if "@" not in email:
        raise OnboardingError(f"{admin_email!r} is not an email address.")
    if len(admin_password) < 8:
        raise OnboardingError("The admin password needs at least 8 characters.")
    if db.session.scalar(db.select(User).filter_by(email=email)) is not None:
        raise OnboardingError(f"A user with email {email} already exists.")
    org = Organization(name=name.strip(), timezone=timezone_name)
    admin = User(
        org=org, email=email, name=admin_name, password_hash=hash_password(admin_password), role="admin"
    )
    db.session.add_all([org, admin])
    db.session.commit()
    return org, admin
