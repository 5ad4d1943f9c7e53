"""The authorization matrix: every route × every audience, with the answer written down per route.

Each blueprint keeps its rows in `tests/authz/<blueprint>.py` as `ROUTES = [Route(...), ...]`.
`tests/integration/test_authorization.py` walks the app's URL map: a route with no row fails.

Audiences (all but `other_admin` belong to the `acme` organization):
  anonymous, client (owns `world.appointment`), other_client, staff, admin, other_admin (rival org).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

AUDIENCES = ("anonymous", "client", "other_client", "staff", "admin", "other_admin")


@dataclass(frozen=True)
class Route:
    """`expect` maps each audience to the HTTP status it must get (302/303 count as redirects)."""

    endpoint: str
    expect: dict[str, int]
    method: str = "GET"
    params: Callable[[Any], dict] = field(default=lambda world: {})
    data: Callable[[Any], dict] = field(default=lambda world: {})
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = set(AUDIENCES) - set(self.expect)
        if missing:
            raise ValueError(f"{self.endpoint} {self.method}: no expectation for {sorted(missing)}")


def expect(anonymous: int, client: int, other_client: int, staff: int, admin: int, other_admin: int) -> dict:
    """Positional shorthand in AUDIENCES order."""
    return dict(zip(AUDIENCES, (anonymous, client, other_client, staff, admin, other_admin), strict=True))


# Common shapes.
STAFF_PAGE = expect(302, 403, 403, 200, 200, 200)  # every organization's staff see their own version
ADMIN_PAGE = expect(302, 403, 403, 403, 200, 200)
PUBLIC_PAGE = expect(200, 200, 200, 200, 200, 200)
CLIENT_PAGE = expect(302, 200, 200, 403, 403, 403)
