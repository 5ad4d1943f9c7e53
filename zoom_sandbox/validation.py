"""Request checks as Zoom makes them: create/update bodies against Zoom's own request schemas.

`zoom_meeting_schemas.json` holds the two request-body schemas taken from Zoom's published OpenAPI
document (`scripts/extract_zoom_schemas.py` writes it), so field names, types and enums are Zoom's, not
guesses. On top of them: the documented limits the schemas do not carry (topic, agenda, password) and
Zoom's start-time rule. Every failure is Zoom's 400 code 300.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
from flask import request

from zoom_sandbox.errors import ZoomError

SCHEMAS = json.loads(Path(__file__).with_name("zoom_meeting_schemas.json").read_text(encoding="utf-8"))
VALIDATORS = {name: jsonschema.Draft4Validator(s) for name, s in SCHEMAS["schemas"].items()}
PASSWORD_RE = re.compile(r"[A-Za-z0-9@_*-]{1,10}")
START_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?")
KEPT_FIELDS = ("topic", "type", "duration", "agenda", "password", "default_password", "settings",
               "tracking_fields")  # fmt: skip


def invalid(message: str) -> ZoomError:
    return ZoomError(400, 300, message)


def json_body() -> Any:
    """The request's JSON (anything, validated later); unparseable JSON is Zoom's code 300."""
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        raise invalid("Request Body should be a valid JSON object.") from None


def utc_start(value: Any, tz_name: str) -> str:
    """Zoom's rule: `...Z` is UTC; without `Z` it is wall-clock time in the meeting's time zone."""
    if not isinstance(value, str) or not START_TIME_RE.fullmatch(value):
        raise invalid(f"Invalid field: start_time must be yyyy-MM-ddTHH:mm:ss[Z], not {value!r}.")
    try:
        naive = datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise invalid(f"Invalid field: start_time {value!r} is not a real date.") from None
    aware = naive.replace(tzinfo=UTC if value.endswith("Z") else ZoneInfo(tz_name))
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_meeting_body(body: Any, schema: str, current_tz: str) -> dict[str, Any]:
    """Validate a create/update body as Zoom does (its schema + documented limits); return the changes.

    `schema` is `create_meeting` or `update_meeting`; `current_tz` reads a start time given without `Z`.
    Fields Zoom does not know are ignored, never refused (as Zoom does).
    """
    if not isinstance(body, dict):
        raise invalid("Request Body should be a valid JSON object.")
    for name, limit in (("topic", 200), ("agenda", 2000)):
        if isinstance(body.get(name), str) and len(body[name]) > limit:
            raise invalid(f"Invalid field: {name} must be at most {limit} characters.")
    password = body.get("password")
    if isinstance(password, str) and password and not PASSWORD_RE.fullmatch(password):
        raise invalid(
            "Invalid field: password may only contain [a-z A-Z 0-9 @ - _ *], at most 10 characters."
        )
    error = jsonschema.exceptions.best_match(VALIDATORS[schema].iter_errors(body))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "body"
        raise invalid(f"Invalid field: {where}: {error.message[:200]}")
    changes = {k: copy.deepcopy(body[k]) for k in KEPT_FIELDS if k in body}
    if "timezone" in body:
        try:
            ZoneInfo(body["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid(f"Invalid field: timezone {body['timezone']!r}.") from None
        changes["timezone"] = current_tz = body["timezone"]
    if "start_time" in body:
        changes["start_time"] = utc_start(body["start_time"], current_tz)
    return changes
