"""Client emails: Settings → Emails (admins), the "send by email" actions (staff and admins of the
organization) and, in development, the Dev mailbox (staff and admins)."""

from conecta.config import Config
from tests.authz import ADMIN_PAGE, STAFF_PAGE, Route, expect

STAFF_ACTION_ON_ACME = expect(302, 403, 403, 303, 303, 404)
NO_SUCH_MESSAGE = "20300101T000000000000Z-00000000000000000000000000000000.eml"


def _failed_email(w) -> dict:
    """A failed outbox row of acme's appointment (an admin's Retry re-queues it)."""
    from conecta.extensions import db
    from conecta.models.email import OutboxEmail

    row = OutboxEmail(
        org_id=w.acme.org.id,
        appointment_id=w.appointment.id,
        client_id=w.acme.client.id,
        kind="confirmation",
        to_address=w.acme.client.email,
        subject="Confirmed",
        status="failed",
        attempts=3,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
        dedupe_key=f"appointment:{w.appointment.id}:0",
        ics_sequence=0,
        message_id="<authz@conecta.test>",
    )
    db.session.add(row)
    db.session.commit()
    return {"email_id": row.id}


ROUTES = [
    Route("settings.emails", ADMIN_PAGE),
    Route("settings.retry_email", expect(302, 403, 403, 403, 303, 404), method="POST", params=_failed_email),
    Route(
        "mail.resend_details",
        STAFF_ACTION_ON_ACME,
        method="POST",
        params=lambda w: {"appointment_id": w.appointment.id},
    ),
    Route(
        "mail.send_invite",
        STAFF_ACTION_ON_ACME,
        method="POST",
        params=lambda w: {"client_id": w.acme.client.id},
    ),
]

# The Dev mailbox exists only in development (the default CONECTA_ENV, as in these tests).
if Config().ENV_NAME == "development":
    ROUTES += [
        Route("dev.mailbox", STAFF_PAGE),
        Route(
            "dev.message", expect(302, 403, 403, 404, 404, 404), params=lambda w: {"name": NO_SUCH_MESSAGE}
        ),
        Route(
            "dev.message_html",
            expect(302, 403, 403, 404, 404, 404),
            params=lambda w: {"name": NO_SUCH_MESSAGE},
        ),
        Route(
            "dev.attachment",
            expect(302, 403, 403, 404, 404, 404),
            params=lambda w: {"name": NO_SUCH_MESSAGE, "index": 0},
        ),
    ]
