"""The client directory: search and saving, with email unique per organization. No Flask here."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conecta.models import Client
from conecta.text import fold

SEARCH_LIMIT = 200


class ClientError(ValueError):
    """A client change the rules refuse; `errors` maps form field names to messages people can act on."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# The folded text starts with the folded name. Ordering by it lets the database walk the index
# `ix_clients_org_search` (org_id, search_text) in order and stop at the limit, with no sort.
SEARCH_ORDER = (Client.search_text, Client.id)


def search_condition(query: str) -> list:
    """One condition per typed word: each must appear in the client's folded name, email or phone
    (`Client.search_text`), accents and case ignored -- "gomez" and "GÓMEZ" both find "Lucía Gómez"."""
    # autoescape: a typed "%" or "_" is searched for literally, not as a wildcard.
    return [Client.search_text.contains(fold(word), autoescape=True) for word in query.split()]


def search_clients(session: Session, org_id: int, query: str = "", limit: int = SEARCH_LIMIT) -> list[Client]:
    """Clients of one organization whose name, email or phone contains every word of `query`, by name
    (accents and case ignored in the order too: "Álvarez" comes with the A's)."""
    statement = select(Client).where(Client.org_id == org_id, *search_condition(query))
    return list(session.scalars(statement.order_by(*SEARCH_ORDER).limit(limit)))


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
