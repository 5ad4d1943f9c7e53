"""Languages: the Spanish catalog is complete, and every page and email rendered in Spanish carries no
English sentence of ours; each reader gets their own language and zone (staff, portal clients, emails
composed by workers).

Fast on purpose: pages through the Flask test client, emails composed directly (`compose`, as the send job
does), no SMTP and no browser (tests/browser/test_languages.py shows the same in a browser).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conecta.extensions import db
from conecta.mail.compose import compose
from conecta.models.email import APPOINTMENT_KINDS, EmailKind, OutboxEmail
from conecta.zoom.decide import meeting_topic
from tests.support.catalog import catalog, english_left, english_sentences, placeholders, readable_text
from tests.support.factories import with_zoom

# 17:00 UTC on Mon 7 Jan 2030: 09:00 in Tijuana (acme's zone), 12:00 in New York.
MONDAY = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)


def test_every_message_has_a_spanish_translation_with_the_same_placeholders() -> None:
    problems = []
    for message in catalog("es"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
        elif (len(ids) == 1 and placeholders(strings[0]) != placeholders(ids[0])) or (
            len(ids) > 1
            and not all(placeholders(s) <= placeholders(ids[0]) | placeholders(ids[1]) for s in strings)
        ):
            problems.append(f"placeholders differ: {ids[0]!r}")
    english_ids = {m.id for m in catalog("en") if m.id}
    spanish_ids = {m.id for m in catalog("es") if m.id}
    assert english_ids == spanish_ids, "run scripts/translations: the catalogs do not hold the same messages"
    assert not problems, "\n".join(problems)
    assert len(english_sentences()) > 100  # the check below has something to look for


@pytest.fixture
def spanish(acme):
    """acme's admin and client read Spanish; the client lives in New York, acme in Tijuana."""
    acme.admin.language = "es"
    acme.client.language = "es"
    acme.client.timezone = "America/New_York"
    appointment = acme.book(MONDAY, notes="Primera visita")
    db.session.commit()
    return appointment


STAFF_PAGES = [
    "/account",
    "/calendar/?date=2030-01-07",
    "/calendar/?date=2030-01-07&view=day",
    "/calendar/appointments/{id}?date=2030-01-07",
    "/bookings/{id}",
    "/bookings/{id}/edit",
    "/bookings/{id}/cancel",
    "/bookings/new?date=2030-01-08",
    "/clients/",
    "/clients/new",
    "/clients/{client}",
    "/clients/{client}/edit",
    "/settings/team",
    "/settings/calendar/events",
    "/settings/calendar/events/new",
    "/settings/integrations",
    "/settings/emails",
    "/settings/language",
]
CLIENT_PAGES = ["/portal/", "/portal/bookings/{id}", "/portal/preferences", "/portal/account"]


def _check_pages(http, pages, appointment) -> None:
    left = {}
    for page in pages:
        url = page.format(id=appointment.id, client=appointment.client_id)
        response = http.get(url)
        assert response.status_code == 200, url
        markup = response.get_data(as_text=True)
        assert '<html lang="es">' in markup, url
        if missing := english_left(readable_text(markup)):
            left[url] = missing
    assert not left, f"English left in Spanish pages: {left}"


def test_a_spanish_admin_reads_every_staff_page_in_spanish(spanish, acme, as_user) -> None:
    _check_pages(as_user(acme.admin), STAFF_PAGES, spanish)
    drawer = as_user(acme.admin).get(f"/calendar/appointments/{spanish.id}?date=2030-01-07").get_data(True)
    # Staff read the organization's zone, and the client's own next to it when it differs.
    assert "lun 7 ene 2030, 9:00–10:00" in drawer and "Hora del cliente" in drawer
    assert "lun 7 ene 2030, 12:00–13:00" in drawer and "hora de Estados Unidos (Nueva York)" in drawer


def test_a_spanish_client_reads_the_portal_in_spanish_in_their_zone(spanish, acme, as_user) -> None:
    _check_pages(as_user(acme.client), CLIENT_PAGES, spanish)
    portal = as_user(acme.client).get("/portal/").get_data(as_text=True)
    assert (
        "lun 7 ene 2030, 12:00–13:00" in portal and "Horas en hora de Estados Unidos (Nueva York)" in portal
    )


