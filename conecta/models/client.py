"""Clients: the people who book; they may sign in to the portal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.extensions import db
from conecta.models.org import Organization
from conecta.models.sessions import SessionHolder
from conecta.models.types import UTCDateTime, utcnow
from conecta.text import fold


class Client(SessionHolder, db.Model):
    __tablename__ = "clients"
    __table_args__ = (
        UniqueConstraint("org_id", "email", name="uq_clients_org_email"),
        # The directory's search (conecta.clients.directory): one organization's folded names and emails.
        Index("ix_clients_org_search", "org_id", "search_text"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Null until the client accepts a portal invite and sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # What the client reads emails and the portal in; None: the organization's language / zone.
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Name, email and phone folded (conecta.text.fold): kept by the model on every save, searched as typed
    # with accents and case ignored, the same on SQLite and PostgreSQL.
    search_text: Mapped[str] = mapped_column(String(600), default="", server_default="")

    org: Mapped[Organization] = relationship()

    kind = "client"
    is_admin = False

    @property
    def locale(self) -> str:
        """The language this client reads: their own, else the organization's."""
        return self.language or self.org.language

    @property
    def zone(self) -> str:
        """The time zone this client reads times in: their own, else the organization's."""
        return self.timezone or self.org.timezone

    @property
    def has_portal_access(self) -> bool:
        return self.password_hash is not None


def client_search_text(name: str | None, email: str | None, phone: str | None) -> str:
    return " ".join(fold(part) for part in (name, email, phone) if part)[:600]


@event.listens_for(Client, "before_insert")
@event.listens_for(Client, "before_update")
def _keep_search_text(_mapper, _connection, client: Client) -> None:
    """Whatever path saves a client (the form, the demo, the CLI, a test factory), the column follows."""
    client.search_text = client_search_text(client.name, client.email, client.phone)
