"""Sessions that can be ended: everyone who signs in (staff, admins, portal clients) carries a session
version, and the session cookie names it (Flask-Login's alternative id, `kind:id:version`).

Session cookies are signed, not stored, so the server cannot delete one; it can only stop honouring it.
Changing the version does that for every session the person had: on sign-out, on a new password and on
deactivation, a copied cookie is dead afterwards.
"""

from __future__ import annotations

import secrets

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


def new_session_version() -> str:
    return secrets.token_hex(8)


class SessionHolder(UserMixin):
    """Mixin for the models people sign in as; each sets `kind` ("user" or "client")."""

    kind: str
    # Rows from before versions existed share "initial": rotating it works the same way.
    session_version: Mapped[str] = mapped_column(
        String(32), default=new_session_version, server_default="initial"
    )

    def get_id(self) -> str:
        return f"{self.kind}:{self.id}:{self.session_version}"  # type: ignore[attr-defined]

    def end_sessions(self) -> None:
        """Every session signed in so far stops working (the caller commits)."""
        self.session_version = new_session_version()

    def set_password_hash(self, password_hash: str) -> None:
        """A new password also ends the sessions signed in with the old one."""
        self.password_hash = password_hash
        self.end_sessions()
