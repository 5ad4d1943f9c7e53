"""An appointment's Zoom meeting: what the appointment wants, what Zoom holds, and the sync bookkeeping.

One row per appointment that ever involved Zoom (appointments of services without Zoom have none). The
reconciler (`conecta.zoom.reconcile`) is the only writer of what Zoom holds; the booking pipeline
(`conecta.zoom.plan`) writes what is wanted and the "sync needed" mark, in the booking's transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.crypto import Encrypted
from conecta.extensions import db
from conecta.models.types import UTCDateTime, string_enum, utcnow

if TYPE_CHECKING:
    from conecta.models.appointment import Appointment


class ZoomState(StrEnum):
    """Where an appointment's meeting stands, as staff see it."""

    NONE = "none"  # no meeting wanted or had
    PENDING = "pending"  # a sync job will bring Zoom in line
    READY = "ready"  # Zoom matches the appointment
    FAILED = "failed"  # a permanent error, shown with a Retry
    DELETED = "deleted"  # the meeting was removed after the appointment was cancelled
    LEFT = "left"  # Zoom was disconnected, so the meeting was left in Zoom untouched
    # Changed in Zoom behind Conecta's back (meeting webhooks, the pre-meeting check: conecta.zoom.zoom_changes)
    VANISHED = "vanished"  # deleted in Zoom while still wanted: staff may Recreate and resend
    DRIFTED = "drifted"  # its time or duration was changed in Zoom: staff choose which side wins


class StaffChoice(StrEnum):
    """What staff chose for one appointment's meeting, whatever its service says (`conecta.zoom.rule`)."""

    ADDED = "added"  # Add Zoom meeting: a one-off video session
    REMOVED = "removed"  # Remove Zoom meeting: none, even if its service has Zoom meetings


def format_meeting_id(meeting_id: str | None) -> str:
    """Zoom's own grouping, which people type into the Zoom app: 123 4567 8901 (11 digits), 123 456 7890
    (10 or 9); anything else as it is ("" for none)."""
    digits = str(meeting_id or "").strip()
    if not digits.isdigit():
        return digits
    if len(digits) == 11:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if len(digits) in (9, 10):
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits


