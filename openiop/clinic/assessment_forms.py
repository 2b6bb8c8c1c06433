"""Forms for the clinician's screening and level-of-care assessment of a referral.

The forms only collect what was typed and shape it for the services; the rules (safety alerts,
rating ranges, variance reasons, escalations) live in `openiop.intake.services`.
"""

import re

from django import forms

from openiop.intake.enums import WithdrawalRisk, YesNo
from openiop.intake.levels import FRAMEWORKS, Framework
from openiop.intake.models import Screening

SUBSTANCE_ROWS = 4
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ROUTE_CHOICES = [
    ("", "Choose…"),
    ("oral", "By mouth (swallowed or drunk)"),
    ("smoked", "Smoked"),
    ("vaped", "Vaped or inhaled"),
    ("intranasal", "Snorted (nose)"),
    ("injected", "Injected"),
    ("other", "Other"),
]


class ErrorSummaryMixin:
    """`error_summary`: (anchor id, message) for every error, in the order of the fields."""

    # Errors about a group of inputs (not one field) point at the group's anchor.
    group_anchors: dict = {}

    @property
    def error_summary(self):
        items = []
        for message in self.non_field_errors():
            items.append((self.group_anchor_for(message), message))
        for name, field in self.fields.items():
            for message in self.errors.get(name, []):
                bound = self[name]
                anchor = f"{bound.auto_id}_0" if bound.use_fieldset else bound.auto_id
                label = field.label or name
                items.append((anchor, f"{self.field_context(name)}{label}: {message}"))
        return items

    def group_anchor_for(self, message) -> str:
        return ""

    def field_context(self, name) -> str:
        return ""


def _text(label, *, required=False, rows=3, help_text=""):
    return forms.CharField(
        label=label, required=required, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _yes_no(field_name):
    return forms.ChoiceField(
        label=Screening._meta.get_field(field_name).verbose_name,
        choices=YesNo.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose yes, no or did not answer."},
    )


class ScreeningForm(ErrorSummaryMixin, forms.Form):
    presenting_problems = _text(
        "What brings the person in now?", required=True, rows=4,
        help_text="Presenting problems, in the person's words where you can.",
    )
    withdrawal_risk = forms.ChoiceField(
        label="Withdrawal risk", choices=WithdrawalRisk.choices, widget=forms.RadioSelect,
        initial=WithdrawalRisk.NONE,
    )
    medical_history = _text("Medical history")
    psychiatric_history = _text("Psychiatric history")
    current_medications = _text("Current medications")
    current_treatment = _text("Current treatment", help_text="Therapist, prescriber, programs, support groups.")
    suicidal_thoughts = _yes_no("suicidal_thoughts")
    suicide_plan_or_intent = _yes_no("suicide_plan_or_intent")
    recent_suicide_attempt = _yes_no("recent_suicide_attempt")
    violence_risk = _yes_no("violence_risk")
    safety_notes = _text("Safety notes", help_text="What the person said, and what you did about it.")
    social_situation = _text("Social situation", help_text="Housing, work or school, legal matters.")
    support_at_home = _text("Support at home")
    transportation = _text("Transportation", rows=2, help_text="How the person would get to the program.")

    SAFETY_FIELDS = Screening.SAFETY_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for row in range(SUBSTANCE_ROWS):
            self.fields[f"substance_{row}"] = forms.CharField(label="Substance", required=False, max_length=100)
            self.fields[f"route_{row}"] = forms.ChoiceField(label="Route", required=False, choices=ROUTE_CHOICES)
            self.fields[f"frequency_{row}"] = forms.CharField(
                label="How often", required=False, max_length=100,
                widget=forms.TextInput(attrs={"placeholder": "e.g. daily, weekends"}),
            )
            self.fields[f"last_use_{row}"] = forms.CharField(
                label="Last use", required=False, max_length=40,
                widget=forms.TextInput(attrs={"placeholder": "a date, or e.g. 3 days ago"}),
            )
        for day in range(len(DAYS)):
            for end in ("start", "end"):
                self.fields[f"day{day}_{end}"] = forms.TimeField(
                    label="From" if end == "start" else "To", required=False,
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                )

    # Rows for the template: bound fields grouped the way the page shows them.
    def substance_rows(self):
        return [
            {
                "number": row + 1,
                "fields": [self[f"{name}_{row}"] for name in ("substance", "route", "frequency", "last_use")],
            }
            for row in range(SUBSTANCE_ROWS)
        ]

    def availability_rows(self):
        return [
            {"day": name, "start": self[f"day{day}_start"], "end": self[f"day{day}_end"]}
            for day, name in enumerate(DAYS)
        ]

    def field_context(self, name) -> str:
        if match := re.match(r"(substance|route|frequency|last_use)_(\d+)$", name):
            return f"Substance {int(match[2]) + 1}, "
        if match := re.match(r"day(\d)_(start|end)$", name):
            return f"{DAYS[int(match[1])]}, "
        return ""

    def safety_fields(self):
        return [self[name] for name in self.SAFETY_FIELDS]

    def clean(self):
        data = super().clean()
        substances = []
        for row in range(SUBSTANCE_ROWS):
            entry = {
                name: (data.get(f"{name}_{row}") or "").strip()
                for name in ("substance", "route", "frequency", "last_use")
            }
            if not any(entry.values()):
                continue  # an empty row is ignored
            if not entry["substance"]:
                self.add_error(f"substance_{row}", "Name the substance, or clear this row.")
                continue
            substances.append(entry)
        availability = []
        for day in range(len(DAYS)):
            start, end = data.get(f"day{day}_start"), data.get(f"day{day}_end")
            if f"day{day}_start" in self.errors or f"day{day}_end" in self.errors:
                continue
            if start is None and end is None:
                continue
            if start is None or end is None:
                self.add_error(f"day{day}_end" if start else f"day{day}_start",
                               f"Give both times for {DAYS[day]}, or leave both empty.")
                continue
            if end <= start:
                self.add_error(f"day{day}_end", f"On {DAYS[day]} the end time must be after the start time.")
                continue
            availability.append({"day": day, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")})
        data["substance_use"] = substances
        data["weekly_availability"] = availability
        return data

    def answers(self) -> dict:
        """The keyword arguments of intake.services.record_screening."""
        data = self.cleaned_data
        answers = {name: data[name] for name in (
            "presenting_problems", "withdrawal_risk", "medical_history", "psychiatric_history",
            "current_medications", "current_treatment", *self.SAFETY_FIELDS, "safety_notes",
            "social_situation", "support_at_home", "transportation",
        )}
        answers["substance_use"] = data["substance_use"]
        answers["weekly_availability"] = data["weekly_availability"]
        return answers


def availability_text(blocks) -> list[str]:
    """Stored weekly availability as plain lines ("Monday 09:00-12:00")."""
    lines = []
    for block in sorted(blocks, key=lambda b: (int(b["day"]), b["start"])):
        lines.append(f"{DAYS[int(block['day'])]} {block['start']}–{block['end']}")
    return lines


def route_label(code: str) -> str:
    return dict(ROUTE_CHOICES).get(code, code) if code else ""


class FrameworkChoiceForm(forms.Form):
    """The GET form that switches the assessment between frameworks."""

    framework = forms.ChoiceField(
        label="Framework", choices=[(key, spec.name) for key, spec in FRAMEWORKS.items()],
    )


class AssessmentForm(ErrorSummaryMixin, forms.Form):
    """One row per dimension of the chosen framework (rating 0-4 and rationale), or the LOCUS
    composite; the recommended and the decided level; the reason for any variance."""

    framework = forms.ChoiceField(choices=[(key, key) for key in FRAMEWORKS], widget=forms.HiddenInput)
    variance_reason = forms.CharField(
        label="Reason for the difference", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the level decided differs from the level recommended "
                  "(for example the person's choice, availability, or a clinical reason).",
    )
    escalations_reviewed = forms.BooleanField(
        label="I have reviewed the escalations above and made the decision myself", required=False,
    )

    def __init__(self, *args, framework: Framework, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = framework
        self.fields["framework"].initial = framework.key
        rating_range = f"{framework.rating_min} to {framework.rating_max}"
        for dimension in framework.dimensions:
            if dimension.rated:
                self.fields[f"rating_{dimension.key}"] = forms.IntegerField(
                    label=f"Risk rating ({rating_range})", required=False,
                    widget=forms.NumberInput(attrs={
                        "min": framework.rating_min, "max": framework.rating_max, "inputmode": "numeric",
                    }),
                )
            self.fields[f"rationale_{dimension.key}"] = forms.CharField(
                label="Rationale" if dimension.rated else "Considerations",
                required=False, widget=forms.Textarea(attrs={"rows": 3}),
                help_text="History and here-and-now behind the rating." if dimension.rated
                else "Informs the choice of program; this dimension carries no rating.",
            )
        if framework.key == "locus":
            self.fields["locus_composite"] = forms.IntegerField(
                label=f"LOCUS composite score ({rating_range})", required=False,
                help_text="The sum of the seven scale scores, as you determined them.",
                widget=forms.NumberInput(attrs={
                    "min": framework.rating_min, "max": framework.rating_max, "inputmode": "numeric",
                }),
            )
        level_choices = [("", "Choose a level…"), *framework.level_choices]
        self.fields["recommended_level"] = forms.ChoiceField(
            label="Level recommended by your assessment", choices=level_choices, required=False,
        )
        self.fields["actual_level"] = forms.ChoiceField(
            label="Level decided", choices=level_choices, required=False,
            help_text="The level the person will actually receive.",
        )

    def field_context(self, name) -> str:
        for dimension in self.spec.dimensions:
            if name in (f"rating_{dimension.key}", f"rationale_{dimension.key}"):
                return f"Dimension {dimension.name}, "
        return ""

    def dimension_rows(self):
        rows = []
        for dimension in self.spec.dimensions:
            rows.append({
                "dimension": dimension,
                "rating": self[f"rating_{dimension.key}"] if dimension.rated else None,
                "rationale": self[f"rationale_{dimension.key}"],
            })
        return rows

    def ratings(self) -> dict:
        """Ratings as typed (valid integers only), for the service and the escalation preview."""
        data = getattr(self, "cleaned_data", {})
        ratings = {}
        for dimension in self.spec.dimensions:
            ratings[dimension.key] = {
                "rating": data.get(f"rating_{dimension.key}") if dimension.rated else None,
                "rationale": data.get(f"rationale_{dimension.key}", ""),
            }
        return ratings

    def signing_arguments(self) -> dict:
        """The keyword arguments of intake.services.sign_assessment (besides actor and referral)."""
        data = self.cleaned_data
        return {
            "framework": self.spec.key,
            "ratings": self.ratings(),
            "locus_composite": data.get("locus_composite"),
            "recommended_level": data.get("recommended_level", ""),
            "actual_level": data.get("actual_level", ""),
            "variance_reason": data.get("variance_reason", ""),
        }
