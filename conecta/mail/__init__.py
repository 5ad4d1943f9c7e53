"""Client emails: what is owed, in the booking's transaction (`plan`), composing (`compose`, `ics`),
sending (`send`), actions outside the booking pipeline and the safety net (`outbox`), the staff actions'
routes (`views`) and, in development, the mail catcher and the Dev mailbox page (`catcher`, `dev`)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add the email actions and, in development, the Dev mailbox."""
    from conecta.mail.views import bp

    app.register_blueprint(bp)
    if app.config.get("ENV_NAME") == "development":
        from conecta.mail.dev import bp as dev_bp

        app.register_blueprint(dev_bp)