class ZoomMeeting(db.Model):
    __tablename__ = "zoom_meetings"

    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True
    )
    # --- what the appointment wants: decided by the one rule (conecta.zoom.rule) at every save ---
    wanted: Mapped[bool] = mapped_column(default=False)
    # Add / Remove Zoom meeting on this appointment (None: its service decides).
    staff_choice: Mapped[StaffChoice | None] = mapped_column(string_enum(StaffChoice, 10))
    state: Mapped[ZoomState] = mapped_column(string_enum(ZoomState, 10), default=ZoomState.NONE)
    # The outbox mark: set in the same transaction as the appointment save; cleared by the reconciler.
    sync_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Retry bookkeeping that must survive Redis: consecutive transient failures, and the earliest time
    # the next create/update may be tried (Retry-After, backoff, or 00:00 GMT after Zoom's daily limit).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    # Recorded before a create call and sent in the meeting's agenda, so a retry finds a lost create.
    tracking_key: Mapped[str | None] = mapped_column(String(64))
    # --- what we keep of the meeting in Zoom: its id, links and passcode (encrypted) ---
    meeting_id: Mapped[str | None] = mapped_column(String(32), index=True)
    join_url: Mapped[str | None] = mapped_column(Encrypted)
    # Deferred: read only when the host clicks Start (`conecta.zoom.start_link`), never to draw a page, so
    # no page decrypts it.
    start_url: Mapped[str | None] = mapped_column(Encrypted, deferred=True)
    start_url_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passcode: Mapped[str | None] = mapped_column(Encrypted)
    # The client the meeting was made for (who was sent its link): another client gets a new meeting.
    client_id: Mapped[int | None]
    # --- its host. `wanted_host_id` is decided with every save (the staff member's Zoom host in account
    # mode); `host_user_id` is where the meeting -- or a create attempt -- is. None means the Zoom user
    # who connected ("me"). They differ: the meeting moves (a new one on the new host). ---
    wanted_host_id: Mapped[str | None] = mapped_column(String(64))
    host_user_id: Mapped[str | None] = mapped_column(String(64))
    host_email: Mapped[str | None] = mapped_column(String(254))
    # --- its settings: what Zoom was last asked for, and what Zoom says it applied (account policies win)
    synced_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    applied_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # --- what Zoom holds, as far as we know: what we last told it (or what it told us since, when the
    # meeting was changed in Zoom); a PATCH sends only what differs from the appointment ---
    synced_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_duration: Mapped[int | None]
    synced_topic: Mapped[str | None] = mapped_column(String(200))
    # A PATCH went out whose answer never came (a timeout, a 5xx, a killed worker): Zoom may still apply
    # it, late, over newer values. After this moment Zoom's copy is read back and put right.
    verify_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # --- changes made in Zoom (conecta.zoom.zoom_changes) and the pre-meeting check (conecta.zoom.health) ---
    # Zoom's clock (ms) of the latest meeting event taken into account: an older or repeated one is stale.
    zoom_event_ts: Mapped[int | None] = mapped_column(BigInteger)
    # When the pre-meeting health check last looked at the meeting (about 24 h and 1 h before it).
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    appointment: Mapped[Appointment] = relationship(back_populates="zoom")

    @property
    def has_meeting(self) -> bool:
        return self.meeting_id is not None

    @property
    def in_zoom(self) -> bool:
        """A meeting exists in Zoom, or may (a create was attempted and its answer not yet seen)."""
        return self.meeting_id is not None or self.tracking_key is not None

    @property
    def is_former_clients(self) -> bool:
        """The meeting was made for a former client, who has its link: it must be replaced (not PATCHed)
        and its details shown to nobody. A meeting with no recorded client counts as the current one's."""
        return (
            self.meeting_id is not None
            and self.client_id is not None
            and self.client_id != self.appointment.client_id
        )

    @property
    def shareable(self) -> bool:
        """Its Join link and passcode may be shown and sent: the meeting exists, the appointment is booked,
        and the meeting is wanted -- or was left in Zoom while disconnected (its link still works). Never
        a former client's meeting (it is being replaced)."""
        return (
            self.meeting_id is not None
            and self.join_url is not None
            and not self.appointment.is_cancelled
            and not self.is_former_clients
            and (self.wanted or self.state == ZoomState.LEFT)
        )

    @property
    def meeting_id_display(self) -> str:
        return format_meeting_id(self.meeting_id)

    def mark(self) -> None:
        """Ask for a sync (the outbox mark); the booking pipeline enqueues the job after the commit."""
        self.sync_requested_at = utcnow()

    def clear_mark(self) -> None:
        self.sync_requested_at = None
        self.attempts = 0
        self.retry_at = None

    def adopt(self, meeting: dict[str, Any]) -> None:
        """Keep what we store of a meeting Zoom returned: id, join URL, start URL, passcode (optional)."""
        self.meeting_id = str(meeting["id"])
        self.client_id = self.appointment.client_id
        self.join_url = meeting.get("join_url")
        self.start_url = meeting.get("start_url")
        self.start_url_issued_at = utcnow() if meeting.get("start_url") else None
        self.passcode = meeting.get("password") or None
        self.synced_start_at = parse_zoom_time(meeting.get("start_time"))
        self.synced_duration = meeting.get("duration")
        self.synced_topic = meeting.get("topic")
        self.host_email = meeting.get("host_email") or self.host_email

    @property
    def host_changed(self) -> bool:
        """The meeting is on another Zoom user than the one the appointment now wants (its staff member,
        or that member's Zoom host, changed): it must move -- a new meeting on the new host."""
        return self.meeting_id is not None and self.host_user_id != self.wanted_host_id

    def forget_meeting(self) -> None:
        """The meeting is gone (deleted, replaced, vanished): nothing of it is kept, tracking key included."""
        self.meeting_id = None
        self.client_id = None
        self.join_url = None
        self.start_url = None
        self.start_url_issued_at = None
        self.passcode = None
        self.synced_start_at = None
        self.synced_duration = None
        self.synced_topic = None
        self.tracking_key = None
        self.verify_at = None
        self.host_user_id = None
        self.host_email = None
        self.synced_settings = None
        self.applied_settings = None


def parse_zoom_time(value: str | None) -> datetime | None:
    """Zoom's `2030-01-07T17:00:00Z` as an aware UTC datetime (None when absent or unreadable)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None
