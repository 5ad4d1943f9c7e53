"""Spanish end to end, in a real browser: a client set to Spanish and America/New_York gets the
confirmation, the update, the reminder and the cancellation in Spanish with New York times (sent by a
real RQ worker, composed with no request around) and reads the portal in Spanish; a staff member set to
Spanish works the calendar, the drawer and the settings in Spanish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from conecta.extensions import db
from conecta.mail import reminders
from tests.support import smtp as mail
from tests.support.factories import PASSWORD
from tests.support.smtp import book, edit, run_mail_worker, text_parts

smtp_server = mail.smtp_server  # the fixture, for this module's test

MONDAY_9AM = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)  # 09:00 in Tijuana (acme), 12:00 in New York
NEW_YORK = "hora de Estados Unidos (Nueva York)"


@pytest.fixture
def app(make_app, smtp_server, tmp_path):
    app = make_app(
        **smtp_server.config(), MAIL_RETRY_INTERVALS=[0], MAIL_CATCHER_DIR=str(tmp_path / "mailbox")
    )
    with app.app_context():
        yield app


def test_a_spanish_client_in_new_york_and_a_spanish_staff_member(acme, smtp_server, page, sign_in) -> None:
    acme.staff.language = "es"
    acme.client.language, acme.client.timezone = "es", "America/New_York"
    db.session.commit()

    appointment = book(acme, MONDAY_9AM)  # confirmation
    run_mail_worker()
    edit(appointment, starts_at=MONDAY_9AM + timedelta(hours=1))  # update: 10:00 Tijuana, 13:00 New York
    run_mail_worker()
    assert reminders.send_if_due(appointment.id, MONDAY_9AM - timedelta(hours=2))  # the reminder is due
    run_mail_worker()

    # The staff member reads the calendar, the drawer and the settings in Spanish.
    sign_in(page, acme.staff.email, PASSWORD)
    page.goto("/calendar/?date=2030-01-07")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Semana del 7 ene al 13 ene 2030")).to_be_visible()
    expect(page.get_by_role("link", name="Nueva reserva", exact=True)).to_be_visible()
    page.locator("#calendar .event", has_text="Carla Client").click()
    drawer = page.get_by_role("dialog", name="Consultation · Carla Client")
    expect(drawer).to_contain_text("lun 7 ene 2030, 10:00–11:00")  # the clinic's zone
    expect(drawer).to_contain_text("Hora del cliente")
    expect(drawer).to_contain_text(f"lun 7 ene 2030, 13:00–14:00 (America/New_York · {NEW_YORK})")
    drawer.get_by_role("link", name="Cancelar reserva").click()
    modal = page.get_by_role("dialog", name="¿Cancelar esta reserva?")
    modal.get_by_role("button", name="Sí, cancelar la reserva").click()
    expect(page.get_by_role("dialog").get_by_text("Reserva cancelada.")).to_be_visible()
    page.goto("/settings/calendar/events")
    expect(page.get_by_role("heading", name="Ajustes")).to_be_visible()
    expect(page.get_by_role("navigation", name="Ajustes").get_by_role("link", name="Idioma")).to_be_visible()
    page.goto("/settings/language")
    expect(page.get_by_role("combobox", name="Tu idioma")).to_have_value("es")

    run_mail_worker()  # the cancellation
    received = [r.message for r in smtp_server.messages]
    subjects = [m["Subject"] for m in received]
    assert [s.split(":")[0] for s in subjects] == ["Confirmada", "Modificada", "Recordatorio", "Cancelada"], (
        subjects
    )
    for message, (start, end) in zip(received, [("12:00", "13:00"), *[("13:00", "14:00")] * 3], strict=True):
        text = text_parts(message)["text/plain"]
        assert f"lunes, 7 de enero de 2030, {start}–{end} ({NEW_YORK})" in text, text
        assert "Hola, Carla Client:" in text and "Your appointment" not in text

    # The client reads the portal in Spanish, in New York time.
    page.context.clear_cookies()
    page.goto("/portal/login")
    page.get_by_label("Email").fill(acme.client.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Mis reservas")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_text(f"Horas en {NEW_YORK}.")).to_be_visible()
    expect(page.get_by_role("link", name="lun 7 ene 2030, 13:00–14:00")).to_be_visible()
    expect(page.get_by_text("Cancelada")).to_be_visible()
    page.get_by_role("link", name="Idioma y zona horaria").click()
    expect(page.get_by_label("Zona horaria", exact=True)).to_have_value("America/New_York")
