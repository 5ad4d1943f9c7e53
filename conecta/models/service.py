"""Services ("events" in Settings → Calendar): what clients book."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conecta.extensions import db
from conecta.models.org import Organization


class Service(db.Model):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(default=60)
    description: Mapped[str] = mapped_column(Text, default="")
    color: Mapped[str] = mapped_column(String(7), default="#3b82f6")
    active: Mapped[bool] = mapped_column(default=True)
    # "Auto-create Zoom meeting": may only be switched on while the organization has Zoom connected.
    zoom_auto_create: Mapped[bool] = mapped_column(default=False)
    # The meeting settings sent with every meeting of the service (`conecta.zoom.meeting_settings`). A new
    # service starts with a waiting room and a passcode, safe for a clinic; services that existed before
    # these defaults keep what they had (the server default, for rows written before, stays false).
    zoom_waiting_room: Mapped[bool] = mapped_column(default=True, server_default=false())
    zoom_join_before_host: Mapped[bool] = mapped_column(default=False, server_default=false())
    zoom_mute_upon_entry: Mapped[bool] = mapped_column(default=False, server_default=false())
    zoom_auto_recording: Mapped[str] = mapped_column(String(5), default="none", server_default="none")
    zoom_require_passcode: Mapped[bool] = mapped_column(default=True, server_default=false())

    # How many clients one session holds: more than one makes it a group service (`conecta.groups`).
    capacity: Mapped[int] = mapped_column(default=1, server_default="1")

    @property
    def is_group(self) -> bool:
        return self.capacity > 1

    org: Mapped[Organization] = relationship()
