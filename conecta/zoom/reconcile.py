"""The reconciler: make Zoom match what the appointment wants, as it is when the job runs.

Level-triggered, so duplicate jobs, reordering and retries are harmless. Under the appointment's lease
(`conecta.zoom.lock`) it reads the appointment, asks `decide.action_for` what it takes, and:
- CREATE: commit a tracking key, the host and the attempt, then POST the meeting on that host (a retry
  finds a lost create by that key among the host's meetings; `conecta.zoom.attempts` follows up one that
  Zoom completes later, whatever happened since); Zoom's answer says what it applied;
- UPDATE: PATCH only what differs from what Zoom was last told (nothing differs: no call), and read the
  meeting back after a settings change; a 404 means it was deleted in Zoom behind our back, so a new one
  is created; a PATCH whose answer was lost gets the meeting read back after a grace period
  (`verify_at`), since Zoom may apply it late, over newer values;
- REPLACE: the meeting was made for a former client, or is on another host than the staff member's:
  delete it, then create a new one;
- DELETE / CLEAN_UP: delete the meeting (a 404 counts as done), or find a lost create and delete it.
How it ends (states, retries, the daily limit, a lost connection) is in `conecta.zoom.outcome`.
"""

from __future__ import annotations

import logging
import secrets
from contextlib import suppress
from datetime import timedelta

from flask import current_app

from conecta import audit
from conecta.extensions import db
from conecta.models import StaffChoice, ZoomState
from conecta.models.types import utcnow
from conecta.zoom import attempts, hosts, meeting_settings
from conecta.zoom.client import ZoomClient
from conecta.zoom.decide import (
    Action,
    action_for,
    describe_changes,
    meeting_body,
    meeting_topic,
    pending_changes,
    remember_synced,
)
from conecta.zoom.duplicates import delete_duplicates, find_by_tracking_key
from conecta.zoom.errors import (
    ZoomAuthError,
    ZoomError,
    ZoomNotConnected,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomTransientError,
    ZoomUserMissing,
)
from conecta.zoom.lock import appointment_lock, leave_note
from conecta.zoom.outcome import (
    AGAIN,
    Outcome,
    Run,
    disconnected,
    fail,
    load,
    request_failure_reason,
    retry_later,
    settle,
    wait_for_daily_limit,
)

log = logging.getLogger("conecta.zoom.sync")

ROUNDS = 3  # edited faster than we can follow: after this many rounds a fresh job goes on


def reconcile(appointment_id: int) -> Outcome:
    """Bring Zoom in line with the appointment as it is now; the outcome says what should follow."""
    with appointment_lock(appointment_id) as acquired:
        if not acquired:
            leave_note(appointment_id, "reconcile")  # the holder hands it back on release
            return Outcome("busy")
        outcome = AGAIN
        settled = False
        for _ in range(ROUNDS):
            outcome = _reconcile_once(appointment_id)
            settled = settled or outcome.settled
            if outcome is not AGAIN:
                break
        else:
            outcome = Outcome("again", again_at=utcnow())
        return Outcome(outcome.result, settled, outcome.again_at)


def _reconcile_once(appointment_id: int) -> Outcome:
    appointment = load(appointment_id)
    if appointment is None or appointment.zoom is None:
        return Outcome("gone")
    zoom = appointment.zoom
    if zoom.sync_requested_at is None:
        return Outcome("nothing-to-do")
    run = Run(appointment, zoom.sync_requested_at, zoom.attempts + 1)
    if zoom.retry_at is not None and zoom.retry_at > utcnow():
        # Zoom asked us to wait (Retry-After, backoff, daily limit): come back then, calling nothing.
        return Outcome("deferred", again_at=zoom.retry_at)
    try:
        client = ZoomClient.for_org(appointment.org_id)
        action = action_for(appointment)
        if _out_of_reach(client, action, run):
            email = zoom.host_email or hosts.email_of(appointment.org_id, zoom.host_user_id)
            return fail(run, hosts.out_of_reach_reason(email))
        if action is Action.REPLACE:
            _drop_replaced_meeting(client, run)
            action = Action.CREATE
        if action is Action.UPDATE:
            return _update_meeting(client, run)
        if action is Action.CREATE:
            return _create_meeting(client, run)
        return _remove_meeting(client, run)
    except ZoomUserMissing:
        db.session.rollback()  # the host was removed from the Zoom account: only a new mapping helps
        zoom = run.appointment.zoom
        email = zoom.host_email or hosts.email_of(run.appointment.org_id, zoom.host_user_id)
        return fail(run, hosts.host_missing_reason(run.appointment.staff, email))
    except ZoomRateLimited as exc:
        db.session.rollback()
        if exc.daily:
            return wait_for_daily_limit(run, exc)
        return retry_later(run, exc, exc.retry_after)
    except ZoomTransientError as exc:
        db.session.rollback()
        return retry_later(run, exc, None)
    except (ZoomNotConnected, ZoomAuthError) as exc:
        db.session.rollback()
        return disconnected(run, exc)
    except ZoomError as exc:  # ZoomRequestError and anything else Zoom refused for good
        db.session.rollback()
        return fail(run, request_failure_reason(exc))


