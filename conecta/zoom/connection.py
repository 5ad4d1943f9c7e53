"""The organization's Zoom connection: store it after consent, disconnect it, forget it on deauthorization.

Domain code for the Integrations views and the webhook: no request objects here. Functions add to
`db.session` and leave the commit to the caller, except where a Zoom call must happen first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from conecta import audit
from conecta.extensions import db
from conecta.models.types import utcnow
from conecta.models.user import User
from conecta.models.zoom import ZoomConnection, zoom_connection_for
from conecta.zoom.client import ZoomClient
from conecta.zoom.errors import ZoomError
from conecta.zoom.hosts import mode_for_scopes

log = logging.getLogger("conecta.zoom")


def store_connection(
    org_id: int, actor: User, token: dict[str, Any], profile: dict[str, Any]
) -> ZoomConnection:
    """Save (or replace, on Reconnect) the organization's connection from a fresh token and /users/me."""
    connection = zoom_connection_for(org_id, live_only=False)
    event = "reconnected" if connection is not None else "connected"
    if connection is None:
        connection = ZoomConnection(org_id=org_id)
        db.session.add(connection)
    now = utcnow()
    connection.zoom_user_id = str(profile["id"])
    connection.zoom_email = profile.get("email") or ""
    connection.zoom_account_id = str(profile.get("account_id") or "")
    connection.scopes = token.get("scope") or ""
    connection.mode = mode_for_scopes(connection.scopes)  # what Zoom granted, not what was asked
    connection.access_token = token["access_token"]
    connection.refresh_token = token["refresh_token"]
    connection.access_token_expires_at = now + timedelta(seconds=int(token.get("expires_in") or 3599))
    connection.status = "active"
    connection.connected_by_id = actor.id
    connection.connected_at = now
    connection.last_refreshed_at = None
    audit.record(org_id, event, f"Connected as {connection.zoom_email}.", actor=actor)
    return connection


@dataclass
class DisconnectOutcome:
    """What happened, for the page: whether Zoom confirmed the revocation, and the message to show."""

    was_connected: bool
    revoked_at_zoom: bool
    message: str


def disconnect(org_id: int, actor: User) -> DisconnectOutcome:
    """Revoke the grant at Zoom, then delete our copy of the tokens (even if Zoom cannot be reached).

    Appointments keep their meetings and links: Zoom meetings already created stay as they are.
    Commits.
    """
    connection = zoom_connection_for(org_id, live_only=False)
    if connection is None:
        return DisconnectOutcome(False, False, "Zoom is not connected.")
    email = connection.zoom_email
    db.session.commit()  # end the read transaction: no DB transaction is held across the Zoom call
    revoked, problem = True, ""
    try:
        ZoomClient(org_id, timeout=5.0).revoke()
    except ZoomError as exc:  # unreachable, or refused: our copy goes anyway
        revoked, problem = False, exc.message
    connection = zoom_connection_for(org_id, live_only=False)
    if connection is not None:
        db.session.delete(connection)
    if revoked:
        audit.record(org_id, "disconnected", f"Disconnected {email}; Zoom revoked access.", actor=actor)
        message = f"Zoom is disconnected. {email} no longer gives Conecta access."
    else:
        audit.record(
            org_id,
            "disconnected",
            f"Disconnected {email}; Zoom could not be reached to revoke access ({problem}). "
            "Our copy of the tokens was deleted.",
            actor=actor,
        )
        message = (
            "Zoom is disconnected here and the tokens are deleted, but Zoom could not be reached to revoke "
            f"access. To be thorough, remove Conecta from the apps of {email} on Zoom's website."
        )
    db.session.commit()
    return DisconnectOutcome(True, revoked, message)


def deauthorize(
    zoom_user_id: str, account_id: str | None = None, granted_before: datetime | None = None
) -> list[int]:
    """Zoom says the user removed our app: delete that user's connections and tokens (the caller commits).
    Only grants older than the event (`granted_before`) go: a connection made since is a new consent.

    Returns the organizations affected. Appointments and their links are left untouched.
    """
    query = db.select(ZoomConnection).filter_by(zoom_user_id=str(zoom_user_id))
    if granted_before is not None:
        query = query.where(ZoomConnection.connected_at < granted_before)
    if account_id:
        query = query.filter_by(zoom_account_id=str(account_id))
    org_ids = []
    for connection in db.session.scalars(query):
        org_ids.append(connection.org_id)
        audit.record(
            connection.org_id,
            "deauthorized",
            f"{connection.zoom_email} removed Conecta on Zoom's side; the connection and its tokens were deleted.",
        )
        db.session.delete(connection)
    return org_ids
