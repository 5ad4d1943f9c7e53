"""The sandbox's Flask app: `create_app(config=None)` wires the blueprints, error shapes and fault hooks.

It is a separate app, never a blueprint of Conecta, so it cannot touch Conecta's database; it runs in a
process of its own (`python -m zoom_sandbox`). Its state lives in memory: `app.extensions["zoom_sandbox"]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify

from zoom_sandbox import control, faults, meetings, oauth, pages, users, webhook_control
from zoom_sandbox.config import build_config
from zoom_sandbox.errors import OAuthError, ZoomError
from zoom_sandbox.state import SandboxState


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """A fresh sandbox; `config` overrides `zoom_sandbox.config.DEFAULT_CONFIG` (unknown keys are errors)."""
    app = Flask(__name__)
    app.extensions["zoom_sandbox"] = SandboxState(build_config(config))
    faults.init_app(app)
    for module in (oauth, meetings, users, pages, control, webhook_control):
        app.register_blueprint(module.bp)

    @app.errorhandler(ZoomError)
    def zoom_error(exc: ZoomError) -> Any:
        return jsonify(code=exc.code, message=exc.message), exc.status, exc.headers

    @app.errorhandler(OAuthError)
    def oauth_error(exc: OAuthError) -> Any:
        return jsonify(reason=exc.reason, error=exc.error), exc.status

    return app
