"""Changing who hosts whose Zoom meetings (account mode): the account's users, matching by email, an
admin's choice -- and then moving the affected upcoming meetings (`conecta.zoom.replan`).

Reading the account's users (`GET /users`, every page) is a Zoom call made in the admin's request
(connecting, or "Match by email"), bounded by the Zoom timeout: an admin asked for it and waits for the
answer. Everything else here reads and writes our own tables; the caller commits unless said otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import delete, func, select

from conecta import audit
from conecta.extensions import db
from conecta.models import User
from conecta.models.types import utcnow
from conecta.models.zoom import ZoomConnection, zoom_connection_for
from conecta.models.zoom_host import HostSource, ZoomAccountUser, ZoomHost
from conecta.zoom import hosts, replan
from conecta.zoom.client import ZoomClient
from conecta.zoom.errors import ZoomError

AUTO = "auto"  # the select's "Match by email" value
NONE = "none"  # the select's "No Zoom user" value


class HostChoiceError(ValueError):
    """An admin's choice that is not one of the account's users."""


def members(org_id: int) -> list[User]:
    """The team members who can take appointments (active staff and admins)."""
    return list(
        db.session.scalars(
            select(User).where(User.org_id == org_id, User.active.is_(True)).order_by(User.name, User.id)
        )
    )


def directory(org_id: int) -> list[ZoomAccountUser]:
    return list(
        db.session.scalars(select(ZoomAccountUser).filter_by(org_id=org_id).order_by(ZoomAccountUser.email))
    )


def refresh_directory(org_id: int, client: ZoomClient) -> int:
    """Replace our copy of the account's users with what `GET /users` lists now (raises ZoomError)."""
    listed = list(client.iter_users(log_context={"step": "list-users"}))
    known = {row.zoom_user_id: row for row in directory(org_id)}
    now = utcnow()
    for user in listed:
        row = known.pop(str(user["id"]), None) or ZoomAccountUser(org_id=org_id, zoom_user_id=str(user["id"]))
        row.email = (user.get("email") or "").strip()
        row.name = f"{user.get('first_name') or ''} {user.get('last_name') or ''}".strip()[:200]
        row.listed_at = now
        db.session.add(row)
    for gone in known.values():
        db.session.delete(gone)
    db.session.flush()
    return len(listed)


def _set(mapping: ZoomHost, user: ZoomAccountUser | None, source: HostSource, actor: User | None) -> bool:
    """Point `mapping` at `user` (None: "No Zoom user"); True if who hosts changed."""
    new_id = user.zoom_user_id if user else None
    changed = mapping.zoom_user_id != new_id
    mapping.zoom_user_id, mapping.zoom_email = new_id, (user.email if user else None)
    if changed or mapping.source != source:
        mapping.source, mapping.changed_at = source, utcnow()
        mapping.changed_by_id = actor.id if actor else None
    return changed


def _mapping(member: User) -> ZoomHost:
    mapping = db.session.get(ZoomHost, member.id)
    if mapping is None:
        mapping = ZoomHost(user_id=member.id, org_id=member.org_id, source=HostSource.AUTO)
        db.session.add(mapping)
    return mapping


def match_by_email(org_id: int, only: list[User] | None = None) -> list[int]:
    """Match members to the account's users by email (an admin's choice is left alone). Returns the ids
    of members whose host changed."""
    by_email = {row.email.lower(): row for row in directory(org_id)}
    changed = []
    for member in only if only is not None else members(org_id):
        mapping = _mapping(member)
        if mapping.chosen_by_admin:
            continue
        if _set(mapping, by_email.get(member.email.lower()), HostSource.AUTO, None):
            changed.append(member.id)
    return changed


def choose(member: User, choice: str, actor: User) -> bool:
    """An admin's choice for `member`: AUTO (match by email), NONE, or a Zoom user id of the account.
    Raises HostChoiceError for anything else; True if who hosts changed."""
    if choice == AUTO:
        _mapping(member).source = HostSource.AUTO
        changed = bool(match_by_email(member.org_id, only=[member]))
        label = "matched by email"
    else:
        user = None
        if choice != NONE:
            user = db.session.scalar(
                select(ZoomAccountUser).filter_by(org_id=member.org_id, zoom_user_id=choice)
            )
            if user is None:
                raise HostChoiceError(gettext("Choose one of your Zoom account's users, or “No Zoom user”."))
        changed = _set(_mapping(member), user, HostSource.ADMIN, actor)
        label = user.email if user else "No Zoom user"
    audit.record(member.org_id, "zoom_host_changed", f"{member.name}: {label}.", actor=actor)
    return changed


