"""The client directory: search and saving, with email unique per organization. No Flask here."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conecta.models import Client

SEARCH_LIMIT = 200


class ClientError(ValueError):
    """A client change the rules refuse; `errors` maps form field names to messages people can act on."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def search_clients(session: Session, org_id: int, query: str = "", limit: int = SEARCH_LIMIT) -> list[Client]:
    """Clients of one organization whose name, email or phone contains `query` (any case), by name."""
    statement = select(Client).where(Client.org_id == org_id)
    words = query.split()
    for word in words:
        # autoescape: a typed "%" or "_" is searched for literally, not as a wildcard.
        pattern = word.lower()
        statement = statement.where(
            or_(
                func.lower(Client.name).contains(pattern, autoescape=True),
                func.lower(Client.email).contains(pattern, autoescape=True),
                Client.phone.contains(word, autoescape=True),
            )
        )
    return list(session.scalars(statement.order_by(func.lower(Client.name), Client.id).limit(limit)))


def save_client(session: Session, client: Client, *, name: str, email: str, phone: str, notes: str) -> Client:
    """Add or update `client` (its `org_id` set); the caller commits. Emails are unique per organization.

    On a clash the session is rolled back (the unit of work is this one save)."""
    email = email.strip().lower()
    taken = session.scalar(
        select(Client.id).where(
            Client.org_id == client.org_id,
            func.lower(Client.email) == email,
            Client.id != (client.id or 0),
        )
    )
    if taken is not None:
        raise ClientError({"email": gettext("Another client of this organization already has this email.")})
    client.name = name.strip()
    client.email = email
    client.phone = (phone or "").strip()
    client.notes = (notes or "").strip()
    session.add(client)
    try:
        session.flush()  # the unique constraint still guards against a concurrent save
    except IntegrityError as exc:
        session.rollback()
        raise ClientError(
            {"email": gettext("Another client of this organization already has this email.")}
        ) from exc
    return client
