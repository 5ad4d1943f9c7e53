"""Which Zoom user hosts an appointment's meeting: the connection's mode and the team's host mapping.

- **User mode** (the connection has user-level scopes): every meeting is hosted by the Zoom user who
  connected, addressed as `me` -- as before hosts existed.
- **Account mode** (an admin of the Zoom account granted the admin scopes): each team member's meetings
  are hosted by their own Zoom user (`conecta.models.zoom_host.ZoomHost`). A member without one is
  hosted by the connecting user, and staff are told so with a link to fix the mapping.

A host is a Zoom user id, or None for the connecting user ("me"). Reads only: the mapping is changed in
`conecta.zoom.host_mapping`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext

from conecta.extensions import db
from conecta.models import Appointment, User
from conecta.models.zoom import ZoomConnection, zoom_connection_for
from conecta.models.zoom_host import ZoomAccountUser, ZoomHost

# What "Connect for the whole Zoom account (admin)" asks Zoom for.
ACCOUNT_SCOPES = (
    "meeting:write:meeting:admin",
    "meeting:update:meeting:admin",
    "meeting:delete:meeting:admin",
    "meeting:read:meeting:admin",
    "meeting:read:list_meetings:admin",
    "user:read:list_users:admin",
    "user:read:user:admin",
)
# Either of these (granular, or Zoom's classic scope) lets the grant create meetings for other users.
_CREATES_FOR_OTHERS = {"meeting:write:meeting:admin", "meeting:write:admin"}


def mode_for_scopes(scopes: str) -> str:
    """The connection's mode: "account" when Zoom granted meetings on every user of the account."""
    return "account" if _CREATES_FOR_OTHERS & set(scopes.replace(",", " ").split()) else "user"


@dataclass(frozen=True)
class Host:
    zoom_user_id: str | None  # None: the Zoom user who connected ("me")
    email: str
    fallback: bool = False  # account mode, but the member has no Zoom user of their own


def host_for(member: User, connection: ZoomConnection) -> Host:
    """Who hosts `member`'s meetings under `connection`."""
    me = Host(None, connection.zoom_email)
    if not connection.is_account_mode:
        return me
    mapping = db.session.get(ZoomHost, member.id)
    if mapping is None or mapping.zoom_user_id is None:
        return Host(None, connection.zoom_email, fallback=True)
    if mapping.zoom_user_id == connection.zoom_user_id:
        return me  # mapped to the connecting user: "me", like every meeting they made before
    return Host(mapping.zoom_user_id, mapping.zoom_email or mapping.zoom_user_id)


def wanted_host_id(appointment: Appointment, connection: ZoomConnection | None) -> str | None:
    """The host the appointment's meeting should be on now, under the organization's live `connection`
    (None: the connecting user, or no connection)."""
    return host_for(appointment.staff, connection).zoom_user_id if connection else None


def email_of(org_id: int, zoom_user_id: str | None) -> str:
    """A host's email, for messages: the connecting user's, or as the account's directory lists it."""
    if zoom_user_id is None:
        connection = zoom_connection_for(org_id, live_only=False)
        return connection.zoom_email if connection else "the Zoom user who connected"
    known = db.session.scalar(
        db.select(ZoomAccountUser.email).filter_by(org_id=org_id, zoom_user_id=zoom_user_id)
    )
    return (
        known
        or db.session.scalar(
            db.select(ZoomHost.zoom_email).filter_by(org_id=org_id, zoom_user_id=zoom_user_id).limit(1)
        )
        or zoom_user_id
    )


HOST_MISSING = "is no longer a user of your Zoom account"


def host_missing_reason(member: User, host_email: str) -> str:
    """Why a meeting failed when Zoom says its host does not exist (code 1001)."""
    return (
        f"Zoom says {host_email} {HOST_MISSING}, so the meeting could not be made on it. Choose another "
        f"Zoom host for {member.name} in Settings → Integrations, then Retry."
    )


def out_of_reach_reason(host_email: str) -> str:
    """Why a meeting on another Zoom user cannot be changed after switching to "my Zoom user only"."""
    return (
        f"This meeting is hosted by {host_email}. Zoom is now connected for one Zoom user only, which cannot "
        "change or delete other users' meetings, so it was left as it is (its link still works). Reconnect "
        "Zoom for the whole Zoom account (admin) in Settings → Integrations, then Retry."
    )


def fallback_warning(member: User, host_email: str) -> str:
    return gettext(
        "Meetings for %(name)s are hosted by %(email)s: map %(name)s to their Zoom user.",
        name=member.name,
        email=host_email,
    )


def fix_href(member_id: int) -> str:
    """Where an admin changes a member's Zoom host (Settings → Integrations, the Zoom hosts table)."""
    return url_for("settings.integrations", _anchor=f"zoom-host-{member_id}")
