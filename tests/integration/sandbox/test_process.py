"""`python -m zoom_sandbox`: what its flags configure, and a bad configuration failing loudly."""

from __future__ import annotations

import json

import pytest
import requests

from zoom_sandbox.process import SandboxProcess


def test_flags_set_the_accounts_users_and_where_webhooks_go(tmp_path):
    extra = tmp_path / "sandbox.json"
    extra.write_text(json.dumps({"DAILY_CREATE_UPDATE_LIMIT": 7, "POLICIES": {"require_passcode": False}}))
    flags = ["--user", "boss@example.com:admin", "--user", "ana@example.com:member", "--config", str(extra),
             "--webhook-url", "http://127.0.0.1:9/hooks", "--webhook-secret", "s3cret"]  # fmt: skip
    with SandboxProcess(*flags) as sandbox, requests.Session() as http:
        http.trust_env = False
        state = http.get(f"{sandbox.url}/__sandbox/state", timeout=10).json()
        assert [(u["id"], u["email"], u["role"], u["limit"]) for u in state["users"]] == [
            ("sandbox-user-1", "boss@example.com", "admin", 7),
            ("sandbox-user-2", "ana@example.com", "member", 7),
        ]
        assert state["policies"]["require_passcode"] is False
        webhooks = http.get(f"{sandbox.url}/__sandbox/webhooks", timeout=10).json()
        assert (webhooks["url"], webhooks["secret"]) == ("http://127.0.0.1:9/hooks", "s3cret")
    assert sandbox.process is None  # stopped with the block


def test_a_bad_configuration_stops_it_with_the_reason(tmp_path):
    extra = tmp_path / "sandbox.json"
    extra.write_text(json.dumps({"USER": {"email": "old@example.com"}}))
    with pytest.raises(RuntimeError, match="unknown sandbox config keys"):
        SandboxProcess("--config", str(extra)).start()
