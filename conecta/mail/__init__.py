"""Client emails: the outbox rules (`notify`), composing (`compose`, `ics`), sending (`send`), the
staff actions that send details and invites (`views`) and, in development, the mail catcher and the
Dev mailbox page (`catcher`, `dev`)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Connect the signal receivers, add the email actions and, in development, the Dev mailbox."""
    from conecta.mail import notify  # noqa: F401  (connecting the receivers is the import's effect)
    from conecta.mail.views import bp

    app.register_blueprint(bp)
    if app.config.get("ENV_NAME") == "development":
        from conecta.mail.dev import bp as dev_bp

        app.register_blueprint(dev_bp)
