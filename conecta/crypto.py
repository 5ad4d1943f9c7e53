"""Encryption at rest: an `Encrypted` column type on MultiFernet (DESIGN.md §5).

The first key in CONECTA_ENCRYPTION_KEYS encrypts; any listed key decrypts, so keys rotate by
prepending a new one and running `flask rotate-keys`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import Text
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
    if not key_path.exists():
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_text(Fernet.generate_key().decode())
        log.warning("No CONECTA_ENCRYPTION_KEYS: generated a development key in %s", key_path)
    return [key_path.read_text().strip()]


def init_app(app: Flask) -> None:
    app.extensions["conecta_fernet"] = MultiFernet([Fernet(k.encode()) for k in _load_keys(app)])


def fernet() -> MultiFernet:
    return current_app.extensions["conecta_fernet"]


class Encrypted(TypeDecorator):
    """A text column stored as a Fernet token; the clear value only ever exists in memory."""

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
    """Re-encrypt every `Encrypted` column of every table under the newest key; returns values rewritten."""
    from conecta.extensions import db

    f = fernet()
    rewritten = 0
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, Encrypted)]
        if not columns:
            continue
        pk = list(table.primary_key.columns)
        # Read raw tokens (bypassing the type) and write rotated raw tokens back.
        raw_cols = [db.literal_column(c.name) for c in columns]
        rows = db.session.execute(db.select(*pk, *raw_cols).select_from(table)).all()
        for row in rows:
            values = {}
            for col, token in zip(columns, row[len(pk) :], strict=True):
                if token is not None:
                    values[col.name] = f.rotate(token.encode()).decode()
            if values:
                where = [p == row[i] for i, p in enumerate(pk)]
                db.session.execute(
                    table.update().where(*where).values(**{k: db.literal(v) for k, v in values.items()})
                )
                rewritten += len(values)
    db.session.commit()
    return rewritten
