"""A service's Zoom meeting settings: what we ask Zoom for, and what Zoom says it applied.

Meetings created through Zoom's API do not inherit the host's own web settings, and the account's locked
settings win over whatever a request asks for. So each service says what its meetings should have
(waiting room, join before host, mute on entry, automatic recording, a passcode), every create sends it,
a change is PATCHed onto upcoming meetings, and after each create or settings PATCH the meeting is read
back: where Zoom kept something else, staff are told why ("Your Zoom account requires a waiting room").

The passcode is the exception: Zoom's PATCH cannot ask for a generated passcode (only the create's
`default_password` can), and inventing one risks the account's passcode rules. "Require a passcode"
therefore applies when a meeting is created; unticked, the account's own passcode setting decides.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext

from conecta.models import Service

# Settings a PATCH can change, with Zoom's values when a request says nothing.
PATCHABLE: dict[str, Any] = {
    "waiting_room": False,
    "join_before_host": False,
    "mute_upon_entry": False,
    "auto_recording": "none",
}
# What a meeting made before settings existed was asked for (nothing: Zoom's defaults).
UNSPECIFIED: dict[str, Any] = {**PATCHABLE, "passcode": False}
RECORDING_CHOICES = (("none", lazy_gettext("No automatic recording")), ("cloud", lazy_gettext("Record to the cloud")), ("local", lazy_gettext("Record on the host's computer")))  # fmt: skip


def requested(service: Service) -> dict[str, Any]:
    """What the service asks of its meetings (`passcode`: a passcode is required)."""
    return {
        "waiting_room": bool(service.zoom_waiting_room),
        "join_before_host": bool(service.zoom_join_before_host),
        "mute_upon_entry": bool(service.zoom_mute_upon_entry),
        "auto_recording": service.zoom_auto_recording or "none",
        "passcode": bool(service.zoom_require_passcode),
    }


def create_fields(wanted: dict[str, Any]) -> dict[str, Any]:
    """The create request's `settings` (and `default_password`: let Zoom generate a passcode that meets
    the account's rules, never one of ours)."""
    fields: dict[str, Any] = {"settings": {key: wanted[key] for key in PATCHABLE}}
    if wanted["passcode"]:
        fields["default_password"] = True
    return fields


def settings_patch(wanted: dict[str, Any], told: dict[str, Any] | None) -> dict[str, Any]:
    """The settings that differ from what Zoom was last asked for (empty: nothing to PATCH)."""
    told = told or UNSPECIFIED
    return {key: wanted[key] for key in PATCHABLE if wanted[key] != told.get(key, PATCHABLE[key])}


def applied(meeting: dict[str, Any]) -> dict[str, Any]:
    """What a meeting read back from Zoom really has."""
    settings = meeting.get("settings") or {}
    kept = {key: settings.get(key, default) for key, default in PATCHABLE.items()}
    return {**kept, "passcode": bool(meeting.get("password"))}


_RECORDING = {"none": lazy_gettext("Your Zoom account turns automatic recording off."),
              "cloud": lazy_gettext("Your Zoom account records meetings to the cloud."),
              "local": lazy_gettext("Your Zoom account records meetings on the host's computer.")}  # fmt: skip
_KEPT = {
    ("waiting_room", True): lazy_gettext("Your Zoom account requires a waiting room."),
    ("waiting_room", False): lazy_gettext(
        "Your Zoom account does not allow a waiting room here; the meeting has none."
    ),
    ("join_before_host", True): lazy_gettext("Your Zoom account lets participants join before the host."),
    ("join_before_host", False): lazy_gettext(
        "Zoom does not let participants join before the host (your account's setting, or the waiting room)."
    ),
    ("mute_upon_entry", True): lazy_gettext("Your Zoom account mutes participants on entry."),
    ("mute_upon_entry", False): lazy_gettext("Your Zoom account does not mute participants on entry."),
}


def kept_otherwise(asked: dict[str, Any] | None, got: dict[str, Any] | None) -> list[str]:
    """Why the meeting differs from what was asked, one sentence per setting (empty: as asked)."""
    if not asked or not got:
        return []
    notes = [
        str(_KEPT[(key, got[key])])
        for key in ("waiting_room", "join_before_host", "mute_upon_entry")
        if key in got and got[key] != asked.get(key, PATCHABLE[key])
    ]
    recording = got.get("auto_recording")
    if recording and recording != asked.get("auto_recording", "none"):
        known = _RECORDING.get(recording)
        notes.append(
            str(known)
            if known is not None
            else gettext("Your Zoom account sets recording to %(value)s.", value=recording)
        )
    if asked.get("passcode") and not got.get("passcode"):
        notes.append(gettext("This meeting has no passcode (Zoom adds one only when a meeting is created)."))
    return notes
