"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

# The largest id our integer primary keys hold (INTEGER is 32-bit on PostgreSQL): a larger number in a
# query overflows the driver (a 500) instead of simply finding nothing.
MAX_DATABASE_ID = 2**31 - 1


def database_id(value: object) -> int | None:
    """A request's id ("12") as an int, or None when it is empty, not a number or beyond any row."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):  # "²" and "٣" are digits to str.isdigit, not to int()
        return None
    number = int(text)
    return number if 0 < number <= MAX_DATABASE_ID else None


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, hands back aware UTC: one behaviour on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def string_enum(enum: type[StrEnum], length: int) -> Enum:
    """A StrEnum stored as its values in a VARCHAR (no database enum type, no CHECK constraint)."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )
