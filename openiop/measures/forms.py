"""The questionnaire form: one Instrument's questions as radio groups.

The same form is used wherever answers are given (the patient portal, the clinic tablet and
staff typing in a paper form), so a question looks and validates the same everywhere. Every
field is optional at the form level: a patient may save part of a questionnaire and finish
later. Whether the answers are complete is decided by the measures core
(`scoring.clean_answers`), whose `AnswerError` is mapped back onto the fields here.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.text import Truncator

from openiop.measures.instruments import Instrument, normalize_code

FIELD_PREFIX = "q"

# What a patient reads instead of an instrument's formal title. Imported instruments keep
# their own title.
PLAIN_NAMES = {
    "PHQ9": "Mood check-in",
    "PHQ2": "Short mood check-in",
    "GAD7": "Worry and anxiety check-in",
    "GAD2": "Short worry and anxiety check-in",
    "AUDITC": "Alcohol check-in",
    "CRAVING": "Craving check-in",
    "PCL5": "Check-in about a stressful experience",
}


def plain_name(instrument: Instrument) -> str:
    """'Mood check-in (PHQ-9)': what the check-in is about, then the name a clinician uses."""
    plain = PLAIN_NAMES.get(normalize_code(instrument.code))
    if plain is None:
        return instrument.title
    if normalize_code(instrument.code) == "CRAVING":
        return plain
    return f"{plain} ({instrument.code})"


def field_name(link_id: str) -> str:
    return f"{FIELD_PREFIX}{link_id}"


class AnswersForm(forms.Form):
    """One fieldset of radio buttons per question; values are the option values (scores)."""

    def __init__(self, *args, instrument: Instrument, saved: dict | None = None, **kwargs):
        self.instrument = instrument
        if saved and "initial" not in kwargs:
            kwargs["initial"] = {field_name(link_id): str(value) for link_id, value in saved.items()}
        super().__init__(*args, **kwargs)
        for number, item in enumerate(instrument.items, start=1):
            self.fields[field_name(item.link_id)] = forms.ChoiceField(
                label=f"{number}. {item.text}",
                choices=[(str(option.value), option.label) for option in item.options],
                widget=forms.RadioSelect,
                required=False,
                error_messages={"invalid_choice": f"Question {number}: choose one of the answers shown."},
            )
        self.numbers = {item.link_id: number for number, item in enumerate(instrument.items, start=1)}

    @classmethod
    def with_saved(cls, posted, *, instrument: Instrument, saved: dict):
        """A bound form of what was just posted, with earlier saved answers filling any gap,
        so a re-shown form never loses an answer."""
        data = {field_name(link_id): str(value) for link_id, value in (saved or {}).items()}
        for name in (field_name(item.link_id) for item in instrument.items):
            if posted.get(name):
                data[name] = posted.get(name)
        for key in posted:
            data.setdefault(key, posted.get(key))
        return cls(data, instrument=instrument)

    def answers(self) -> dict[str, str]:
        """{linkId: value} of the questions answered (call after is_valid())."""
        return {
            item.link_id: self.cleaned_data[field_name(item.link_id)]
            for item in self.instrument.items
            if self.cleaned_data.get(field_name(item.link_id))
        }

    def add_answer_errors(self, errors: dict[str, str]) -> None:
        """Put the core's AnswerError messages ({linkId: message}) on the matching questions."""
        for link_id, message in errors.items():
            name = field_name(link_id)
            self.add_error(name if name in self.fields else None, message)

    def error_summary(self) -> list[tuple[str, str]]:
        """[(anchor, message)] naming each question that needs an answer, in page order."""
        items = [("", message) for message in self.non_field_errors()]
        for item in self.instrument.items:
            name = field_name(item.link_id)
            if name in self.errors:
                anchor = f"{self[name].auto_id}_0"
                for message in self.errors[name]:
                    items.append((anchor, f"{message} “{Truncator(item.text).words(8)}”"))
        return items

    def question_fields(self):
        return [self[field_name(item.link_id)] for item in self.instrument.items]


class AnsweredOnForm(forms.Form):
    """When a paper form was filled in. Not in the future; answers describe a day that happened."""

    answered_on = forms.DateField(
        label="Date the form was filled in",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The date written on the paper form, or the day the patient filled it in.",
        error_messages={"required": "Enter the date the form was filled in.",
                        "invalid": "Enter the date the form was filled in as YYYY-MM-DD."},
    )

    def clean_answered_on(self) -> dt.date:
        answered_on = self.cleaned_data["answered_on"]
        if answered_on > timezone.localdate():
            raise forms.ValidationError("The date the form was filled in cannot be in the future.")
        return answered_on

    def error_summary(self) -> list[tuple[str, str]]:
        items = [("", message) for message in self.non_field_errors()]
        for name in self.fields:
            if name in self.errors:
                items.extend((self[name].auto_id, message) for message in self.errors[name])
        return items


class InstrumentChoiceForm(forms.Form):
    """Which questionnaire a paper form is (the first step of entering one)."""

    instrument = forms.ChoiceField(
        label="Questionnaire",
        error_messages={"required": "Choose the questionnaire on the paper form.",
                        "invalid_choice": "Choose one of the questionnaires in the list."},
    )

    def __init__(self, *args, instruments: dict[str, Instrument], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [("", "Choose…")] + [
            (code, f"{instrument.title}") for code, instrument in instruments.items()
        ]

    def error_summary(self) -> list[tuple[str, str]]:
        return [(self["instrument"].auto_id, message) for message in self.errors.get("instrument", [])]
