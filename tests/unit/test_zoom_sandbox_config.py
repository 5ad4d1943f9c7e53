"""The Zoom sandbox's configuration from flags and environment, and that Conecta never depends on it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from zoom_sandbox.config import DEFAULT_USER, build_config, from_environment, parse_users

CONECTA = Path(__file__).resolve().parents[2] / "conecta"


def test_users_from_the_environment_the_first_is_the_admin():
    config = from_environment({"ZOOM_SANDBOX_USERS": "host@example.com, ana@example.com,ben@example.com"})
    assert config["USERS"] == [
        DEFAULT_USER,
        {"email": "ana@example.com", "role": "member"},
        {"email": "ben@example.com", "role": "member"},
    ]
    assert from_environment(
        {"ZOOM_SANDBOX_WEBHOOK_URL": "http://x/h", "ZOOM_SANDBOX_WEBHOOK_SECRET": "s"}
    ) == {
        "WEBHOOK_URL": "http://x/h",
        "WEBHOOK_SECRET_TOKEN": "s",
    }
    assert from_environment({}) == {}


def test_roles_given_explicitly_are_kept():
    assert parse_users(["a@example.com:member", "b@example.com:admin"]) == [
        {"email": "a@example.com", "role": "member"},
        {"email": "b@example.com", "role": "admin"},
    ]
    with pytest.raises(ValueError, match="not an email"):
        parse_users(["nobody"])


def test_unknown_config_keys_are_errors():
    assert build_config({"DAILY_CREATE_UPDATE_LIMIT": 3})["DAILY_CREATE_UPDATE_LIMIT"] == 3
    with pytest.raises(ValueError, match="USER"):
        build_config({"USER": {}})


def test_conecta_never_imports_the_sandbox_or_its_dependencies():
    """zoom_sandbox/ is development only: production must not need it, nor jsonschema."""
    offenders = []
    for path in CONECTA.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("zoom_sandbox", "jsonschema")
            ]
    assert offenders == []
