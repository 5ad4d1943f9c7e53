"""All models, importable from one place (and registered with the metadata for migrations)."""

from conecta.models.appointment import Appointment
from conecta.models.client import Client
from conecta.models.org import Organization
from conecta.models.service import Service
from conecta.models.user import User

__all__ = ["Appointment", "Client", "Organization", "Service", "User"]
