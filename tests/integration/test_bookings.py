"""The booking modal: create, view, edit, cancel; 422 re-renders; conflicts; HX-Trigger; the save contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from conecta.extensions import db
from conecta.mail import plan as mail_plan
from conecta.mail import send as mail_send
from conecta.models import Appointment, Client
from conecta.zoom import plan as zoom_plan

HX = {"HX-Request": "true"}
MONDAY = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)  # 09:00 in America/Tijuana


def form_data(acme, **overrides) -> dict:
    data = {
        "client_id": acme.client.id,
        "service_id": acme.service.id,
        "staff_id": acme.staff.id,
        "date": "2030-01-08",
        "time": "10:00",
        "duration_minutes": "",
        "notes": "First visit",
    }
    data.update(overrides)
    return data


def only_appointment() -> Appointment:
    (appointment,) = db.session.scalars(db.select(Appointment)).all()
    return appointment


def trigger_of(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])


def test_new_form_is_prefilled_from_the_clicked_slot(acme, as_user):
    response = as_user(acme.admin).get(
        f"/bookings/new?date=2030-01-08&time=10:30&staff_id={acme.staff.id}", headers=HX
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'class="modal-backdrop"' in body and "New booking" in body
    assert 'value="2030-01-08"' in body and 'value="10:30"' in body
    assert f'<option selected value="{acme.staff.id}">Sam Staff</option>' in body
    for label in (
        "Search clients",
        "Client",
        "Service",
        "Staff",
        "Date",
        "Time",
        "Duration (minutes)",
        "Notes",
    ):
        assert f">{label}</label>" in body
    assert "Times in America/Tijuana" in body
    # The modal closes with its button (or Escape) by swapping in an empty answer.
    assert 'hx-trigger="click, close-modal from:body"' in body  # static/app.js sends close-modal on Escape


def test_new_form_defaults_to_the_signed_in_staff_member(acme, as_user):
    body = as_user(acme.staff).get("/bookings/new", headers=HX).get_data(as_text=True)
    assert f'<option selected value="{acme.staff.id}">Sam Staff</option>' in body


def test_direct_visit_renders_a_page_with_plain_forms(acme, as_user):
    body = as_user(acme.staff).get("/bookings/new").get_data(as_text=True)
    assert "<html" in body and 'class="modal modal-page"' in body
    assert "hx-post" not in body and 'action="/bookings/new"' in body


def test_create_with_htmx_answers_the_booking_and_the_event(acme, as_user):
    response = as_user(acme.staff).post("/bookings/new", data=form_data(acme), headers=HX)
    assert response.status_code == 200
    appointment = only_appointment()
    assert appointment.starts_at == datetime(2030, 1, 8, 18, 0, tzinfo=UTC)  # 10:00 PST
    assert appointment.duration_minutes == 60  # from the service
    assert appointment.notes == "First visit"
    assert trigger_of(response) == {"appointment-saved": {"id": appointment.id, "change": "created"}}
    body = response.get_data(as_text=True)
    assert "Booking saved." in body and "Tue 08 Jan 2030, 10:00–11:00" in body
    assert f'hx-get="/bookings/{appointment.id}/edit"' in body


def test_create_without_htmx_redirects_to_the_booking(acme, as_user):
    response = as_user(acme.staff).post("/bookings/new", data=form_data(acme, duration_minutes="45"))
    assert response.status_code == 303
    appointment = only_appointment()
    assert response.headers["Location"].endswith(f"/bookings/{appointment.id}")
    assert appointment.duration_minutes == 45
    page = as_user(acme.staff).get(f"/bookings/{appointment.id}").get_data(as_text=True)
    assert "<html" in page and "10:00–10:45" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"client_id": ""}, "Choose a client."),
        ({"service_id": ""}, "Choose a service."),
        ({"staff_id": "x"}, "Choose a staff member."),
        ({"date": ""}, "Choose a date."),
        ({"time": "25:99"}, "Not a valid time value."),
        ({"duration_minutes": "900"}, "Duration must be between 5 and 720 minutes."),
        ({"time": "02:30", "date": "2030-03-10"}, "02:30 does not exist on 10 Mar 2030 in America/Tijuana"),
    ],
)
def test_invalid_input_rerenders_the_modal_with_422(acme, as_user, overrides, message):
    response = as_user(acme.staff).post("/bookings/new", data=form_data(acme, **overrides), headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and 'class="modal-backdrop"' in body
    assert "HX-Trigger" not in response.headers
    assert db.session.scalars(db.select(Appointment)).all() == []


def test_another_organizations_client_is_refused(acme, rival, as_user):
    response = as_user(acme.staff).post("/bookings/new", data=form_data(acme, client_id=rival.client.id))
    assert response.status_code == 422
    assert "Choose a client." in response.get_data(as_text=True)


def test_double_booking_names_the_conflict(acme, as_user):
    acme.book(datetime(2030, 1, 8, 18, 0, tzinfo=UTC), client=acme.other_client)
    response = as_user(acme.staff).post("/bookings/new", data=form_data(acme, time="10:30"), headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert (
        "Sam Staff is already booked from 10:00 to 11:00 on Tue 08 Jan (Consultation with Omar Other)."
        in body
    )
    assert len(db.session.scalars(db.select(Appointment)).all()) == 1


def test_view_modal(acme, as_user):
    appointment = acme.book(MONDAY, notes="Allergic to latex")
    body = as_user(acme.admin).get(f"/bookings/{appointment.id}", headers=HX).get_data(as_text=True)
    assert "Consultation · Carla Client" in body and "Mon 07 Jan 2030, 09:00–10:00" in body
    assert "Allergic to latex" in body and "Booked" in body
    assert f'hx-get="/bookings/{appointment.id}/cancel" hx-target="#modal">Cancel booking</a>' in body


def test_edit_moves_the_appointment(acme, as_user):
    appointment = acme.book(MONDAY)
    http = as_user(acme.staff)
    form = http.get(f"/bookings/{appointment.id}/edit", headers=HX).get_data(as_text=True)
    assert "Edit booking" in form and 'value="2030-01-07"' in form and 'value="09:00"' in form
    assert f'<option selected value="{acme.client.id}">Carla Client · carla@acme.test</option>' in form
    response = http.post(
        f"/bookings/{appointment.id}/edit",
        data=form_data(acme, date="2030-01-09", time="14:15", service_id=acme.zoom_service.id),
        headers=HX,
    )
    assert response.status_code == 200
    assert trigger_of(response) == {"appointment-saved": {"id": appointment.id, "change": "updated"}}
    db.session.refresh(appointment)
    assert appointment.starts_at == datetime(2030, 1, 9, 22, 15, tzinfo=UTC)
    assert appointment.service_id == acme.zoom_service.id
    assert appointment.duration_minutes == 30  # empty duration: the new service's length


def test_edit_keeps_a_custom_duration_visible(acme, as_user):
    appointment = acme.book(MONDAY, duration_minutes=90)
    form = as_user(acme.staff).get(f"/bookings/{appointment.id}/edit").get_data(as_text=True)
    assert 'name="duration_minutes"' in form and 'value="90"' in form


def test_edit_without_htmx_redirects(acme, as_user):
    appointment = acme.book(MONDAY)
    response = as_user(acme.staff).post(f"/bookings/{appointment.id}/edit", data=form_data(acme))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/bookings/{appointment.id}")


def test_edit_into_a_conflict_is_refused_and_changes_nothing(acme, as_user):
    acme.book(datetime(2030, 1, 8, 18, 0, tzinfo=UTC), client=acme.other_client)
    appointment = acme.book(MONDAY)
    response = as_user(acme.staff).post(f"/bookings/{appointment.id}/edit", data=form_data(acme), headers=HX)
    assert response.status_code == 422
    assert "Sam Staff is already booked from 10:00 to 11:00" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).starts_at == MONDAY


def test_cancel_asks_first_then_cancels(acme, as_user):
    appointment = acme.book(MONDAY)
    http = as_user(acme.staff)
    confirm = http.get(f"/bookings/{appointment.id}/cancel", headers=HX)
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Cancel this booking?" in body and "Yes, cancel booking" in body
    db.session.refresh(appointment)
    assert appointment.status == "booked"  # asking changed nothing
    response = http.post(f"/bookings/{appointment.id}/cancel", headers=HX)
    assert response.status_code == 200
    assert trigger_of(response) == {"appointment-saved": {"id": appointment.id, "change": "cancelled"}}
    db.session.refresh(appointment)
    assert appointment.status == "cancelled" and appointment.cancelled_at is not None
    assert 'class="cancelled"' in response.get_data(as_text=True)


def test_cancel_without_htmx_redirects_and_twice_is_harmless(acme, as_user):
    appointment = acme.book(MONDAY)
    http = as_user(acme.staff)
    assert http.post(f"/bookings/{appointment.id}/cancel").status_code == 303
    assert http.post(f"/bookings/{appointment.id}/cancel").status_code == 303
    again = http.get(f"/bookings/{appointment.id}/cancel", headers=HX).get_data(as_text=True)
    assert "already cancelled" in again


def test_cancelled_appointments_cannot_be_edited(acme, as_user):
    appointment = acme.book(MONDAY)
    appointment.status = "cancelled"
    db.session.commit()
    http = as_user(acme.staff)
    assert "cannot be edited" in http.get(f"/bookings/{appointment.id}/edit").get_data(as_text=True)
    response = http.post(f"/bookings/{appointment.id}/edit", data=form_data(acme), headers=HX)
    assert response.status_code == 422
    db.session.refresh(appointment)
    assert appointment.starts_at == MONDAY


@pytest.mark.parametrize("path", ["/bookings/{id}", "/bookings/{id}/edit", "/bookings/{id}/cancel"])
def test_another_organizations_booking_is_404(acme, rival, as_user, path):
    theirs = rival.book(MONDAY)
    assert as_user(acme.admin).get(path.format(id=theirs.id), headers=HX).status_code == 404
    if path != "/bookings/{id}":
        assert as_user(acme.admin).post(path.format(id=theirs.id), data=form_data(acme)).status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "booked"


def test_client_search(acme, rival, as_user):
    db.session.add(Client(org=acme.org, name="Carlos Santana", email="carlos@acme.test"))
    db.session.commit()
    http = as_user(acme.staff)
    body = http.get("/bookings/client-options?client_search=carl", headers=HX).get_data(as_text=True)
    assert "Carla Client" in body and "Carlos Santana" in body and "Omar" not in body
    assert "Choose a client" not in body  # the first match gets selected
    by_email = http.get("/bookings/client-options?client_search=omar@", headers=HX).get_data(as_text=True)
    assert "Omar Other" in by_email and "Carla" not in by_email
    nothing = http.get("/bookings/client-options?client_search=zzz").get_data(as_text=True)
    assert "No client matches" in nothing
    cleared = http.get(f"/bookings/client-options?client_search=&client_id={acme.other_client.id}").get_data(
        as_text=True
    )
    assert f'<option value="{acme.other_client.id}" selected>' in cleared and "Choose a client" in cleared
    rivals = http.get("/bookings/client-options?client_search=carla@rival").get_data(as_text=True)
    assert "No client matches" in rivals


def test_dismiss_empties_the_modal(acme, as_user):
    http = as_user(acme.staff)
    response = http.get("/bookings/dismiss", headers=HX)
    assert response.status_code == 200 and response.get_data() == b""
    assert http.get("/bookings/dismiss").status_code == 302


def test_the_pipeline_plans_zoom_then_email_in_the_transaction_and_dispatches_after(
    acme, as_user, monkeypatch
):
    """The booking pipeline's order (conecta.bookings.service): both plans inside the one transaction,
    Zoom's first (the email needs to know whether a meeting is on its way); jobs after the commit."""
    seen: list[tuple] = []

    def committed(appointment_id: int) -> bool:
        """Whether the change is committed: another connection sees the appointment as this session does."""
        status = db.session.get(Appointment, appointment_id).status
        other = db.session.get_bind().connect()
        try:
            row = other.execute(db.select(Appointment.status).where(Appointment.id == appointment_id)).first()
        finally:
            other.close()
        return row is not None and row.status == status

    def spy(module, name, label, id_of):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            appointment_id = id_of(args)
            seen.append((label, committed(appointment_id)))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    spy(zoom_plan, "plan", "zoom plan", lambda args: args[0].id)
    spy(mail_plan, "plan", "mail plan", lambda args: args[0].id)
    spy(mail_send, "enqueue_queued", "enqueue mail", lambda args: args[0])
    http = as_user(acme.staff)
    http.post("/bookings/new", data=form_data(acme), headers=HX)
    appointment = only_appointment()
    http.post(f"/bookings/{appointment.id}/cancel", headers=HX)
    http.post(f"/bookings/{appointment.id}/cancel", headers=HX)  # no change: nothing runs
    http.post("/bookings/new", data=form_data(acme, client_id=""), headers=HX)  # refused: nothing runs
    once = [("zoom plan", False), ("mail plan", False), ("enqueue mail", True)]
    assert seen == once + once


