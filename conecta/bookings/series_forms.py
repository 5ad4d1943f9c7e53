"""The booking modal's series fields: Repeat (on a new booking) and the scope of an edit or a
cancellation (on an occurrence of a series). Only the shape of the input is checked here; the series
rules (`conecta.scheduling.series`) decide the rest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
)
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from conecta.bookings.forms import BookingForm
from conecta.scheduling.series import MAX_INTERVAL_WEEKS, MAX_OCCURRENCES, Repeat

WEEKDAY_CHOICES = [
    SelectChoice(0, _l("Mon")),
    SelectChoice(1, _l("Tue")),
    SelectChoice(2, _l("Wed")),
    SelectChoice(3, _l("Thu")),
    SelectChoice(4, _l("Fri")),
    SelectChoice(5, _l("Sat")),
    SelectChoice(6, _l("Sun")),
]


def scope_choices() -> list[SelectChoice]:
    return [
        SelectChoice("this", _l("Only this one")),
        SelectChoice("following", _l("This one and the following ones")),
        SelectChoice("all", _l("The whole series (upcoming ones)")),
    ]


class NewBookingForm(BookingForm):
    """A new booking, optionally repeating weekly."""

    repeat = BooleanField(_l("Repeat weekly"))
    repeat_interval = IntegerField(
        _l("Every how many weeks"),
        default=1,
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_INTERVAL_WEEKS, message=_l("From 1 to 12 weeks.")),
        ],
    )
    repeat_weekdays = SelectMultipleField(
        _l("On"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    repeat_end = RadioField(
        _l("Ends"),
        choices=[
            SelectChoice("count", _l("After a count")),
            SelectChoice("until", _l("On a last day")),
        ],
        default="count",
    )
    repeat_count = IntegerField(
        _l("Occurrences"),
        default=4,
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_OCCURRENCES, message=_l("From 1 to 52 occurrences.")),
        ],
    )
    repeat_until = DateField(_l("Until (last day)"), validators=[Optional()])
    # Set by the conflicts step: "skip" books the free dates; "back" returns to the form.
    series_step = HiddenField()

    def repeat_rule(self) -> Repeat:
        """The Repeat as the series rules take it (the booking's own weekday when none is ticked)."""
        weekdays = tuple(self.repeat_weekdays.data or ()) or (
            (self.date.data.weekday(),) if self.date.data else ()
        )
        by_count = self.repeat_end.data != "until"
        return Repeat(
            interval_weeks=self.repeat_interval.data or 1,
            weekdays=weekdays,
            count=(self.repeat_count.data or 0) if by_count else None,
            until=None if by_count else self.repeat_until.data,
        )


class SeriesEditForm(BookingForm):
    """An edit of one occurrence of a series, with its scope."""

    scope = RadioField(_l("Apply to"), choices=scope_choices(), default="this")
