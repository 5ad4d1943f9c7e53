"""Dates and times as each reader reads them: Babel formats them for the current locale (the request's,
or the one a job forced with `force_locale`), in a zone always given explicitly or taken from the reader.

Never `strftime` on user-facing text: month and day names, order and punctuation come from Babel's CLDR
data. The patterns below keep each language's house style (English "Mon 07 Jan 2030, 09:00", Spanish
"lun 7 ene 2030, 9:00"); a language without its own patterns uses English's.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import get_timezone_location
from flask_babel import get_locale

PATTERNS: dict[str, dict[str, str]] = {
    "en": {
        "datetime": "EEE dd MMM y, HH:mm",
        "time": "HH:mm",
        "long_day": "EEEE d MMMM y",
        "heading_day": "EEEE dd MMM y",
        "short_day": "EEE dd MMM",
        "day_month": "dd MMM",
        "day_month_year": "dd MMM y",
        "weekday_day": "EEE d MMM",
        "subject": "EEE d MMM y, HH:mm",
    },
    "es": {
        "datetime": "EEE d MMM y, H:mm",
        "time": "H:mm",
        "long_day": "EEEE, d 'de' MMMM 'de' y",
        "heading_day": "EEEE d 'de' MMM 'de' y",
        "short_day": "EEE d MMM",
        "day_month": "d MMM",
        "day_month_year": "d MMM y",
        "weekday_day": "EEE d MMM",
        "subject": "EEE d MMM y, H:mm",
    },
}


def current_locale() -> str:
    """The language being rendered now ("en", "es"): the request's, or a job's `force_locale`."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def pattern(name: str, locale: str | None = None) -> str:
    locale = locale or current_locale()
    return PATTERNS.get(locale, PATTERNS["en"])[name]


def in_zone(dt: datetime, zone: str | ZoneInfo) -> datetime:
    return dt.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))


def format_instant(
    dt: datetime, zone: str | ZoneInfo, style: str = "datetime", locale: str | None = None
) -> str:
    """A stored instant in `zone`, in the named house pattern, in `locale` (default: the current one)."""
    locale = locale or current_locale()
    return babel_format_datetime(in_zone(dt, zone), pattern(style, locale), locale=locale)


def format_day(day: date, style: str = "short_day", locale: str | None = None) -> str:
    """A calendar day (no time, no zone): the calendar's headings and columns."""
    locale = locale or current_locale()
    return babel_format_date(day, pattern(style, locale), locale=locale)


def zone_name(zone: str, locale: str | None = None) -> str:
    """The zone as a reader recognises it: "United States (New York) Time", "hora de España (Madrid)"."""
    if zone in ("UTC", "Etc/UTC", "GMT"):
        return "UTC"
    return get_timezone_location(ZoneInfo(zone), locale=locale or current_locale())
