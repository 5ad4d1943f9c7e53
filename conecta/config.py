"""Configuration read from the environment. The variable names are a public interface: deployments set
them, and the README lists each one."""

from __future__ import annotations

import os


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Every setting the app reads; `create_app(config)` may override any of them (tests do)."""

    def __init__(self) -> None:
        env = os.environ.get
        self.ENV_NAME = env("CONECTA_ENV", "development")
        self.SECRET_KEY = env("SECRET_KEY")
        # None means "SQLite file in the instance folder", resolved in create_app.
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
        # Queue names and lock keys are prefixed so several runs can share one Redis.
        self.CONECTA_QUEUE = env("CONECTA_QUEUE", "conecta")
        self.CONECTA_ENCRYPTION_KEYS = env("CONECTA_ENCRYPTION_KEYS", "")
        self.ZOOM_CLIENT_ID = env("ZOOM_CLIENT_ID", "sandbox-client-id")
        self.ZOOM_CLIENT_SECRET = env("ZOOM_CLIENT_SECRET", "sandbox-client-secret")
        self.ZOOM_REDIRECT_URI = env("ZOOM_REDIRECT_URI")
        self.ZOOM_WEBHOOK_SECRET_TOKEN = env("ZOOM_WEBHOOK_SECRET_TOKEN", "sandbox-webhook-secret")
        self.ZOOM_OAUTH_BASE_URL = env("ZOOM_OAUTH_BASE_URL", "https://zoom.us").rstrip("/")
        self.ZOOM_API_BASE_URL = env("ZOOM_API_BASE_URL", "https://api.zoom.us/v2").rstrip("/")
        self.MAIL_SERVER = env("MAIL_SERVER", "127.0.0.1")
        self.MAIL_PORT = int(env("MAIL_PORT", "8025"))
        self.MAIL_USERNAME = env("MAIL_USERNAME")
        self.MAIL_PASSWORD = env("MAIL_PASSWORD")
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS")
        self.MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "Conecta <no-reply@holaconecta.com>")
        self.WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SECURE = self.ENV_NAME == "production"  # HTTPS only there (HSTS too)
        # A signed-in session ends after this many seconds without a request (and at sign-out).
        self.PERMANENT_SESSION_LIFETIME = int(env("CONECTA_SESSION_LIFETIME", str(12 * 3600)))
        # Every absolute link (invites, emails, the OAuth redirect_uri) starts with this, never with the
        # request's Host; None: http://127.0.0.1:$PORT in development, required in production.
        self.CONECTA_BASE_URL = env("CONECTA_BASE_URL")
        # Hosts answered besides the base URL's (comma-separated); any other Host header gets a 400.
        self.CONECTA_TRUSTED_HOSTS = env("CONECTA_TRUSTED_HOSTS", "")
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to believe (0: none).
        self.CONECTA_PROXY_HOPS = int(env("CONECTA_PROXY_HOPS", "0"))
        # Throttling (Flask-Limiter, counted in Redis): failed attempts per account and per IP.
        self.CONECTA_SIGN_IN_LIMIT_PER_ACCOUNT = env("CONECTA_SIGN_IN_LIMIT_PER_ACCOUNT", "10 per 15 minutes")
        self.CONECTA_SIGN_IN_LIMIT_PER_IP = env("CONECTA_SIGN_IN_LIMIT_PER_IP", "50 per 15 minutes")
        self.CONECTA_INVITE_LIMIT_PER_CLIENT = env("CONECTA_INVITE_LIMIT_PER_CLIENT", "10 per hour")
        self.CONECTA_INVITE_LIMIT_PER_IP = env("CONECTA_INVITE_LIMIT_PER_IP", "100 per hour")
        self.RATELIMIT_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True  # Redis down: sign-in still works, unthrottled
        self.RATELIMIT_HEADERS_ENABLED = True
        self.PORTAL_INVITE_MAX_AGE = int(env("PORTAL_INVITE_MAX_AGE", str(7 * 24 * 3600)))

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
