"""Encryption at rest: an `Encrypted` column type on MultiFernet, for Zoom tokens, meeting links and passcodes.

The first key in CONECTA_ENCRYPTION_KEYS encrypts; any listed key decrypts, so keys rotate by
prepending a new one and running `flask rotate-keys`.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import Text, select, type_coerce
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

DEV_KEY_FILE = "encryption.key"


class EncryptionConfigError(RuntimeError):
    """Raised at start-up when production runs without encryption keys."""


def _load_keys(app: Flask) -> list[str]:
    raw = app.config.get("CONECTA_ENCRYPTION_KEYS") or ""
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if keys:
        return keys
    if app.config.get("ENV_NAME") == "production":
        raise EncryptionConfigError(
            "CONECTA_ENCRYPTION_KEYS is not set: refusing to start in production without "
            "encryption keys (generate one with `python -c 'from cryptography.fernet import "
            "Fernet; print(Fernet.generate_key().decode())'`)."
        )
    key_path = Path(app.instance_path) / DEV_KEY_FILE
    if _create_dev_key(key_path):
        log.warning("No CONECTA_ENCRYPTION_KEYS: generated a development key in %s", key_path)
    return [key_path.read_text().strip()]


def _create_dev_key(key_path: Path) -> bool:
    """Write a new key only if none exists, atomically and owner-readable only.

    The web process and the worker start together in development: with a plain exists-then-write,
    both could generate a key and each would encrypt with one the other cannot read.
    """
    if key_path.exists():
        return False
    key_path.parent.mkdir(parents=True, exist_ok=True)
    # Write a private temporary file, then link it into place: link fails if the key appeared meanwhile,
    # and a reader never sees a half-written key.
    tmp_path = key_path.with_name(f".{key_path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as key_file:
            key_file.write(Fernet.generate_key().decode())
        os.link(tmp_path, key_path)
    except FileExistsError:
        return False
    finally:
        tmp_path.unlink(missing_ok=True)
    return True


def _fernet_from(key: str, position: int) -> Fernet:
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError):
        # Never echo the key itself: it would end up in logs.
        raise EncryptionConfigError(
            f"CONECTA_ENCRYPTION_KEYS entry {position} is not a Fernet key (32 url-safe base64 bytes)."
        ) from None


def init_app(app: Flask) -> None:
    keys = _load_keys(app)
    app.extensions["conecta_fernet"] = MultiFernet([_fernet_from(k, i + 1) for i, k in enumerate(keys)])


def fernet() -> MultiFernet:
    return current_app.extensions["conecta_fernet"]


class Encrypted(TypeDecorator):
    """A text column stored as a Fernet token; the clear value only ever exists in memory.

    Fernet is randomized (a fresh IV per write), so an encrypted column cannot be searched or compared
    in SQL: look rows up by another column.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return fernet().encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        try:
            return fernet().decrypt(value.encode()).decode()
        except InvalidToken as exc:  # a key was removed before rotating: say so, never leak
            raise EncryptionConfigError(
                "a stored value cannot be decrypted with the configured keys"
            ) from exc


def rotate_all() -> int:
    """Re-encrypt every `Encrypted` column of every table under the newest key; returns values rewritten.

    Works on the stored tokens directly (the column type is bypassed with `type_coerce`), so clear
    values never pass through Python objects or the session; one transaction for everything.
    """
    from conecta.extensions import db

    f = fernet()
    rewritten = 0
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, Encrypted)]
        if not columns:
            continue
        pk = list(table.primary_key.columns)
        raw_cols = [type_coerce(c, Text).label(c.name) for c in columns]
        rows = db.session.execute(select(*pk, *raw_cols)).all()
        for row in rows:
            values = {}
            for col, token in zip(columns, row[len(pk) :], strict=True):
                if token is None:
                    continue
                try:
                    values[col.name] = type_coerce(f.rotate(token.encode()).decode(), Text)
                except InvalidToken:
                    db.session.rollback()
                    raise EncryptionConfigError(
                        f"{table.name}.{col.name} (row {tuple(row[: len(pk)])}) cannot be decrypted with "
                        "any configured key: add the key it was written with and run rotate-keys again."
                    ) from None
            if values:
                where = [p == row[i] for i, p in enumerate(pk)]
                db.session.execute(table.update().where(*where).values(**values))
                rewritten += len(values)
    db.session.commit()
    return rewritten
