"""All models, importable from one place (and registered with the metadata for migrations)."""

from conecta.models.appointment import Appointment
from conecta.models.audit import AuditEvent  # noqa: F401
from conecta.models.client import Client
from conecta.models.email import OutboxEmail  # noqa: F401
from conecta.models.org import Organization
from conecta.models.participant import AppointmentParticipant
from conecta.models.series import Series
from conecta.models.service import Service
from conecta.models.user import User
from conecta.models.zoom import ZoomConnection, zoom_connection_for  # noqa: F401
from conecta.models.zoom_attempt import ZoomCreateAttempt
from conecta.models.zoom_host import HostSource, ZoomAccountUser, ZoomHost  # noqa: F401
from conecta.models.zoom_meeting import StaffChoice, ZoomMeeting, ZoomState

__all__ = [
    "Appointment",
    "AppointmentParticipant",
    "Client",
    "Organization",
    "Series",
    "Service",
    "StaffChoice",
    "User",
    "ZoomCreateAttempt",
    "ZoomMeeting",
    "ZoomState",
]