@dataclass
class Refreshed:
    ok: bool
    message: str
    moved: int = 0


def refresh(org_id: int, actor: User | None) -> Refreshed:
    """Re-read the account's users, match by email, and move the meetings whose host changed. Commits."""
    db.session.commit()  # no transaction held open across the Zoom call
    try:
        count = refresh_directory(org_id, ZoomClient.for_org(org_id))
    except ZoomError as exc:
        db.session.rollback()
        return Refreshed(
            False, gettext("Conecta could not read your Zoom account's users: %(why)s", why=exc.message)
        )
    match_by_email(org_id)
    audit.record(org_id, "zoom_hosts_matched", f"{count} Zoom users listed; hosts matched by email.", actor)
    db.session.commit()
    # Every upcoming meeting whose host is not its staff member's any more moves: a changed match, and
    # after a (re)connection also a changed mode or connecting user.
    moved = replan.replan_hosts(org_id)
    return Refreshed(True, gettext("Matched by email against %(num)d Zoom users.", num=count), len(moved))


def after_connect(org_id: int, previous_account_id: str | None, actor: User) -> Refreshed | None:
    """A (re)connection: another Zoom account's users mean nothing here, so their mapping goes; in account
    mode the hosts are matched again (moving meetings whose host changed); in user mode every upcoming
    meeting is the connecting user's again. Commits."""
    connection = zoom_connection_for(org_id)
    if connection is None:
        return None
    if previous_account_id and previous_account_id != connection.zoom_account_id:
        db.session.execute(delete(ZoomHost).where(ZoomHost.org_id == org_id))
        db.session.execute(delete(ZoomAccountUser).where(ZoomAccountUser.org_id == org_id))
    refreshed = refresh(org_id, actor) if connection.is_account_mode else None
    if refreshed is None or not refreshed.ok:
        db.session.commit()
        replan.replan_hosts(org_id)  # the mode or the connecting user changed: hosts may have too
    return refreshed


@dataclass
class HostRow:
    member: User
    mapping: ZoomHost | None
    selected: str  # the select's value: AUTO, NONE or a Zoom user id
    host_email: str  # who hosts this member's meetings now
    warning: str | None

    @property
    def how(self) -> str:
        if self.mapping is None or self.mapping.zoom_user_id is None:
            return "No Zoom user"
        return "Chosen by an admin" if self.mapping.chosen_by_admin else "Matched by email"


@dataclass
class HostsTable:
    rows: list[HostRow]
    choices: list[ZoomAccountUser]
    listed_at: datetime | None


def hosts_table(org_id: int, connection: ZoomConnection) -> HostsTable:
    """What Settings → Integrations shows in account mode: each member, their host, what is wrong."""
    accounts = directory(org_id)
    listed = {row.zoom_user_id for row in accounts}
    mappings = {m.user_id: m for m in db.session.scalars(select(ZoomHost).filter_by(org_id=org_id))}
    rows = []
    for member in members(org_id):
        mapping = mappings.get(member.id)
        host = hosts.host_for(member, connection)
        warning = hosts.fallback_warning(member, host.email) if host.fallback else None
        if mapping is not None and mapping.zoom_user_id and mapping.zoom_user_id not in listed:
            warning = gettext(
                "%(user)s is no longer a user of your Zoom account: choose another.",
                user=mapping.zoom_email or mapping.zoom_user_id,
            )
        selected = AUTO
        if mapping is not None and mapping.chosen_by_admin:
            selected = mapping.zoom_user_id or NONE
        rows.append(HostRow(member, mapping, selected, host.email, warning))
    listed_at = db.session.scalar(select(func.max(ZoomAccountUser.listed_at)).filter_by(org_id=org_id))
    return HostsTable(rows, accounts, listed_at)