def test_sign_in_pages_follow_the_browser_language(client) -> None:
    for url in ("/login", "/portal/login", "/password/forgot", "/portal/password/forgot"):
        markup = client.get(url, headers={"Accept-Language": "es-ES,es;q=0.9"}).get_data(as_text=True)
        assert '<html lang="es">' in markup and ("Iniciar sesión" in markup or "Envíame un enlace" in markup)
        assert not english_left(readable_text(markup)), url
        assert '<html lang="en">' in client.get(url).get_data(as_text=True)


def test_a_client_changes_their_language_and_zone_in_the_portal(acme, as_user) -> None:
    http = as_user(acme.client)
    answer = http.post("/portal/preferences", data={"language": "es", "timezone": "Nowhere/Atlantis"})
    assert answer.status_code == 422
    answer = http.post("/portal/preferences", data={"language": "es", "timezone": "Europe/Madrid"})
    assert answer.status_code == 303
    db.session.refresh(acme.client)
    assert (acme.client.language, acme.client.timezone) == ("es", "Europe/Madrid")
    assert "Tu idioma y tu zona horaria están guardados." in http.get("/portal/").get_data(as_text=True)


def test_staff_set_a_clients_language_and_zone_on_the_client_record(acme, as_user) -> None:
    http = as_user(acme.staff)
    form = {"name": "Carla Client", "email": acme.client.email, "phone": "", "notes": ""}
    answer = http.post(
        f"/clients/{acme.client.id}/edit", data={**form, "language": "es", "timezone": "America/New_York"}
    )
    assert answer.status_code == 303
    db.session.refresh(acme.client)
    assert (acme.client.locale, acme.client.zone) == ("es", "America/New_York")
    http.post(f"/clients/{acme.client.id}/edit", data={**form, "language": "", "timezone": ""})
    db.session.refresh(acme.client)
    assert (acme.client.language, acme.client.timezone) == (None, None)
    assert (acme.client.locale, acme.client.zone) == ("en", "America/Tijuana")  # the organization's


def test_staff_choose_their_language_and_admins_the_organizations(acme, as_user) -> None:
    staff = as_user(acme.staff)
    assert staff.post("/settings/language", data={"mine-language": "es"}).status_code == 303
    assert '<html lang="es">' in staff.get("/calendar/").get_data(as_text=True)
    assert staff.post("/settings/language/organization", data={"org-language": "es"}).status_code == 403
    admin = as_user(acme.admin)
    assert admin.post("/settings/language/organization", data={"org-language": "es"}).status_code == 303
    db.session.refresh(acme.org)
    assert acme.org.language == "es"
    assert '<html lang="es">' in admin.get("/calendar/").get_data(as_text=True)  # follows the default
    # An admin sets a team member's language on Settings → Team.
    assert admin.post(f"/settings/team/{acme.staff.id}/language", data={"language": "en"}).status_code == 303
    db.session.refresh(acme.staff)
    assert acme.staff.language == "en"
    assert admin.post(f"/settings/team/{acme.staff.id}/language", data={"language": "xx"}).status_code == 422


def _composed(appointment, kind):
    row = OutboxEmail(appointment=appointment, client=appointment.client, kind=kind, ics_sequence=1)
    row.org_id = appointment.org_id
    row.to_address = appointment.client.email
    return compose(row)


