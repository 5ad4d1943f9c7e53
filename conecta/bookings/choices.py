"""What the booking form offers: its client, service and staff options, read with only the columns they
show (the form is the most frequent page under load, so its CPU counts)."""

from __future__ import annotations

from functools import cache

from flask_babel import gettext
from sqlalchemy import Select, bindparam, select
from wtforms import SelectChoice

from conecta.bookings.forms import BookingForm
from conecta.clients.directory import SEARCH_ORDER, search_condition
from conecta.extensions import db
from conecta.models import Appointment, Client, Organization, Service, User

CLIENT_OPTIONS_LIMIT = 100


# The form's statements, built once: the booking form is the most frequent form under load, and a
# statement built afresh pays for building its cache key again each time.


@cache
def _first_clients_query() -> Select:
    return (
        select(Client.id, Client.name, Client.email)
        .where(Client.org_id == bindparam("org_id"))
        .order_by(*SEARCH_ORDER)
        .limit(CLIENT_OPTIONS_LIMIT)
    )


@cache
def _services_query() -> Select:
    return select(Service).where(Service.org_id == bindparam("org_id")).order_by(Service.name, Service.id)


@cache
def _team_query() -> Select:
    return (
        select(User.id, User.name, User.active)
        .where(User.org_id == bindparam("org_id"))
        .order_by(User.name, User.id)
    )


def client_choices(org: Organization, query: str = "", selected_id: int | None = None) -> list[SelectChoice]:
    """Clients matching `query` (the Clients page's search: accents and case ignored), capped; the
    selected one is always among them."""
    if query:
        statement = select(Client.id, Client.name, Client.email).where(
            Client.org_id == org.id, *search_condition(query)
        )
        rows = list(db.session.execute(statement.order_by(*SEARCH_ORDER).limit(CLIENT_OPTIONS_LIMIT)))
    else:
        rows = list(db.session.execute(_first_clients_query(), {"org_id": org.id}))
    if selected_id is not None and all(row.id != selected_id for row in rows):
        selected = db.session.execute(
            select(Client.id, Client.name, Client.email).where(
                Client.id == selected_id, Client.org_id == org.id
            )
        ).first()
        if selected is not None:
            rows.insert(0, selected)
    return [SelectChoice(str(row.id), f"{row.name} · {row.email}") for row in rows]


def fill_choices(form: BookingForm, org: Organization, appointment: Appointment | None) -> None:
    """The booking form's options: clients (the first ones and the chosen one), the active services and
    staff, plus the appointment's own even when no longer active. The group clients' list only where
    the organization has a group service (or the form came back with some chosen): elsewhere it would
    be a hundred options nobody can use."""
    services = db.session.scalars(_services_query(), {"org_id": org.id}).all()
    clients = client_choices(org, selected_id=form.client_id.data)
    form.client_id.choices = [SelectChoice("", gettext("Choose a client…")), *clients]
    if any(s.active and s.is_group for s in services) or form.more_client_ids.data:
        form.more_client_ids.choices = clients[-CLIENT_OPTIONS_LIMIT:]  # without a chosen one put first
    else:
        form.more_client_ids.choices = []
    current_service_id = appointment.service_id if appointment else None
    form.service_id.choices = [SelectChoice("", gettext("Choose a service…"))] + [
        SelectChoice(str(s.id), gettext("%(name)s (%(num)d min)", name=s.name, num=s.duration_minutes))
        for s in services
        if s.active or s.id == current_service_id
    ]
    # Only the columns the options show, not every member as a full entity (CPU per form, not I/O).
    staff = db.session.execute(_team_query(), {"org_id": org.id}).all()
    current_staff_id = appointment.staff_id if appointment else None
    form.staff_id.choices = [SelectChoice("", gettext("Choose a staff member…"))] + [
        SelectChoice(str(u.id), u.name) for u in staff if u.active or u.id == current_staff_id
    ]