def _out_of_reach(client: ZoomClient, action: Action, run: Run) -> bool:
    """The meeting (or a create attempt) is on another Zoom user than the connected one, and the grant is
    for that one user only (the organization switched back to "my Zoom user only"): Zoom would answer 404
    for a meeting it merely hides, so nothing is called -- no duplicate made, nothing forgotten."""
    zoom = run.appointment.zoom
    if zoom.host_user_id is None or client.account_mode or action in (Action.NOTHING, Action.CREATE):
        return False  # a create goes to the connected user ("me"): within reach
    return action is not Action.UPDATE or bool(pending_changes(run.appointment))


def _update_meeting(client: ZoomClient, run: Run) -> Outcome:
    appointment = run.appointment
    zoom = appointment.zoom
    try:
        if zoom.verify_at is not None and zoom.verify_at <= utcnow():
            # A PATCH whose answer was lost may have landed late, over newer values: start from Zoom's copy.
            zoom.adopt(client.get_meeting(zoom.meeting_id, log_context=run.context("verify")))
            zoom.verify_at = None
        changes = pending_changes(appointment)
        if not changes:
            return settle(run, ZoomState.READY, None)
        earlier_unconfirmed = zoom.verify_at is not None
        grace = timedelta(seconds=float(current_app.config["ZOOM_FOLLOWUP_GRACE_SECONDS"]))
        zoom.verify_at = utcnow() + grace
        db.session.commit()  # before the call: if its answer is lost, Zoom's copy is read back later
        client.update_meeting(zoom.meeting_id, changes, log_context=run.context("update"))
        if not earlier_unconfirmed:
            zoom.verify_at = None
    except ZoomNotFound:
        # Deleted in Zoom behind our back: the appointment still wants one, so a new one is made.
        zoom.forget_meeting()
        audit.record(
            appointment.org_id,
            "zoom_meeting_missing",
            "The Zoom meeting no longer existed in Zoom; creating a new one.",
            appointment_id=appointment.id,
        )
        return _create_meeting(client, run)
    remember_synced(appointment, changes)
    if "settings" in changes:
        zoom.applied_settings = _read_back(client, zoom.meeting_id, zoom.applied_settings, run)
    return settle(run, ZoomState.READY, "zoom_meeting_updated", describe_changes(changes))


def _drop_replaced_meeting(client: ZoomClient, run: Run) -> None:
    """Delete the meeting made for a former client or on a former host, and forget it (tracking key and
    host too) before creating anew.

    Committed before the create: a retry after a crash then creates (or, by the new tracking key, finds)
    the new meeting and can never adopt the old one. A crash before this commit repeats the DELETE, and a
    404 counts as done (a host removed from the Zoom account took its meetings along).
    """
    appointment = run.appointment
    zoom = appointment.zoom
    old_id, old_host = zoom.meeting_id, zoom.host_email or "the former host"
    why = "it was made for the previous client" if zoom.is_former_clients else f"it was hosted by {old_host}"
    with suppress(ZoomNotFound):
        client.delete_meeting(old_id, log_context=run.context("delete-replaced"))
    zoom.forget_meeting()
    audit.record(
        appointment.org_id,
        "zoom_meeting_replaced",
        f"Meeting {old_id} deleted: {why}. Creating a new one.",
        appointment_id=appointment.id,
    )
    db.session.commit()


def _read_back(client: ZoomClient, meeting_id: str, fallback: dict | None, run: Run) -> dict | None:
    """What Zoom applied (account policies win over the request): GET the meeting -- after a settings
    PATCH, which answers 204 with no body. If that read fails, `fallback` stands: the meeting itself is
    fine, so that is no reason to fail its sync."""
    try:
        return meeting_settings.applied(client.get_meeting(meeting_id, log_context=run.context("read-back")))
    except ZoomError as exc:
        log.info("zoom_sync read_back_failed appointment_id=%s error=%s", run.appointment.id, exc)
        return fallback