@pytest.mark.parametrize("zoom", ["ready", "coming", "removed"])
def test_every_appointment_email_is_in_the_clients_language_and_zone(spanish, zoom) -> None:
    if zoom == "ready":
        with_zoom(
            spanish, state="ready", wanted=True, join_url="https://zoom.test/j/1", meeting_id="123456789"
        )
    elif zoom == "coming":
        with_zoom(spanish, state="pending", wanted=True)
    else:
        with_zoom(spanish, state="deleted", wanted=False)
    db.session.flush()
    for kind in APPOINTMENT_KINDS:  # the others are composed below, each from what it is about
        composed = _composed(spanish, kind)
        ics = composed.ics.decode()
        for part in (composed.subject, composed.text, readable_text(composed.html), ics.replace("\r\n ", "")):
            assert not english_left(part), (kind, zoom, english_left(part))
        assert "lunes, 7 de enero de 2030, 12:00–13:00 (hora de Estados Unidos (Nueva York))" in composed.text
        assert "lun 7 ene 2030, 12:00 (hora de Estados Unidos (Nueva York))" in composed.subject
        assert '<html lang="es">' in composed.html
        assert "DTSTART:20300107T170000Z" in ics  # UTC: every calendar converts it
    # The same appointment's email to an English reader, in the organization's zone.
    spanish.client.language, spanish.client.timezone = None, None
    english = _composed(spanish, EmailKind.CONFIRMATION)
    assert english.subject.startswith(
        "Confirmed: Consultation on Mon 7 Jan 2030, 09:00 (Mexico (Tijuana) Time)"
    )
    assert "Your appointment with Acme Clinic is confirmed." in english.text
    db.session.rollback()


def test_portal_invites_and_admin_alerts_are_in_their_readers_language(spanish, acme) -> None:
    invite = OutboxEmail(client=acme.client, kind=EmailKind.PORTAL_INVITE, org_id=acme.org.id)
    invite.to_address = acme.client.email
    composed = compose(invite)
    assert composed.subject == "Acme Clinic te invita a su portal de clientes"
    assert "hora de Estados Unidos (Nueva York)" in composed.text
    for part in (composed.text, readable_text(composed.html)):
        assert not english_left(part), english_left(part)
    for kind in (EmailKind.STAFF_INVITE, EmailKind.PASSWORD_RESET):  # to the Spanish admin
        row = OutboxEmail(user=acme.admin, user_id=acme.admin.id, kind=kind, org_id=acme.org.id)
        row.to_address = acme.admin.email
        composed = compose(row)
        assert "Restablece" in composed.subject or "te invita" in composed.subject, composed.subject
        assert "(hora de México (Tijuana))" in composed.text  # an admin reads the organization's zone
        for part in (composed.text, readable_text(composed.html)):
            assert not english_left(part), english_left(part)
    alert = OutboxEmail(kind=EmailKind.ZOOM_RECONNECT, org_id=acme.org.id, to_address=acme.admin.email)
    composed = compose(alert)
    assert composed.subject == "Hay que volver a conectar Zoom · Acme Clinic"
    for part in (composed.text, readable_text(composed.html)):
        assert not english_left(part), english_left(part)
    alert.to_address = acme.staff.email  # reads English (the organization's)
    assert compose(alert).subject == "Zoom needs reconnecting · Acme Clinic"
    db.session.rollback()


def test_the_zoom_topic_stays_in_the_organizations_language(spanish, acme) -> None:
    assert meeting_topic(spanish) == "Consultation with Carla Client"  # the client reads Spanish
    acme.org.language = "es"
    assert meeting_topic(spanish) == "Consultation con Carla Client"
    db.session.rollback()


def test_a_series_email_and_a_series_drawer_are_in_spanish(spanish, acme, as_user) -> None:
    from conecta.bookings import series as series_service
    from conecta.scheduling import BookingDetails

    first = datetime(2030, 3, 4, 18, 0, tzinfo=UTC)  # Monday 10:00 in Tijuana, 13:00 in New York
    details = BookingDetails(client=acme.client, service=acme.service, staff=acme.staff, starts_at=first)
    repeat = series_service.rules.Repeat(interval_weeks=1, weekdays=(0,), count=3)
    booked = series_service.book_series(
        acme.org, details, series_service.plan_series(acme.org, details, repeat)
    )
    db.session.commit()
    row = db.session.scalar(
        db.select(OutboxEmail).where(OutboxEmail.kind == EmailKind.SERIES_CONFIRMATION).limit(1)
    )
    composed = compose(row)
    assert composed.subject.startswith(
        "Confirmadas: Consultation, 3 fechas desde el lun 4 mar 2030, 13:00 (hora de Estados Unidos"
    )
    # 10:00 in Tijuana every Monday, across both zones' change to summer time on 10 March: 13:00 in New York.
    assert "lunes, 11 de marzo de 2030, 13:00–14:00 (hora de Estados Unidos (Nueva York))" in composed.text
    for part in (composed.subject, composed.text, readable_text(composed.html)):
        assert not english_left(part), english_left(part)
    _check_pages(as_user(acme.admin), [f"/calendar/appointments/{booked[0].id}?date=2030-03-04"], spanish)
    drawer = as_user(acme.admin).get(f"/calendar/appointments/{booked[0].id}").get_data(as_text=True)
    assert "Cada semana los lunes" in drawer


