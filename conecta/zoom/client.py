"""ZoomClient: every call Conecta makes to Zoom's REST API on behalf of one organization.

It takes care of what callers (the reconciler, the Integrations views) should not: a valid access token
(`conecta.zoom.tokens.Grant`: refreshed ahead of expiry, or once when Zoom answers 401 code 124), Zoom's
errors mapped to our exceptions (`conecta.zoom.errors`), one log line per call
(`conecta.zoom.transport`), and how the call went for recovery (`conecta.zoom.recovery`) and the metrics.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests
from flask import current_app

from conecta.models.zoom import zoom_connection_for
from conecta.zoom import recovery
from conecta.zoom.errors import ZoomError, ZoomNotConnected, error_for, zoom_code
from conecta.zoom.tokens import Grant
from conecta.zoom.transport import DEFAULT_TIMEOUT, Transport, log_call, safe_context


class ZoomClient:
    """Zoom's API on behalf of one organization. Cheap to build; build one per job or request."""

    def __init__(self, org_id: int, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.org_id = org_id
        self.timeout = timeout
        self._transport = Transport(timeout)
        self.grant = Grant(org_id, self._transport)
        # Whether the grant reaches every user of the Zoom account (set by `for_org`), or only its own,
        # and the connecting user (the host of meetings made on "me").
        self.account_mode = False
        self.connecting_user_id = ""
        self.connecting_email = ""

    @classmethod
    def for_org(cls, org_id: int, *, timeout: float | None = None) -> ZoomClient:
        """A client for the organization's live connection; ZoomNotConnected if it has none. Calls time
        out after `timeout` seconds, by default the app's ZOOM_API_TIMEOUT_SECONDS."""
        if timeout is None:
            timeout = float(current_app.config["ZOOM_API_TIMEOUT_SECONDS"])
        connection = zoom_connection_for(org_id, live_only=False, with_tokens=True)
        if connection is None:
            raise ZoomNotConnected("Zoom is not connected for this organization.")
        if not connection.is_live:
            raise ZoomNotConnected(
                "Zoom needs to be reconnected: an admin can do it in Settings → Integrations.",
                needs_reconnect=True,
            )
        client = cls(org_id, timeout=timeout)
        client.account_mode = connection.is_account_mode
        client.connecting_user_id, client.connecting_email = connection.zoom_user_id, connection.zoom_email
        client.grant.just_read(connection)
        return client

    # -- calls ------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
        log_context: dict[str, Any] | None = None,
        operation: str | None = None,
    ) -> requests.Response:
        """Call `{ZOOM_API_BASE_URL}{path}` with the organization's token; a 2xx response or an exception.

        On 401 code 124 the token is refreshed once and the call retried once.
        """
        method = method.upper()
        path = "/" + path.lstrip("/")
        operation = operation or f"{method} {path}"
        fields: dict[str, Any] = {
            "operation": operation,
            "method": method,
            "path": path.split("?", 1)[0],
            "org_id": self.org_id,
            **safe_context(log_context),
        }
        started = time.monotonic()
        response: requests.Response | None = None
        try:
            token = self.grant.access_token()
            response = self._send(method, path, token, json, params, timeout, operation)
            if response.status_code == 401 and zoom_code(response) == 124:
                fields["token_refreshed"] = "yes"
                token = self.grant.refresh(stale_token=token)
                response = self._send(method, path, token, json, params, timeout, operation)
        except ZoomError as exc:
            fields["status"] = response.status_code if response is not None else "failed"
            fields["error"] = type(exc).__name__
            recovery.call_failed(self.org_id, exc)
            raise
        finally:
            fields["latency_ms"] = round((time.monotonic() - started) * 1000)
            if response is not None:
                fields["status"] = response.status_code
            log_call(fields)
        if response.status_code >= 400:
            error = error_for(response)
            recovery.call_failed(self.org_id, error)
            raise error
        recovery.call_succeeded(self.org_id)  # after failures, the backoffs go now
        return response

    def _send(
        self,
        method: str,
        path: str,
        token: str,
        json: Any,
        params: dict[str, Any] | None,
        timeout: float | None,
        operation: str,
    ) -> requests.Response:
        return self._transport.send(
            method,
            self._transport.api_base,
            path,
            operation=operation,
            timeout=timeout,
            json=json,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )

    # -- convenience --------------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The connected Zoom user (id, email, account_id, …)."""
        return self.request("GET", "/users/me", operation="get_user").json()

    def create_meeting(
        self, body: dict[str, Any], *, host: str | None = None, log_context: dict[str, Any] | None = None
    ) -> dict:
        """POST /users/{host}/meetings → the new meeting (id, join_url, start_url, password if any…).
        `host` None is the connected user ("me"); another account user needs an admin (account) grant."""
        return self.request(
            "POST", _meetings_path(host), json=body, log_context=log_context, operation="create_meeting"
        ).json()

    def get_meeting(self, meeting_id: int | str, *, log_context: dict[str, Any] | None = None) -> dict:
        """GET /meetings/{id}: also the way to a fresh start_url (a stored one goes stale in 2 hours)."""
        return self.request(
            "GET", _meeting_path(meeting_id), log_context=log_context, operation="get_meeting"
        ).json()

    def update_meeting(
        self, meeting_id: int | str, body: dict[str, Any], *, log_context: dict[str, Any] | None = None
    ) -> None:
        """PATCH /meetings/{id} (partial update; Zoom answers 204)."""
        self.request(
            "PATCH", _meeting_path(meeting_id), json=body, log_context=log_context, operation="update_meeting"
        )

    def delete_meeting(self, meeting_id: int | str, *, log_context: dict[str, Any] | None = None) -> None:
        """DELETE /meetings/{id}. A 404 raises ZoomNotFound: the caller decides that it counts as done."""
        self.request("DELETE", _meeting_path(meeting_id), log_context=log_context, operation="delete_meeting")

    def iter_upcoming_meetings(
        self, *, host: str | None = None, page_size: int = 300, log_context: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every upcoming meeting of `host` (None: the connected user), following next_page_token."""
        yield from self._pages(
            _meetings_path(host), "meetings", {"type": "upcoming"}, page_size, log_context, "list_meetings"
        )

    def iter_users(
        self, *, page_size: int = 300, log_context: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every active user of the Zoom account (an admin grant only), following next_page_token."""
        yield from self._pages("/users", "users", {"status": "active"}, page_size, log_context, "list_users")

    def _pages(
        self,
        path: str,
        key: str,
        params: dict[str, Any],
        page_size: int,
        log_context: dict[str, Any] | None,
        operation: str,
    ) -> Iterator[dict[str, Any]]:
        page_token = ""
        while True:
            query: dict[str, Any] = {**params, "page_size": page_size}
            if page_token:
                query["next_page_token"] = page_token
            page = self.request(
                "GET", path, params=query, log_context=log_context, operation=operation
            ).json()
            yield from page.get(key) or []
            page_token = page.get("next_page_token") or ""
            if not page_token:
                return

    def revoke(self) -> None:
        """Revoke the organization's grant at Zoom (see `Grant.revoke`)."""
        self.grant.revoke()


def _meetings_path(host: str | None) -> str:
    return f"/users/{quote(host or 'me', safe='')}/meetings"


def _meeting_path(meeting_id: int | str) -> str:
    return f"/meetings/{quote(str(meeting_id), safe='')}"
