"""Connecting Zoom: Authlib's Flask OAuth client (state + PKCE S256, client_secret_basic).

The authorization's temporary data (state, PKCE code_verifier, redirect_uri) lives in Redis through
Authlib's `cache` hook (`oauth.init_app(app, cache=OAuthStateCache())` in the factory): the session
cookie only carries the state's expiry, so the verifier never travels to the browser.

Authlib's registry (`oauth.register`) keeps one client per name for the whole process, configured from
whichever app registered it first. Conecta builds several apps in one process (tests, the sandbox demo)
with different Zoom base URLs, so the Zoom client is built per app, from that app's config, with the
registry's own classes and shared state cache.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import current_app

from conecta.extensions import oauth
from conecta.jobs import redis_conn, redis_key
from conecta.web import absolute_url

# How long a started authorization may take before its state is forgotten (Zoom's codes live 5 minutes).
STATE_TTL_SECONDS = 600


class OAuthStateCache:
    """Authlib's cache interface (get/set/delete) on the app's Redis, keys inside the app's namespace."""

    def get(self, key: str) -> bytes | None:
        return redis_conn().get(redis_key("oauth", key))

    def set(self, key: str, value: str, timeout: int | None = None) -> None:
        redis_conn().set(redis_key("oauth", key), value, ex=timeout or STATE_TTL_SECONDS)

    def delete(self, key: str) -> None:
        redis_conn().delete(redis_key("oauth", key))


def zoom_oauth() -> FlaskOAuth2App:
    """Authlib's Flask client for Zoom, configured from the current app (built once per app)."""
    client = current_app.extensions.get("zoom_oauth")
    if client is None:
        client = current_app.extensions["zoom_oauth"] = _build_client(current_app.config)
    return client


def _build_client(config: Any) -> FlaskOAuth2App:
    base = config["ZOOM_OAUTH_BASE_URL"].rstrip("/")
    framework = FlaskIntegration("zoom", cache=oauth.cache or OAuthStateCache())
    framework.expires_in = STATE_TTL_SECONDS
    return FlaskOAuth2App(
        framework,
        "zoom",
        client_id=config["ZOOM_CLIENT_ID"],
        client_secret=config["ZOOM_CLIENT_SECRET"],
        authorize_url=f"{base}/oauth/authorize",
        access_token_url=f"{base}/oauth/token",
        api_base_url=config["ZOOM_API_BASE_URL"].rstrip("/"),
        client_kwargs={
            "token_endpoint_auth_method": "client_secret_basic",
            "code_challenge_method": "S256",
            "default_timeout": 10,
        },
    )


def redirect_uri() -> str:
    """ZOOM_REDIRECT_URI when set (it must match the Zoom app's allow list), else this app's callback."""
    return current_app.config.get("ZOOM_REDIRECT_URI") or absolute_url("settings.zoom_callback")
