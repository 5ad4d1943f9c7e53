"""The Team rules: adding staff, changing roles, deactivating. No Flask here — callers pass a session.

The one rule that needs care: an organization always keeps at least one active admin, otherwise
nobody could manage its team, services or Zoom connection again.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conecta.auth.passwords import invited_password_hash
from conecta.models import Organization, User
from conecta.models.user import ROLES


class TeamError(ValueError):
    """A team change the rules refuse; `errors` maps form field names to messages people can act on."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _lock_org(session: Session, org_id: int) -> Organization:
    # Serializes admin changes of one organization on PostgreSQL, so two admins demoting each other
    # at the same moment cannot both pass the "last admin" check (SQLite serializes writes anyway).
    return session.get(Organization, org_id, with_for_update=True)


def active_admin_count(session: Session, org_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.org_id == org_id, User.role == "admin", User.active.is_(True))
    )


def _refuse_if_last_admin(session: Session, member: User, action: str) -> None:
    if member.role == "admin" and member.active and active_admin_count(session, member.org_id) <= 1:
        raise TeamError(
            {
                "member": (
                    f"{member.name} is the last active admin of {member.org.name}: make someone else "
                    f"an admin before you {action} them."
                )
            }
        )


def add_member(session: Session, org: Organization, *, name: str, email: str, role: str) -> User:
    """A new active staff member or admin, without a password yet: the invite email's link lets them
    choose one (conecta.auth.links). Nobody else ever types or sees it. The caller commits."""
    email = email.strip().lower()
    errors: dict[str, str] = {}
    if role not in ROLES:
        errors["role"] = "Choose admin or staff."
    # Emails are unique across organizations: sign-in finds the person by email alone.
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        errors["email"] = "Someone already signs in with this email."
    if errors:
        raise TeamError(errors)
    member = User(org_id=org.id, name=name.strip(), email=email, role=role)
    member.set_password_hash(invited_password_hash())
    session.add(member)
    return member


def change_role(session: Session, member: User, role: str) -> User:
    """Make `member` an admin or staff; the last active admin cannot be demoted."""
    if role not in ROLES:
        raise TeamError({"role": "Choose admin or staff."})
    if role == member.role:
        return member
    _lock_org(session, member.org_id)
    if role != "admin":
        _refuse_if_last_admin(session, member, "demote")
    member.role = role
    return member


def set_active(session: Session, member: User, active: bool) -> User:
    """Deactivated people cannot sign in (their appointments stay); the last active admin stays active."""
    if member.active == active:
        return member
    _lock_org(session, member.org_id)
    if not active:
        _refuse_if_last_admin(session, member, "deactivate")
        member.end_sessions()  # reactivating later must not bring an old cookie back
    member.active = active
    return member
