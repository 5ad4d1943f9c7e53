"""The sandbox's own web pages: the home page (meetings per host, the account's users, and forms that change
meetings "on zoom.us"), and the join / start pages that meeting links lead to.

A change made on the home page is a change made on Zoom's side, behind the app's back: it sends the same
webhooks as an API call, with the chosen account user (by default the meeting's host) as operator.
Forms are plain HTML posts answered by a 303 redirect, or the page again with the message and 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from zoom_sandbox.errors import ZoomError
from zoom_sandbox.limits import usage
from zoom_sandbox.meeting_store import change_meeting, delete_meeting, public_meeting, purge_meeting
from zoom_sandbox.state import START_URL_LIFETIME, SandboxState, current_state
from zoom_sandbox.validation import check_meeting_body

bp = Blueprint("pages", __name__)


def page(status: int, title: str, message: str = "", template: str = "page.html", **context: Any) -> Any:
    return render_template(template, title=title, message=message, **context), status


def base_url() -> str:
    return request.host_url.rstrip("/")


@bp.get("/")
def index() -> Any:
    return _home(200)


def _home(status: int, error: str = "") -> Any:
    state = current_state()
    with state.lock:
        users = [{**u, **usage(state, u["id"])} for u in state.account.users.values()]
        meetings = sorted(state.meetings.values(), key=lambda m: (m["start_time"], m["id"]))
        hosts = [
            {
                "user": u,
                "meetings": [public_meeting(m, base_url()) for m in meetings if m["host_id"] == u["id"]],
            }
            for u in users
        ]
        trash = [public_meeting(m, base_url()) for m in state.trash.values()]
    return page(status, "Zoom sandbox", template="index.html", base=base_url(), users=users, hosts=hosts,
                trash=trash, error=error)  # fmt: skip


def _operator(state: SandboxState, meeting: dict[str, Any]) -> dict[str, Any]:
    """Who the form says made the change: an account user, by default the meeting's host."""
    chosen = state.account.find(request.form.get("operator") or meeting["host_id"])
    if chosen is None:
        raise ZoomError(400, 1001, "That user is not in this Zoom account.")
    return chosen


def _change_on_web(meeting_id: int, action: Callable[..., Any], in_trash: bool = False) -> Any:
    """Run `action(state, meeting, operator)` on one meeting; 303 home, or home with the problem."""
    state = current_state()
    try:
        with state.lock:
            meeting = (state.trash if in_trash else state.meetings).get(meeting_id)
            if meeting is not None:
                action(state, meeting, _operator(state, meeting))
    except ZoomError as exc:
        return _home(422, exc.message)
    if meeting is None:
        return _home(404, f"Meeting {meeting_id} does not exist (any more).")
    return redirect(url_for("pages.index"), 303)


@bp.post("/meetings/<int:meeting_id>/edit")
def edit_meeting(meeting_id: int) -> Any:
    """Edit a meeting's start (UTC) and duration, as its host could on zoom.us."""
    form, body = request.form, {}
    if form.get("start_time"):
        body["start_time"] = form["start_time"][:16] + ":00Z"  # datetime-local: YYYY-MM-DDTHH:MM
    if duration := form.get("duration", "").strip():
        if not duration.isdigit():
            return _home(422, "Duration must be a whole number of minutes.")
        body["duration"] = int(duration)

    def edit(state: SandboxState, meeting: dict[str, Any], operator: dict[str, Any]) -> None:
        changes = check_meeting_body(body, "update_meeting", meeting["timezone"])
        change_meeting(state, meeting, changes, operator)

    return _change_on_web(meeting_id, edit)


@bp.post("/meetings/<int:meeting_id>/delete")
def delete_meeting_page(meeting_id: int) -> Any:
    """Delete a meeting (to the trash), as its host could on zoom.us."""
    return _change_on_web(meeting_id, delete_meeting)


@bp.post("/trash/<int:meeting_id>/delete")
def purge_meeting_page(meeting_id: int) -> Any:
    """Empty one meeting from the trash ("Recently deleted") for good."""
    return _change_on_web(meeting_id, purge_meeting, in_trash=True)


@bp.get("/j/<int:meeting_id>")
def join_page(meeting_id: int) -> Any:
    state = current_state()
    with state.lock:
        known = meeting_id in state.meetings
    if not known:
        return page(404, "Invalid meeting ID", "This meeting ID is not valid.")
    return page(200, f"Sandbox Zoom meeting {meeting_id}", "You joined the meeting.")


@bp.get("/s/<int:meeting_id>")
def start_page(meeting_id: int) -> Any:
    state = current_state()
    with state.lock:
        zak = state.zaks.get(request.args.get("zak", ""))
        fresh = zak is not None and state.now() - zak["issued_at"] < START_URL_LIFETIME
        valid = fresh and zak["meeting_id"] == meeting_id and meeting_id in state.meetings
    if not valid:
        return page(401, "Start link expired", "This start link has expired or is not valid.")
    return page(200, f"Sandbox Zoom meeting {meeting_id}", "You started the meeting as its host.")
