"""The Zoom account the sandbox plays: its users, who among them is an admin, and how Zoom shows them.

One account (`ACCOUNT_ID`) with the users of the `USERS` config; `/__sandbox/users` adds and removes
users at run time. A user is `{id, email, first_name, last_name, role, type, timezone, ...}`; `role` is
`admin` (may grant admin scopes) or `member`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROLES = {"admin": ("1", "Admin"), "member": ("2", "Member")}
USER_FIELDS = {"id", "email", "first_name", "last_name", "role", "type", "timezone", "dept"}
PMI_BASE = 5550001233


class Account:
    """The account's users in the order they joined (not thread-safe: callers hold the state lock)."""

    def __init__(self, account_id: str, users: list[dict[str, Any]], created_at: str) -> None:
        self.id, self.created_at = account_id, created_at
        self.users: dict[str, dict[str, Any]] = {}
        self._joined = 0
        for spec in users:
            self.add(spec)
        if not self.admins():
            raise ValueError("the account needs at least one user with role 'admin'")

    def find(self, ref: str) -> dict[str, Any] | None:
        """A user by id or by email (emails compare case-insensitively, as Zoom's do)."""
        if ref in self.users:
            return self.users[ref]
        wanted = ref.lower()
        return next((u for u in self.users.values() if u["email"].lower() == wanted), None)

    def admins(self) -> list[dict[str, Any]]:
        return [u for u in self.users.values() if u["role"] == "admin"]

    @staticmethod
    def is_admin(user: dict[str, Any]) -> bool:
        return user["role"] == "admin"

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Add a user (`email` required; id `sandbox-user-N` unless given). ValueError on a bad spec."""
        if not isinstance(spec, dict) or set(spec) - USER_FIELDS:
            raise ValueError(f"a user is an object with keys among {sorted(USER_FIELDS)}")
        email = spec.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise ValueError("a user needs an 'email'")
        role = spec.get("role", "member")
        if role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, not {role!r}")
        if spec.get("type", 1) not in (1, 2):
            raise ValueError("type must be 1 (Basic) or 2 (Licensed)")
        try:
            ZoneInfo(spec.get("timezone", "UTC"))
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"unknown timezone {spec.get('timezone')!r}") from None
        if any(not isinstance(spec.get(k, ""), str) for k in ("first_name", "last_name", "dept", "id")):
            raise ValueError("first_name, last_name, dept and id are strings")
        if self.find(email) is not None or spec.get("id") in self.users:
            raise ValueError(f"the account already has a user {spec.get('id') or email}")
        self._joined += 1
        user_id = str(spec.get("id") or f"sandbox-user-{self._joined}")
        if user_id in self.users:
            raise ValueError(f"the account already has a user {email} / {user_id}")
        local = email.split("@", 1)[0]
        self.users[user_id] = {
            "id": user_id, "email": email, "role": role, "type": spec.get("type", 1),
            "first_name": spec.get("first_name", local.replace(".", " ").title()),
            "last_name": spec.get("last_name", ""), "timezone": spec.get("timezone", "UTC"),
            "dept": spec.get("dept", ""), "pmi": PMI_BASE + self._joined,
        }  # fmt: skip
        return self.users[user_id]

    def remove(self, user: dict[str, Any]) -> None:
        """Take a user off the account; the last admin stays (Zoom cannot delete an account's owner)."""
        if self.is_admin(user) and len(self.admins()) == 1:
            raise ValueError("cannot remove the account's last admin")
        del self.users[user["id"]]

    def list_item(self, user: dict[str, Any]) -> dict[str, Any]:
        """A user as `GET /users` lists them."""
        role_id, _ = ROLES[user["role"]]
        return {
            "id": user["id"], "first_name": user["first_name"], "last_name": user["last_name"],
            "display_name": f"{user['first_name']} {user['last_name']}".strip(), "email": user["email"],
            "type": user["type"], "pmi": user["pmi"], "timezone": user["timezone"], "verified": 1,
            "dept": user["dept"], "created_at": self.created_at, "user_created_at": self.created_at,
            "last_login_time": self.created_at, "language": "en-US", "status": "active", "role_id": role_id,
        }  # fmt: skip

    def profile(self, user: dict[str, Any]) -> dict[str, Any]:
        """A user as `GET /users/{userId}` shows them."""
        _, role_name = ROLES[user["role"]]
        return {
            **self.list_item(user),
            "role_name": role_name,
            "account_id": self.id,
            "account_number": 10000001,
            "use_pmi": False,
            "personal_meeting_url": f"https://zoom.us/j/{user['pmi']}",
        }
