"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from conecta import create_app

app = create_app()
