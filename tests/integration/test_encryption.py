"""Encryption at rest: nothing secret in a raw dump, key rotation, and refusing to run without keys."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import Flask

from conecta import create_app, crypto
from conecta.crypto import EncryptionConfigError
from conecta.extensions import db
from conecta.models import Appointment
from conecta.models.zoom import ZoomConnection
from conecta.zoom.client import ZoomClient
from tests.conftest import ENCRYPTION_KEY
from tests.support.factories import with_zoom

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def zoom_secrets(zoom_app, zoom_sandbox, acme, connect_zoom) -> dict:
    """A connected organization with an appointment holding a real sandbox meeting; returns the secrets."""
    connect_zoom(acme)
    meeting = ZoomClient.for_org(acme.org.id).create_meeting(
        {"topic": "Video call", "type": 2, "start_time": "2030-01-07T17:00:00Z", "duration": 30}
    )
    appointment = acme.book()
    with_zoom(
        appointment,
        meeting_id=str(meeting["id"]),
        join_url=meeting["join_url"],
        start_url=meeting["start_url"],
        passcode=meeting["password"],
    )
    db.session.commit()
    tokens = zoom_sandbox.state()["tokens"]
    return {
        "access_token": tokens["access"][0]["token"],
        "refresh_token": tokens["refresh"][0]["token"],
        "join_url": meeting["join_url"],
        "start_url": meeting["start_url"],
        "zak": meeting["start_url"].split("zak=")[1],
        "join_pwd": meeting["join_url"].split("pwd=")[1],
        "passcode": meeting["password"],
        "appointment_id": appointment.id,
    }


def _dump(engine: sa.Engine) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every column of every table, read with raw SQL."""
    out = []
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            result = conn.execute(sa.text(f'SELECT * FROM "{table}"'))
            for row in result:
                for column, value in zip(result.keys(), row, strict=True):
                    out.append((table, column, "" if value is None else str(value)))
    return out


def test_a_dump_of_every_table_holds_no_token_url_or_passcode(zoom_secrets):
    dump = _dump(db.engine)
    tables = {table for table, _, _ in dump}
    assert {"zoom_connections", "appointments", "audit_events"} <= tables
    for name, secret in zoom_secrets.items():
        if name == "appointment_id":
            continue
        leaks = [(table, column) for table, column, text in dump if secret in text]
        assert not leaks, f"{name} stored in clear in {leaks}"
    stored = {(t, c): v for t, c, v in dump if (t, c) in {
        ("zoom_connections", "access_token"), ("zoom_connections", "refresh_token"),
        ("zoom_meetings", "join_url"), ("zoom_meetings", "start_url"), ("zoom_meetings", "passcode"),
    }}  # fmt: skip
    assert len(stored) == 5
    assert all(value.startswith("gAAAAA") for value in stored.values())  # Fernet tokens


def _read_all(app: Flask, appointment_id: int) -> tuple:
    with app.app_context():
        connection = db.session.scalar(db.select(ZoomConnection))
        appointment = db.session.get(Appointment, appointment_id)
        values = (
            connection.access_token,
            connection.refresh_token,
            appointment.zoom.join_url,
            appointment.zoom.start_url,
            appointment.zoom.passcode,
        )
        db.session.remove()
        return values


def _flask_cli(database_url: str, keys: str, *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ...` as an operator would, against this run's database."""
    env = {**os.environ, "DATABASE_URL": database_url, "CONECTA_ENCRYPTION_KEYS": keys, "SECRET_KEY": "x"}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_rotate_keys_reencrypts_everything_under_the_new_key(zoom_secrets, make_app, database_url):
    s = zoom_secrets
    expected = (s["access_token"], s["refresh_token"], s["join_url"], s["start_url"], s["passcode"])
    new_key = Fernet.generate_key().decode()
    both = f"{new_key},{ENCRYPTION_KEY}"
    assert _read_all(make_app(CONECTA_ENCRYPTION_KEYS=both), s["appointment_id"]) == expected

    result = _flask_cli(database_url, both, "rotate-keys")
    assert result.returncode == 0, result.stderr
    assert "Re-encrypted 5 values under the newest key." in result.stdout

    assert _read_all(make_app(CONECTA_ENCRYPTION_KEYS=new_key), s["appointment_id"]) == expected
    with pytest.raises(EncryptionConfigError, match="cannot be decrypted"):
        _read_all(make_app(CONECTA_ENCRYPTION_KEYS=ENCRYPTION_KEY), s["appointment_id"])
    raw = {v for t, c, v in _dump(db.engine) if (t, c) == ("zoom_connections", "refresh_token")}
    assert Fernet(new_key.encode()).decrypt(raw.pop().encode()).decode() == s["refresh_token"]


def test_rotate_keys_names_the_value_it_cannot_read_and_changes_nothing(zoom_secrets, make_app, database_url):
    before = _dump(db.engine)
    result = _flask_cli(database_url, Fernet.generate_key().decode(), "rotate-keys")
    assert result.returncode != 0
    assert "cannot be decrypted with any configured key" in result.stderr
    assert ENCRYPTION_KEY not in result.stderr
    assert _dump(db.engine) == before
    assert _read_all(make_app(), zoom_secrets["appointment_id"])[0] == zoom_secrets["access_token"]


def _config(**overrides) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", **overrides}


def test_production_refuses_to_start_without_keys(monkeypatch):
    with pytest.raises(EncryptionConfigError, match="refusing to start in production"):
        create_app(_config(ENV_NAME="production", CONECTA_ENCRYPTION_KEYS=""))
    monkeypatch.setenv("CONECTA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.delenv("CONECTA_ENCRYPTION_KEYS", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(EncryptionConfigError):
        create_app()
    monkeypatch.setenv("CONECTA_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("CONECTA_BASE_URL", "https://conecta.example")
    assert create_app().config["ENV_NAME"] == "production"


def test_a_malformed_key_is_refused_without_echoing_it():
    with pytest.raises(EncryptionConfigError) as caught:
        create_app(_config(CONECTA_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},not-a-real-key"))
    assert "entry 2" in str(caught.value) and "not-a-real-key" not in str(caught.value)


def test_development_generates_one_private_key_and_keeps_it(tmp_path):
    apps = [Flask(__name__, instance_path=str(tmp_path / "instance")) for _ in range(8)]
    for app in apps:
        app.config.update(ENV_NAME="development", CONECTA_ENCRYPTION_KEYS="")
    start = threading.Barrier(len(apps))
    keys: list[list[str]] = []

    def load(app: Flask) -> None:
        start.wait(timeout=10)
        keys.append(crypto._load_keys(app))

    threads = [threading.Thread(target=load, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    key_file = tmp_path / "instance" / crypto.DEV_KEY_FILE
    assert len(keys) == len(apps) and all(k == keys[0] for k in keys)  # web and worker agree
    assert keys[0] == [key_file.read_text().strip()]
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert sorted(p.name for p in key_file.parent.iterdir()) == [crypto.DEV_KEY_FILE]  # no temp files left
