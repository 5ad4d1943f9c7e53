"""How a clinic is known to its clients: its name and contact (Settings → Organization), and a link to
its portal that names it, so the sign-in page can greet the client with the clinic's name.

The link carries the organization's id signed with the app's secret (`?clinic=<token>`), not the bare id:
anyone can read a clinic's name from a link they were given, but nobody can walk the ids and list every
organization's name. Single-organization installs need no token: the sign-in page shows the one there is.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from conecta.extensions import db
from conecta.models import Organization

CLINIC_SALT = "portal-clinic"


@dataclass(frozen=True)
class Clinic:
    """What a client email and the portal say about the organization: name, contact, portal link."""

    name: str
    phone: str
    email: str
    address: str
    portal_url: str

    @property
    def has_contact(self) -> bool:
        return bool(self.phone or self.email or self.address)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CLINIC_SALT)


def clinic_token(org_id: int) -> str:
    return _serializer().dumps(org_id)


def org_from_token(token: str | None) -> Organization | None:
    if not token:
        return None
    try:
        org_id = _serializer().loads(token)
    except BadSignature:
        return None
    return db.session.get(Organization, org_id) if isinstance(org_id, int) else None


def org_for_sign_in(token: str | None, next_url: str | None) -> Organization | None:
    """The organization the sign-in page is for: the `clinic` token of the link (or of the page the
    client was sent to sign in from), else the only organization of a single-organization install."""
    if not token and next_url:
        token = (parse_qs(urlsplit(next_url).query).get("clinic") or [None])[0]
    org = org_from_token(token)
    if org is not None:
        return org
    if db.session.scalar(select(func.count()).select_from(Organization)) == 1:
        return db.session.scalar(select(Organization))
    return None


def portal_url(org: Organization, endpoint: str = "portal.index", **values: object) -> str:
    """An absolute portal link for an email, on CONECTA_BASE_URL, naming the clinic. Works in a worker
    (no request): the URL is built in a request context of the base URL."""
    base = current_app.config["CONECTA_BASE_URL"]
    with current_app.test_request_context(base_url=base + "/"):
        return url_for(endpoint, clinic=clinic_token(org.id), _external=True, **values)


def clinic_of(org: Organization, endpoint: str = "portal.index", **values: object) -> Clinic:
    return Clinic(
        name=org.name,
        phone=(org.contact_phone or "").strip(),
        email=(org.contact_email or "").strip(),
        address=(org.contact_address or "").strip(),
        portal_url=portal_url(org, endpoint, **values),
    )
