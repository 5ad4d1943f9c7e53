from conecta.extensions import db
from conecta.models import Appointment


def test_app_boots_and_books(acme):
    appt = acme.book()
    assert db.session.get(Appointment, appt.id).starts_at.tzinfo is not None


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data
