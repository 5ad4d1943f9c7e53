"""One HTTP exchange with Zoom: configuration, a `requests.Session`, mapped transport failures, and one
structured log line per call on the `conecta.zoom` logger (operation, path, status, latency and the
caller's context such as appointment_id) -- never a token, a start URL or a passcode."""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from flask import current_app

from conecta import metrics
from conecta.zoom.errors import ZoomError, ZoomTransientError, error_for

log = logging.getLogger("conecta.zoom")

DEFAULT_TIMEOUT = 10.0
_SECRET_KEYS = re.compile(r"token|url|pass|zak|secret|code", re.IGNORECASE)
_per_thread = threading.local()


def _session() -> requests.Session:
    """This thread's HTTP session, kept across jobs and requests: the connection to Zoom (and its TLS
    handshake) is reused rather than opened for every job. It keeps no cookies, so nothing of one
    organization's calls rides along on another's; tokens go in each request's own headers.

    It does not read the environment on each call (`trust_env`): `environment()` has read it once."""
    session = getattr(_per_thread, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        _per_thread.session = session
    return session


@functools.lru_cache(maxsize=8)
def environment(base_url: str) -> dict[str, Any]:
    """What requests would otherwise look up in the environment on every call to `base_url` -- the proxy
    variables with NO_PROXY, and a CA bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) -- read once per
    process. The lookup cost about a third of a Zoom call's CPU (bench/sync_throughput.py --profile)."""
    verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return {"proxies": requests.utils.get_environ_proxies(base_url), "verify": verify}


def _logfmt(fields: dict[str, Any]) -> str:
    parts = []
    for key, value in fields.items():
        text = str(value)
        parts.append(f'{key}="{text}"' if (" " in text or not text) else f"{key}={text}")
    return " ".join(parts)


def log_call(fields: dict[str, Any]) -> None:
    """The call's log line, and its count in the metrics (by operation and status)."""
    metrics.zoom_call(fields.get("operation", "unknown"), fields.get("status", "failed"))
    level = (
        logging.WARNING if isinstance(fields.get("status"), int) and fields["status"] >= 500 else logging.INFO
    )
    log.log(level, "zoom_api %s", _logfmt(fields), extra={"zoom": dict(fields)})


def safe_context(log_context: dict[str, Any] | None) -> dict[str, Any]:
    """The caller's context fields, minus anything that could carry a secret."""
    return {k: v for k, v in (log_context or {}).items() if not _SECRET_KEYS.search(k)}


class Transport:
    """Configuration, and this thread's `requests.Session`, for talking to Zoom's API and OAuth endpoints."""

    def __init__(self, timeout: float) -> None:
        config = current_app.config
        self.api_base = config["ZOOM_API_BASE_URL"].rstrip("/")
        self.oauth_base = config["ZOOM_OAUTH_BASE_URL"].rstrip("/")
        self.client_auth = (config["ZOOM_CLIENT_ID"], config["ZOOM_CLIENT_SECRET"])
        self.timeout = timeout
        self.http = _session()

    def send(
        self,
        method: str,
        base: str,
        path: str,
        *,
        operation: str,
        timeout: float | None,
        **kwargs: Any,
    ) -> requests.Response:
        """One HTTP exchange; transport failures become ZoomTransientError (no URL or token in the text)."""
        wait = timeout or self.timeout
        try:
            return self.http.request(method, f"{base}{path}", timeout=wait, **environment(base), **kwargs)
        except requests.Timeout:
            raise ZoomTransientError(
                f"Zoom did not answer within {wait:g} s ({operation}); this will be retried."
            ) from None
        except requests.ConnectionError:
            raise ZoomTransientError(
                f"Zoom could not be reached ({operation}); this will be retried."
            ) from None
        except requests.RequestException as exc:
            raise ZoomTransientError(
                f"The call to Zoom failed ({operation}: {type(exc).__name__}); this will be retried."
            ) from None

    def exchange(
        self, method: str, base: str, path: str, *, operation: str, log_fields: dict[str, Any], **kwargs: Any
    ) -> requests.Response:
        """One OAuth or profile call, timed and written as one structured log line."""
        fields: dict[str, Any] = {"operation": operation, "method": method, "path": path, **log_fields}
        started = time.monotonic()
        try:
            response = self.send(
                method, base, path, operation=operation.replace("_", " "), timeout=None, **kwargs
            )
            fields["status"] = response.status_code
            return response
        except ZoomError:
            fields["status"] = "unreachable"
            raise
        finally:
            fields["latency_ms"] = round((time.monotonic() - started) * 1000)
            log_call(fields)


def fetch_profile(access_token: str, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """GET /users/me with a token that is not stored yet (the OAuth callback, before saving)."""
    transport = Transport(timeout)
    response = transport.exchange(
        "GET",
        transport.api_base,
        "/users/me",
        operation="get_profile",
        log_fields={},
        headers={"Authorization": f"Bearer {access_token}"},
    )
    if response.status_code != 200:
        raise error_for(response)
    return response.json()
