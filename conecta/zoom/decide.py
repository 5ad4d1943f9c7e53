"""What an appointment wants from Zoom: one action, the meeting's fields, and what is left to tell Zoom.

Pure decisions on the models (no calls to Zoom, no commits): the booking pipeline (`plan`) and the
reconciler (`reconcile`) both ask here, so they never disagree about what an appointment wants.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from flask_babel import force_locale, gettext

from conecta.models import Appointment, ZoomState
from conecta.models.zoom_meeting import parse_zoom_time
from conecta.zoom import meeting_settings


class Action(StrEnum):
    """What bringing Zoom in line with the appointment takes."""

    NOTHING = "nothing"  # no meeting wanted, nothing in Zoom
    CREATE = "create"  # a meeting is wanted and there is none yet
    UPDATE = "update"  # a meeting is wanted and exists: PATCH what differs (maybe nothing)
    REPLACE = "replace"  # it exists but for a former client or on another host: delete it, create anew
    DELETE = "delete"  # no meeting wanted (cancelled, or a service without Zoom), one exists
    CLEAN_UP = "clean_up"  # none wanted, none known, but a create was attempted: find it, delete it


def wants_meeting(appointment: Appointment) -> bool:
    zoom = appointment.zoom
    return zoom is not None and zoom.wanted and not appointment.is_cancelled


def action_for(appointment: Appointment) -> Action:
    zoom = appointment.zoom
    if not wants_meeting(appointment):
        if zoom is None or not zoom.in_zoom:
            return Action.NOTHING
        return Action.DELETE if zoom.has_meeting else Action.CLEAN_UP
    if zoom.is_former_clients or zoom.host_changed:
        return Action.REPLACE
    return Action.UPDATE if zoom.has_meeting else Action.CREATE


DISCONNECTED_LEFT = "Zoom is disconnected; the meeting was left in Zoom."
DISCONNECTED_NOT_UPDATED = (
    "Zoom is disconnected, so the meeting in Zoom was not updated. Reconnect Zoom in "
    "Settings → Integrations, then Retry."
)
DISCONNECTED_NOT_CREATED = (
    "Zoom is not connected, so no meeting was created. An admin can connect Zoom in "
    "Settings → Integrations; then Retry."
)
DISCONNECTED_NOT_REPLACED = (
    "Zoom is disconnected, so the meeting made for the previous client or host could not be replaced. "
    "Reconnect Zoom in Settings → Integrations, then Retry."
)

# Without a live connection nothing reaches Zoom: existing meetings and their links stay as they are
# (the product promises it), and the appointment says what could not be done: (state, reason).
WHILE_DISCONNECTED: dict[Action, tuple[ZoomState, str | None]] = {
    Action.CREATE: (ZoomState.FAILED, DISCONNECTED_NOT_CREATED),
    Action.UPDATE: (ZoomState.READY, DISCONNECTED_NOT_UPDATED),  # said only when something differs
    Action.REPLACE: (ZoomState.FAILED, DISCONNECTED_NOT_REPLACED),
    Action.DELETE: (ZoomState.LEFT, DISCONNECTED_LEFT),
    Action.CLEAN_UP: (ZoomState.NONE, None),
    Action.NOTHING: (ZoomState.NONE, None),
}


def disconnected_outcome(appointment: Appointment) -> tuple[ZoomState, str | None]:
    """The state and reason an appointment shows when Zoom cannot be reached for good."""
    action = action_for(appointment)
    state, reason = WHILE_DISCONNECTED[action]
    if action is Action.UPDATE and not pending_changes(appointment):
        reason = None  # nothing needed telling Zoom: the meeting is simply as it should be
    return state, reason


# ---- the meeting's fields ----------------------------------------------------------------------------


def meeting_topic(appointment: Appointment) -> str:
    """Service and client, as staff and client will recognise it in Zoom (Zoom allows 200 characters),
    in the organization's language whoever saves it (staff may read another language; a job none).
    A group session's topic is the service's name alone: every participant sees the topic, and no
    participant may learn another's name -- nor does the topic change as clients come and go."""
    if appointment.is_group:
        return appointment.service.name[:200]
    with force_locale(appointment.org.language):
        return topic_of(appointment.service.name, appointment.client.name, group=False)


def topic_of(service_name: str, client_name: str, group: bool) -> str:
    """`meeting_topic` from the names alone, in the locale in force (the caller chooses it)."""
    if group:
        return service_name[:200]
    return gettext("%(service)s with %(client)s", service=service_name, client=client_name)[:200]


def zoom_time(moment: datetime) -> str:
    """Zoom reads `...Z` as UTC; without it, as wall time in `timezone` -- so we always send the Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tracking_agenda(key: str) -> str:
    return f"Booked in Conecta. Reference: {key}"


def meeting_body(appointment: Appointment, tracking_key: str) -> dict[str, Any]:
    """The create request, with the service's meeting settings. No password of ours: when the service
    requires one, Zoom generates it per the account's policy (which wins anyway)."""
    return {
        "topic": meeting_topic(appointment),
        "type": 2,
        "start_time": zoom_time(appointment.starts_at),
        "timezone": appointment.org.timezone,
        "duration": appointment.duration_minutes,
        "agenda": tracking_agenda(tracking_key),
        **meeting_settings.create_fields(meeting_settings.requested(appointment.service)),
    }


def pending_changes(appointment: Appointment) -> dict[str, Any]:
    """The PATCH body: only what differs from what Zoom was last told (empty: no call at all)."""
    zoom = appointment.zoom
    changes: dict[str, Any] = {}
    if zoom is None:
        return changes
    if zoom.synced_start_at != appointment.starts_at:
        changes["start_time"] = zoom_time(appointment.starts_at)
        changes["timezone"] = appointment.org.timezone
    if zoom.synced_duration != appointment.duration_minutes:
        changes["duration"] = appointment.duration_minutes
    if zoom.synced_topic != meeting_topic(appointment):
        changes["topic"] = meeting_topic(appointment)
    wanted = meeting_settings.requested(appointment.service)
    if patch := meeting_settings.settings_patch(wanted, zoom.synced_settings):
        changes["settings"] = patch
    return changes


def describe_changes(changes: dict[str, Any]) -> str:
    names = {"start_time": "time", "duration": "duration", "topic": "topic", "settings": "settings"}
    return "Zoom meeting updated: " + ", ".join(names[k] for k in changes if k in names) + "."


def remember_synced(appointment: Appointment, changes: dict[str, Any]) -> None:
    """Zoom accepted `changes`: it now holds those values (read from `changes`, not the appointment,
    which may have been saved again since they were sent)."""
    zoom = appointment.zoom
    if "start_time" in changes:
        zoom.synced_start_at = parse_zoom_time(changes["start_time"])
    if "duration" in changes:
        zoom.synced_duration = changes["duration"]
    if "topic" in changes:
        zoom.synced_topic = changes["topic"]
    if "settings" in changes:
        told = zoom.synced_settings or meeting_settings.UNSPECIFIED
        zoom.synced_settings = {**told, **changes["settings"]}