def test_a_failing_plan_rolls_the_save_back(acme, as_user, monkeypatch):
    def broken(appointment, **options):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(mail_plan, "plan", broken)
    # TESTING propagates the error (in production the 500 page answers); the save must be undone.
    with pytest.raises(RuntimeError, match="outbox unavailable"):
        as_user(acme.staff).post("/bookings/new", data=form_data(acme), headers=HX)
    db.session.rollback()
    assert db.session.scalars(db.select(Appointment)).all() == []


@pytest.mark.parametrize(
    ("local_date", "expected_utc"),
    [
        ("2030-03-09", datetime(2030, 3, 9, 18, 0, tzinfo=UTC)),  # PST: the day before spring forward
        ("2030-03-11", datetime(2030, 3, 11, 17, 0, tzinfo=UTC)),  # PDT: the day after
    ],
)
def test_ten_oclock_typed_in_the_modal_is_stored_at_the_right_instant(
    acme, as_user, local_date, expected_utc
):
    http = as_user(acme.staff)
    response = http.post("/bookings/new", data=form_data(acme, date=local_date, time="10:00"), headers=HX)
    assert response.status_code == 200
    appointment = only_appointment()
    assert appointment.starts_at == expected_utc
    edit_form = http.get(f"/bookings/{appointment.id}/edit").get_data(as_text=True)
    assert f'value="{local_date}"' in edit_form and 'value="10:00"' in edit_form
