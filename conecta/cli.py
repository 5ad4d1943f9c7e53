"""Command-line interface (names are public): create-org, seed-demo, rotate-keys, zoom-status,
mail-catcher."""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    app.cli.add_command(create_org)
    app.cli.add_command(seed_demo)
    app.cli.add_command(rotate_keys)
    app.cli.add_command(zoom_status)
    app.cli.add_command(mail_catcher)


@click.command("create-org")
@click.option("--name", required=True, help="Organization name.")
@click.option("--timezone", "timezone_name", required=True, help="IANA time zone, e.g. America/Tijuana.")
@click.option("--admin-email", required=True)
@click.option("--admin-password", required=True)
@click.option("--admin-name", default="Admin", show_default=True)
def create_org(name: str, timezone_name: str, admin_email: str, admin_password: str, admin_name: str) -> None:
    """Create an organization and its first admin."""
    from conecta.onboarding import OnboardingError, create_organization

    try:
        org, admin = create_organization(name, timezone_name, admin_email, admin_password, admin_name)
    except OnboardingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created organization {org.name!r} (id {org.id}) with admin {admin.email}.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Create the demo organization (admin, two staff, eight clients, three services, two weeks)."""
    from conecta.demo import seed

    logins = seed()
    click.echo("Demo data ready. Sign in with:")
    for role, email, password in logins:
        click.echo(f"  {role:<8} {email:<32} {password}")


@click.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every encrypted column under the newest key of CONECTA_ENCRYPTION_KEYS."""
    from conecta.crypto import EncryptionConfigError, rotate_all

    try:
        count = rotate_all()
    except EncryptionConfigError as exc:  # a key is missing: say which value, change nothing
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Re-encrypted {count} values under the newest key.")


@click.command("mail-catcher")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
def mail_catcher(host: str, port: int) -> None:
    """Catch outgoing mail locally (development): each message becomes an .eml in instance/mailbox/."""
    from flask import current_app

    from conecta.mail.catcher import mailbox_dir, run_catcher

    run_catcher(host, port, mailbox_dir(current_app))


@click.command("zoom-status")
def zoom_status() -> None:
    """Appointments per Zoom state, and the oldest one still waiting for Zoom."""
    from conecta.models.types import utcnow
    from conecta.zoom.sweep import status

    report = status()
    click.echo("Appointments by Zoom state:")
    for state, count in report.counts.items():
        click.echo(f"  {state:<8} {count:>6}")
    click.echo(f"Marked for a sync job: {report.marked}")
    oldest = report.oldest_pending
    if oldest is None:
        click.echo("Oldest pending: none")
        return
    since = oldest.sync_requested_at or oldest.appointment.updated_at
    minutes = (utcnow() - since).total_seconds() / 60
    appointment = oldest.appointment
    line = (
        f"Oldest pending: appointment {appointment.id} (org {appointment.org_id}), waiting {minutes:.1f} min"
    )
    if oldest.retry_at:
        line += f", next try {oldest.retry_at:%Y-%m-%d %H:%M:%S} UTC"
    click.echo(line)
    if oldest.error:
        click.echo(f"  last problem: {oldest.error}")