def test_the_invite_page_speaks_the_invited_clients_language(acme, client) -> None:
    from conecta.auth import links

    acme.other_client.language = "es"
    acme.other_client.password_hash = None
    db.session.commit()
    token = links.make_token(acme.other_client, links.INVITE)
    markup = client.get(f"/portal/invite/{token}").get_data(as_text=True)
    assert '<html lang="es">' in markup and "contraseña" in markup
    assert not english_left(readable_text(markup))


def test_form_errors_are_in_the_readers_language(spanish, acme, as_user) -> None:
    http = as_user(acme.admin)
    client_form = http.post("/clients/new", data={"name": "", "email": "bad", "phone": "", "notes": ""})
    booking_form = http.post("/bookings/new", data={"client_id": "x", "date": "", "time": "99:99"})
    for answer in (client_form, booking_form):
        assert answer.status_code == 422
        assert not english_left(readable_text(answer.get_data(as_text=True)))
    # WTForms' own messages come from its Spanish catalog (Flask-WTF's i18n), ours from ours.
    assert "Este campo es obligatorio." in client_form.get_data(as_text=True)
    assert "Elige un cliente." in booking_form.get_data(as_text=True)


@pytest.mark.parametrize("state", ["ready", "pending", "failed", "vanished", "drifted", "none"])
def test_a_connected_organizations_zoom_pages_and_panels_are_in_spanish(
    spanish, acme, as_user, state
) -> None:
    """Settings → Integrations connected for the whole account (the card, the hosts table, the activity)
    and the drawer's Zoom panel in each state, as a Spanish admin."""
    from conecta.audit import record
    from conecta.models.types import utcnow
    from conecta.models.zoom import ZoomConnection
    from conecta.models.zoom_host import ZoomAccountUser
    from conecta.zoom.hosts import ACCOUNT_SCOPES

    db.session.add_all(
        [
            ZoomConnection(
                org_id=acme.org.id, zoom_user_id="u-admin", zoom_email="host@example.com", mode="account",
                scopes=" ".join(ACCOUNT_SCOPES), access_token="a", refresh_token="r",
                access_token_expires_at=utcnow() + timedelta(hours=1), connected_by_id=acme.admin.id,
            ),
            ZoomAccountUser(org_id=acme.org.id, zoom_user_id="u-staff", email=acme.staff.email),
        ]
    )  # fmt: skip
    record(acme.org.id, "connected", "host@example.com", actor=acme.admin)
    meeting = {
        "join_url": "https://zoom.test/j/1",
        "meeting_id": "123456789",
        "host_email": "host@example.com",
    }
    if state == "none":
        with_zoom(spanish, state="none", wanted=False)
    else:
        with_zoom(spanish, state=state, wanted=True, **meeting)
    if state == "drifted":
        spanish.zoom.synced_start_at, spanish.zoom.synced_duration = MONDAY + timedelta(hours=1), 60
    db.session.commit()
    pages = ["/settings/integrations", "/calendar/appointments/{id}?date=2030-01-07", "/bookings/{id}"]
    _check_pages(as_user(acme.admin), pages, spanish)
    integrations = as_user(acme.admin).get("/settings/integrations").get_data(as_text=True)
    assert "Anfitriones de Zoom" in integrations and "Zoom conectado" in integrations
    drawer = as_user(acme.admin).get(f"/calendar/appointments/{spanish.id}").get_data(as_text=True)
    headline = {
        "ready": "Reunión de Zoom lista",
        "pending": "Actualizando la reunión de Zoom…",  # it has a meeting already: an update is under way
        "failed": "La reunión de Zoom falló",
        "vanished": "La reunión se eliminó en Zoom",
        "drifted": "La reunión se modificó en Zoom",
        "none": "Sin reunión de Zoom",
    }[state]
    assert headline in drawer
