"""Forms for the clinic's measure screens.

The forms collect what was typed and shape it for `openiop.measures.services`; the rules
(a reason for every per-patient cadence and every withdrawn entry) live in the services.
"""

from __future__ import annotations

import re

from django import forms

from openiop.clinic.assessment_forms import ErrorSummaryMixin
from openiop.measures.instruments import normalize_code

# A follow-up more than two years after discharge is a typo, not a plan.
MAX_FOLLOW_UP_DAY = 730


def instrument_choices(instruments) -> list[tuple[str, str]]:
    """(code, "PHQ-9: Patient Health Questionnaire-9 …") for a select, in the library's order."""
    return [(code, f"{code}: {instrument.title}") for code, instrument in instruments.items()]


class AddMeasureForm(ErrorSummaryMixin, forms.Form):
    """Ask one instrument outside the schedule (e.g. the PCL-5 when trauma comes up)."""

    instrument = forms.ChoiceField(
        label="Instrument", error_messages={"required": "Choose the instrument to ask."},
    )

    def __init__(self, *args, instruments, **kwargs):
        super().__init__(*args, prefix="add", **kwargs)
        self.fields["instrument"].choices = [("", "Choose…"), *instrument_choices(instruments)]


class CadenceForm(ErrorSummaryMixin, forms.Form):
    """How often this one patient is asked one instrument, with the reason it differs."""

    instrument = forms.ChoiceField(
        label="Instrument", error_messages={"required": "Choose the instrument whose schedule changes."},
    )
    every_days = forms.IntegerField(
        label="Ask every (days)", required=False, min_value=1, max_value=365,
        help_text="For example 3 to ask twice a week. Leave empty to stop routine asking.",
        error_messages={
            "invalid": "Enter a whole number of days, e.g. 7.",
            "min_value": "Enter a number of days from 1 to 365, or leave it empty to stop routine asking.",
            "max_value": "Enter a number of days from 1 to 365, or leave it empty to stop routine asking.",
        },
    )
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this patient's schedule differs from the program's, e.g. “PHQ-9 item 9 answered; "
                  "weekly is not enough for now”.",
        error_messages={"required": "Say why this patient's schedule differs from the program's."},
    )

    def __init__(self, *args, instruments, **kwargs):
        super().__init__(*args, prefix="cadence", **kwargs)
        self.fields["instrument"].choices = [("", "Choose…"), *instrument_choices(instruments)]


class EnteredInErrorForm(ErrorSummaryMixin, forms.Form):
    reason = forms.CharField(
        label="Why is this entry wrong?", widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example “entered on the wrong patient” or “answers misread from the paper form”. "
                  "The entry stays in the record, struck through, with this reason.",
        error_messages={"required": "Say why this entry is wrong."},
    )


# Program schedules -------------------------------------------------------------------------------


def parse_follow_up_days(text: str) -> list[int]:
    """"30, 90" → [30, 90]. Raises ValidationError naming what is wrong."""
    days = []
    for part in re.split(r"[,\s;]+", (text or "").strip()):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_FOLLOW_UP_DAY:
            raise forms.ValidationError(
                f"“{part}” is not a number of days from 1 to {MAX_FOLLOW_UP_DAY}. "
                "Enter days after discharge separated by commas, e.g. 30, 90."
            )
        days.append(int(part))
    return sorted(set(days))


class ScheduleRowForm(ErrorSummaryMixin, forms.Form):
    """One instrument's line of a program's measurement schedule."""

    at_admission = forms.BooleanField(label="At admission", required=False)
    every_days = forms.IntegerField(
        label="Every (days)", required=False, min_value=1, max_value=365,
        error_messages={
            "invalid": "Enter a whole number of days, e.g. 7.",
            "min_value": "Enter a number of days from 1 to 365, or leave it empty for no routine asking.",
            "max_value": "Enter a number of days from 1 to 365, or leave it empty for no routine asking.",
        },
    )
    at_discharge = forms.BooleanField(label="At discharge", required=False)
    follow_up_days = forms.CharField(
        label="Follow-up (days after discharge)", required=False, max_length=100,
        help_text="e.g. 30, 90",
    )
    review_after_weeks = forms.IntegerField(
        label="Review if not improving after (weeks)", min_value=1, max_value=52,
        error_messages={
            "required": "Enter a number of weeks from 1 to 52.",
            "invalid": "Enter a whole number of weeks, e.g. 4.",
            "min_value": "Enter a number of weeks from 1 to 52.",
            "max_value": "Enter a number of weeks from 1 to 52.",
        },
    )
    active = forms.BooleanField(label="Ask this instrument", required=False)

    def __init__(self, *args, instrument, **kwargs):
        self.instrument = instrument
        super().__init__(*args, prefix=f"s-{normalize_code(instrument.code).lower()}", **kwargs)

    def clean_follow_up_days(self):
        return parse_follow_up_days(self.cleaned_data["follow_up_days"])

    def field_context(self, name) -> str:
        return f"{self.instrument.code}, "


def schedule_row_initial(schedule) -> dict:
    """A form's initial values from a MeasureSchedule row or a DefaultSchedule."""
    return {
        "at_admission": schedule.at_admission,
        "every_days": schedule.every_days,
        "at_discharge": schedule.at_discharge,
        "follow_up_days": ", ".join(str(day) for day in schedule.follow_up_days or ()),
        "review_after_weeks": schedule.review_after_weeks,
        "active": getattr(schedule, "active", True),
    }
