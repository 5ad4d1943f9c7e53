"""Cancel in the portal: GET asks first (the client may write a message to the clinic), POST cancels.

After the cutoff the page says why not and offers no Cancel; a POST sent anyway (a stale page, a forged
request) is refused with the same words, status 422, nothing changed. The rule: `conecta.portal.cancellation`.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import Length

from conecta.auth.permissions import client_required
from conecta.bookings.access import get_appointment_for
from conecta.forms import Form
from conecta.portal import bp, cancellation
from conecta.portal.views import booking_context
from conecta.validators import plain_text


class CancelForm(Form):
    message = TextAreaField(
        lazy_gettext("Message to the clinic (optional)"),
        validators=[
            Length(
                max=cancellation.MAX_MESSAGE_LENGTH,
                message=lazy_gettext("Keep the message under 2,000 characters."),
            ),
            plain_text,
        ],
    )


def _refused(appointment, why: str, status: int):
    """The booking page, saying why it cannot be cancelled here (422 for a POST that tried)."""
    context = booking_context(appointment)
    context["refusal"] = why
    context["refused_now"] = status == 422
    return render_template("portal/booking.html", **context), status


@bp.route("/bookings/<int:appointment_id>/cancel", methods=["GET", "POST"], endpoint="cancel_booking")
@client_required
def cancel_booking(appointment_id: int):
    appointment = get_appointment_for(current_user, appointment_id)
    posted = request.method == "POST"
    why = cancellation.refusal(appointment)
    if why is not None:
        return _refused(appointment, why, 422 if posted else 200)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            cancellation.cancel(appointment, form.message.data)
        except cancellation.CancelRefused as exc:
            return _refused(appointment, str(exc), 422)
        flash(
            gettext(
                "Your booking is cancelled. %(clinic)s has been told, and you will get an email.",
                clinic=appointment.org.name,
            )
        )
        return redirect(url_for("portal.booking", appointment_id=appointment.id), code=303)
    context = booking_context(appointment)
    return render_template("portal/cancel.html", form=form, **context), 422 if posted else 200
