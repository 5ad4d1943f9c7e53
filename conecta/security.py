"""HTTP-level protections, in one place: security headers on every response, no caching of signed-in
pages, request size limits, file parts refused, the trusted Host list and the reverse-proxy hops.

The headers are set here rather than by Flask-Talisman: the policy is short, a view that needs its own
(the Dev mailbox's message frame, the Zoom start redirect) sets it and keeps it, and several apps built
in one process (the tests) cannot leak settings into each other through a shared extension object.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

# No inline script and no eval anywhere (htmx runs with allowEval off; app.js holds our few lines).
# Style attributes are allowed for the values computed per row (calendar positions, service colours);
# style sheets come only from our origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    hops = app.config.get("CONECTA_PROXY_HOPS") or 0
    if hops:
        # The client's address (throttling) and scheme (HSTS, Secure cookies) as the proxy saw them.
        # The Host header is never taken from X-Forwarded-Host: links come from CONECTA_BASE_URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.before_request(refuse_oversized_bodies)
    app.before_request(refuse_file_parts)
    app.before_request(refuse_oversized_forms)
    app.after_request(add_security_headers)


def trusted_hosts(config: dict) -> list[str]:
    """The base URL's host, CONECTA_TRUSTED_HOSTS, and in development the loopback names."""
    hosts = [urlsplit(config["CONECTA_BASE_URL"]).hostname or ""]
    hosts += [h.strip() for h in (config.get("CONECTA_TRUSTED_HOSTS") or "").split(",") if h.strip()]
    if config.get("ENV_NAME") != "production":
        hosts += ["localhost", "127.0.0.1"]
    return sorted(set(filter(None, hosts)))


def refuse_oversized_bodies() -> None:
    """A body announced as larger than MAX_CONTENT_LENGTH gets 413 before a byte of it is read. (One
    sent without a length is cut off by Werkzeug's limited stream at the same size, also with 413.)"""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def refuse_oversized_forms() -> None:
    """Werkzeug bounds the fields of multipart forms (MAX_FORM_MEMORY_SIZE each, MAX_FORM_PARTS of them)
    but not of urlencoded ones: the same limits, for every form."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.form:
        return
    config = current_app.config
    values = [value for _, value in request.form.items(multi=True)]
    if len(values) > config["MAX_FORM_PARTS"] or any(len(v) > config["MAX_FORM_MEMORY_SIZE"] for v in values):
        raise RequestEntityTooLarge()


def refuse_file_parts() -> None:
    """No form here takes a file: a file part anywhere (even named like a text field) is a bad request,
    answered before any view reads the form."""
    if request.method in ("POST", "PUT", "PATCH") and request.files:
        abort(400, "Files are not accepted here.")


def add_security_headers(response: Response) -> Response:
    """What every response carries; a header a view already set (a stricter one) is kept."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if current_app.config.get("ENV_NAME") == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static" and current_user.is_authenticated:
        # A signed-in page may hold anyone's data: no shared or back-button cache keeps it.
        headers["Cache-Control"] = "no-store"
    return response
