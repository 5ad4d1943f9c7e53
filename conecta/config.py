"""Configuration read from the environment: every setting the app reads, tuning knobs included.

The variable names are a public interface (docs/operating.md, "Configuration").
"""

from __future__ import annotations

import os


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _ints(name: str, default: str) -> tuple[int, ...]:
    """A comma-separated list of whole seconds, e.g. "30,120,600"."""
    raw = os.environ.get(name) or default
    return tuple(int(float(part)) for part in raw.split(",") if part.strip())


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
        # PostgreSQL connections a process keeps open, and how many more it may open for a moment. As many
        # as a web process has threads: SQLAlchemy's default (5, and closing the 10 overflow connections
        # as soon as they are returned) made a loaded web process open 4 new connections a second, each a
        # new server process with cold caches (docs/operating.md, "Capacity").
        self.DATABASE_POOL_SIZE = _int("DATABASE_POOL_SIZE", _int("WEB_THREADS", 16))
        self.DATABASE_POOL_OVERFLOW = _int("DATABASE_POOL_OVERFLOW", 4)
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
        self.MAIL_TIMEOUT = _float("MAIL_TIMEOUT", 20.0)  # seconds for one SMTP conversation
        # Retries of a failed send (about three hours in all: a mail server restart is ridden out).
        self.MAIL_RETRY_INTERVALS = _ints("MAIL_RETRY_INTERVALS", "30,120,600,1800,7200")
        # How long a confirmation waits for its Zoom meeting before it goes without the link.
        self.MAIL_ZOOM_WAIT_SECONDS = _float("MAIL_ZOOM_WAIT_SECONDS", 300.0)
        # --- Zoom sync tuning (tests shorten the clocks) ---
        self.ZOOM_API_TIMEOUT_SECONDS = _float("ZOOM_API_TIMEOUT_SECONDS", 10.0)  # every call from a worker
        # The one call a web request may make: a fresh start URL when the host clicks Start.
        self.ZOOM_START_TIMEOUT_SECONDS = _float("ZOOM_START_TIMEOUT_SECONDS", 5.0)
        # The per-appointment lock is a lease: renewed while its job runs, so a dead holder frees it soon.
        self.ZOOM_LOCK_LEASE_SECONDS = _float("ZOOM_LOCK_LEASE_SECONDS", 15.0)
        self.ZOOM_JOB_TIMEOUT_SECONDS = _int(
            "ZOOM_JOB_TIMEOUT_SECONDS", 180
        )  # a few calls of 10 s, with room
        self.ZOOM_RETRY_BASE_SECONDS = _float("ZOOM_RETRY_BASE_SECONDS", 2.0)  # 2, 4, 8 … between attempts
        self.ZOOM_RETRY_CAP_SECONDS = _float("ZOOM_RETRY_CAP_SECONDS", 300.0)
        self.ZOOM_RETRY_MAX_ATTEMPTS = _int("ZOOM_RETRY_MAX_ATTEMPTS", 8)  # ~9 minutes of trying, then failed
        # When Zoom answers again after failing (or Redis comes back), the appointments held in backoff go
        # now, at most this many a second, each up to JITTER seconds late (conecta.zoom.recovery).
        self.ZOOM_RECOVERY_RATE = _float("ZOOM_RECOVERY_RATE", 10.0)
        self.ZOOM_RECOVERY_JITTER_SECONDS = _float("ZOOM_RECOVERY_JITTER_SECONDS", 1.0)
        # RQ's own retries of a job that crashed (a bug, the database gone): not a Zoom error.
        self.ZOOM_CRASH_RETRY_SECONDS = _ints("ZOOM_CRASH_RETRY_SECONDS", "10,60")
        self.ZOOM_SWEEP_MIN_AGE_SECONDS = _float(
            "ZOOM_SWEEP_MIN_AGE_SECONDS", 60.0
        )  # younger: job on its way
        self.ZOOM_START_URL_FRESH_MINUTES = _float("ZOOM_START_URL_FRESH_MINUTES", 100.0)  # Zoom's last 2 h
        self.ZOOM_START_URL_REFRESH_MINUTES = _float("ZOOM_START_URL_REFRESH_MINUTES", 60.0)
        # A call whose answer was lost is followed up this long after it: a create by its tracking key
        # (conecta.zoom.attempts) until HORIZON after it -- one Zoom has not shown by then never will --,
        # a PATCH by reading the meeting back (Zoom may apply it late, over newer values).
        self.ZOOM_FOLLOWUP_GRACE_SECONDS = _float("ZOOM_FOLLOWUP_GRACE_SECONDS", 30.0)
        self.ZOOM_FOLLOWUP_HORIZON_SECONDS = _float("ZOOM_FOLLOWUP_HORIZON_SECONDS", 900.0)
        # The pre-meeting health check reads each upcoming meeting back from Zoom this long before it
        # starts (minutes: about 24 h and again about 1 h); a reminder's own lead time adds a check too.
        self.ZOOM_HEALTH_CHECK_LEADS_MINUTES = _ints("ZOOM_HEALTH_CHECK_LEADS_MINUTES", "1440,60")
        # The Zoom panel's push (conecta.zoom.panel_push): how long a pending panel's request waits for
        # its job, and how many may wait at once per web process (fewer than its threads, so waiting
        # panels never take them all; gunicorn.conf.py and docs/operating.md, "Capacity").
        self.ZOOM_PANEL_WAIT_SECONDS = _float("ZOOM_PANEL_WAIT_SECONDS", 20.0)
        self.ZOOM_PANEL_WAIT_SLOTS = _int("ZOOM_PANEL_WAIT_SLOTS", max(0, _int("WEB_THREADS", 16) - 8))
        # --- periodic work (the sweeps), run by whichever worker takes the turn ---
        self.PERIODIC_INTERVAL_SECONDS = _float("PERIODIC_INTERVAL_SECONDS", 60.0)
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
        # Request limits (conecta.security): a body over MAX_CONTENT_LENGTH is refused with 413 before
        # it is read; a form (urlencoded or multipart) holds at most MAX_FORM_PARTS fields of at most
        # MAX_FORM_MEMORY_SIZE bytes each; Zoom's webhook has its own, smaller bound.
        self.MAX_CONTENT_LENGTH = _int("CONECTA_MAX_BODY_BYTES", 1024 * 1024)
        self.MAX_FORM_MEMORY_SIZE = _int("CONECTA_MAX_FORM_FIELD_BYTES", 64 * 1024)
        self.MAX_FORM_PARTS = _int("CONECTA_MAX_FORM_FIELDS", 200)
        self.ZOOM_WEBHOOK_MAX_BYTES = _int("CONECTA_MAX_WEBHOOK_BYTES", 64 * 1024)
        # Operation: /readyz gives the database and Redis this long each; /metrics needs this bearer token
        # (unset: /metrics does not exist). See conecta.probes and conecta.metrics.
        self.PROBE_TIMEOUT_SECONDS = _float("CONECTA_PROBE_TIMEOUT_SECONDS", 2.0)
        self.CONECTA_METRICS_TOKEN = env("CONECTA_METRICS_TOKEN")
        # Password links (conecta.auth.links): invites (staff and portal) and Forgot-password resets.
        self.PORTAL_INVITE_MAX_AGE = int(env("PORTAL_INVITE_MAX_AGE", str(7 * 24 * 3600)))
        self.PASSWORD_RESET_MAX_AGE = int(env("PASSWORD_RESET_MAX_AGE", "3600"))

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