def _find_lost_create(client: ZoomClient, run: Run) -> list[dict]:
    """The meetings an earlier create left on its host (found by tracking key). A host removed from the
    Zoom account took its meetings along: nothing to find there."""
    zoom = run.appointment.zoom
    try:
        return find_by_tracking_key(client, zoom.tracking_key, run, host=zoom.host_user_id)
    except ZoomUserMissing:
        return []


def _create_meeting(client: ZoomClient, run: Run) -> Outcome:
    appointment = run.appointment
    zoom = appointment.zoom
    key = zoom.tracking_key
    wanted = meeting_settings.requested(appointment.service)
    if key:
        found = _find_lost_create(client, run)
        if found:
            # The answer to an earlier create was lost (crash, timeout): that meeting is ours.
            keep, extras = found[0], found[1:]
            delete_duplicates(client, appointment, extras, run)
            meeting = client.get_meeting(keep["id"], log_context=run.context("adopt"))
            zoom.adopt(meeting)
            zoom.synced_settings, zoom.applied_settings = wanted, meeting_settings.applied(meeting)
            attempts.accounted_for(key)
            if pending_changes(appointment) or zoom.host_changed:
                # Keep the meeting; the next round PATCHes it to the current values (or, made on a former
                # host, moves it).
                db.session.commit()
                return AGAIN
            return settle(
                run, ZoomState.READY, "zoom_meeting_created", "Found the meeting an earlier attempt created."
            )
    new_key = not key or zoom.host_user_id != zoom.wanted_host_id
    if new_key:
        # A new key for a new host: each key, and its attempt, belongs to the one host the follow-up
        # lists. A former host's key stays followed up there, whatever Zoom still makes with it.
        key = f"conecta-{appointment.id}-{secrets.token_hex(6)}"
        zoom.tracking_key = key
        zoom.host_user_id = zoom.wanted_host_id
        zoom.host_email = (
            client.connecting_email
            if zoom.wanted_host_id is None
            else hosts.email_of(appointment.org_id, zoom.wanted_host_id)
        )
    attempts.record_call(appointment, key, zoom.host_user_id, new_key=new_key)
    # Key, host and attempt recorded BEFORE the create: a retry knows where to look, and a lost answer is
    # always followed up.
    db.session.commit()
    body = meeting_body(appointment, key)
    created = client.create_meeting(body, host=zoom.host_user_id, log_context=run.context("create"))
    zoom.adopt(created)
    # What we asked for is what Zoom has now (Zoom may echo times in another format).
    zoom.synced_start_at = appointment.starts_at
    zoom.synced_duration = body["duration"]
    zoom.synced_topic = meeting_topic(appointment)
    zoom.synced_settings = wanted
    # Zoom's answer to the create is the meeting as made, account policies applied: that is the read-back,
    # without a second call on the way to the Join link. Only an answer without settings is read again.
    if created.get("settings"):
        zoom.applied_settings = meeting_settings.applied(created)
    else:
        zoom.applied_settings = _read_back(client, zoom.meeting_id, meeting_settings.applied(created), run)
    # If an earlier call with this key lost its answer, its attempt stays open: the follow-up
    # (`conecta.zoom.attempts`) deletes any twin Zoom still makes. (Last: the DELETE flushes everything
    # above in one UPDATE.)
    attempts.accounted_for(key)
    return settle(run, ZoomState.READY, "zoom_meeting_created", f"Meeting {zoom.meeting_id} created.")


def _remove_meeting(client: ZoomClient, run: Run) -> Outcome:
    appointment = run.appointment
    zoom = appointment.zoom
    meeting_id = zoom.meeting_id
    if meeting_id is None and zoom.tracking_key:
        # A create may have reached Zoom without our hearing back: find it so it does not linger.
        found = _find_lost_create(client, run)
        if found:
            meeting_id = str(found[0]["id"])
            delete_duplicates(client, appointment, found[1:], run)
            attempts.accounted_for(zoom.tracking_key)
    if meeting_id is None:
        zoom.tracking_key = None
        return settle(run, ZoomState.NONE, None)
    with suppress(ZoomNotFound):  # already gone: that is what we wanted
        client.delete_meeting(meeting_id, log_context=run.context("delete"))
    zoom.forget_meeting()
    if appointment.is_cancelled:
        why = "cancelled"
    elif zoom.staff_choice is StaffChoice.REMOVED:
        why = "removed by staff"
    else:
        why = "its service has no Zoom meetings"
    return settle(run, ZoomState.DELETED, "zoom_meeting_deleted", f"Meeting {meeting_id} deleted ({why}).")
