"""Forms for the clinic's treatment-plan screens.

The forms collect what was typed and shape it for `openiop.plans.services`; the rules (a
target date on every objective, a reason for hours outside the program's band, what a plan
needs before signing) live in the services.

Choices of related rows (diagnoses, problems, goals, staff) are worked out once per page by
`EditorChoices` and handed to every form, so an editor with many items costs no extra queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms

from openiop.clinic.assessment_forms import ErrorSummaryMixin
from openiop.plans.models import (
    ASAM_DIMENSION_CHOICES,
    Modality,
    ProgressStatus,
    ReviewReason,
    Service,
)

EVERY_WEEKS_CHOICES = [
    ("1", "Every week"), ("2", "Every other week"), ("3", "Every 3 weeks"), ("4", "About monthly (every 4 weeks)"),
    ("6", "Every 6 weeks"), ("8", "Every 8 weeks"),
]


@dataclass
class EditorChoices:
    """The related rows a draft's forms choose from, each as {str(pk): object}."""

    diagnoses: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)
    goals: dict = field(default_factory=dict)
    staff: dict = field(default_factory=dict)


def goal_label(goal) -> str:
    # The clinical wording first: several goals in the patient's own words can read alike.
    return f"{goal.clinical_text} (“{goal.patient_words}”)" if goal.patient_words else goal.clinical_text


def _choices(objects: dict, *, empty: str, describe=str) -> list[tuple[str, str]]:
    return [("", empty), *((key, _short(describe(obj))) for key, obj in objects.items())]


def _short(text: str, length: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"


class PlanItemForm(ErrorSummaryMixin, forms.Form):
    """One piece of a draft. `part` is the service's name for it; `links` are the fields that
    name another row, turned from the chosen id into the object for the service."""

    part = ""
    links: dict[str, str] = {}

    def __init__(self, *args, choices: EditorChoices, item=None, **kwargs):
        self.item = item
        self.editor_choices = choices
        kwargs.setdefault("prefix", f"{self.part}-{item.pk if item is not None else 'new'}")
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(item)
        super().__init__(*args, **kwargs)

    def initial_from(self, item) -> dict:
        initial = {}
        for name in self.base_fields:
            if name in self.links:
                linked = getattr(item, f"{name}_id")
                initial[name] = str(linked) if linked else ""
            else:
                value = getattr(item, name)
                initial[name] = str(value) if name == "every_weeks" else value
        return initial

    def service_fields(self) -> dict:
        """What the service's save_item receives: the cleaned data with linked rows as objects."""
        values = dict(self.cleaned_data)
        for name, source in self.links.items():
            values[name] = getattr(self.editor_choices, source).get(values.get(name) or "")
        return values


class ProblemForm(PlanItemForm):
    part = "problem"
    links = {"diagnosis": "diagnoses"}

    statement = forms.CharField(
        label="Problem", widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the assessment found that treatment addresses, e.g. “Daily drinking; two failed quit attempts”.",
        error_messages={"required": "Describe the problem."},
    )
    diagnosis = forms.ChoiceField(label="Diagnosis of this episode", required=False)
    asam_dimension = forms.ChoiceField(
        label="ASAM dimension", required=False, choices=[("", "None"), *ASAM_DIMENSION_CHOICES])
    finding = forms.CharField(label="Assessment finding", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diagnosis"].choices = _choices(self.editor_choices.diagnoses, empty="No diagnosis linked",
                                                    describe=lambda d: f"{d.icd10_code} {d.description}")


class GoalForm(PlanItemForm):
    part = "goal"
    links = {"problem": "problems"}

    problem = forms.ChoiceField(label="Problem it addresses", required=False)
    clinical_text = forms.CharField(
        label="Goal (clinical terms)", widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write the goal in clinical terms."},
    )
    patient_words = forms.CharField(
        label="Goal in the patient's own words", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the patient said they want, e.g. “I want to keep my job and see my kids on weekends”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem"].choices = _choices(self.editor_choices.problems, empty="Not linked to a problem")


class ObjectiveForm(PlanItemForm):
    part = "objective"
    links = {"goal": "goals"}

    goal = forms.ChoiceField(label="Goal", error_messages={"required": "Choose the goal this objective measures."})
    text = forms.CharField(
        label="Measurable objective", widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Something you can check, e.g. “Attend 90% of scheduled groups for 4 weeks”.",
        error_messages={"required": "Write the objective so it can be measured."},
    )
    target_date = forms.DateField(
        label="Target date", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the target date by which the objective should be met.",
                        "invalid": "Enter the target date as a date, e.g. 2026-12-15."},
    )
    measure_code = forms.CharField(
        label="Measure (optional)", required=False, max_length=40, help_text="e.g. PHQ-9")
    measure_target = forms.IntegerField(
        label="Measure target (optional)", required=False, help_text="e.g. 9 for “PHQ-9 below 10”",
        error_messages={"invalid": "Enter the target score as a whole number."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].choices = _choices(self.editor_choices.goals, empty="Choose…", describe=goal_label)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("measure_target") is not None and not (cleaned.get("measure_code") or "").strip():
            self.add_error("measure_code", "Name the measure the target score is for, e.g. PHQ-9.")
        return cleaned


class InterventionForm(PlanItemForm):
    part = "intervention"
    links = {"goal": "goals", "responsible": "staff"}

    goal = forms.ChoiceField(label="Goal", required=False)
    modality = forms.ChoiceField(
        label="Modality", choices=[("", "Choose…"), *Modality.choices],
        error_messages={"required": "Choose the modality (e.g. CBT, motivational interviewing)."},
    )
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    frequency = forms.CharField(
        label="Frequency", max_length=100, help_text="e.g. 3 groups a week",
        error_messages={"required": "Say how often, e.g. 3 groups a week."},
    )
    responsible = forms.ChoiceField(
        label="Responsible staff", error_messages={"required": "Choose who is responsible for this intervention."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].choices = _choices(self.editor_choices.goals, empty="Not linked to a goal",
                                               describe=goal_label)
        self.fields["responsible"].choices = _choices(
            self.editor_choices.staff, empty="Choose…",
            describe=lambda u: f"{u.display_name} ({u.get_role_display()})")


class ServiceLineForm(PlanItemForm):
    part = "service_line"

    service = forms.ChoiceField(
        label="Service", choices=[("", "Choose…"), *Service.choices],
        error_messages={"required": "Choose the service."},
    )
    sessions = forms.IntegerField(
        label="Sessions", min_value=1, max_value=14, initial=1,
        error_messages={"required": "Enter how many sessions.", "invalid": "Enter a whole number of sessions.",
                        "min_value": "Enter at least 1 session.", "max_value": "Enter at most 14 sessions."},
    )
    minutes = forms.IntegerField(
        label="Minutes each", min_value=5, max_value=600,
        error_messages={"required": "Enter how long each session is, in minutes.",
                        "invalid": "Enter the minutes as a whole number.",
                        "min_value": "Enter at least 5 minutes.", "max_value": "Enter at most 600 minutes."},
    )
    every_weeks = forms.TypedChoiceField(
        label="How often", choices=EVERY_WEEKS_CHOICES, coerce=int, initial="1",
        error_messages={"required": "Choose how often."},
    )


ITEM_FORMS = {form.part: form for form in (ProblemForm, GoalForm, ObjectiveForm, InterventionForm, ServiceLineForm)}


class DraftDetailsForm(ErrorSummaryMixin, forms.Form):
    """The draft's own fields: why this version exists, and why its hours are outside the band."""

    change_reason = forms.CharField(
        label="Why this version", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. “Review of 3 Nov: stepping down to two group blocks”.",
    )
    hours_override_reason = forms.CharField(
        label="Clinical reason for hours outside the program's band", required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only when the weekly hours are outside the band, e.g. “Works two jobs; stepping up in 2 weeks”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="draft", **kwargs)


class NewVersionForm(ErrorSummaryMixin, forms.Form):
    reason = forms.CharField(
        label="Why is the plan changing?", widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. “Stepping down to two group blocks after good progress”.",
        error_messages={"required": "Say why the plan is changing."},
    )


class PatientSignatureForm(ErrorSummaryMixin, forms.Form):
    typed_name = forms.CharField(
        label="Type your name", max_length=200,
        error_messages={"required": "Type your name to sign."},
    )


# Reviews ------------------------------------------------------------------------------------------


class ReviewForm(ErrorSummaryMixin, forms.Form):
    reviewed_on = forms.DateField(
        label="Reviewed on", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the date of the review.",
                        "invalid": "Enter the review date as a date, e.g. 2026-11-29."},
    )
    reason = forms.ChoiceField(label="Reason for the review", choices=ReviewReason.choices)
    summary = forms.CharField(
        label="Summary", widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Progress, barriers and what changes.",
        error_messages={"required": "Summarise the review: progress, barriers and what changes."},
    )
    relapse_prevention_reviewed = forms.BooleanField(label="Relapse-prevention plan reviewed too", required=False)
    revise = forms.BooleanField(label="Change the plan (e.g. step down)", required=False,
                                help_text="Starts a new draft of the plan for you to edit and sign.")
    revision_reason = forms.CharField(
        label="What the change is", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. “Stepping down to two group blocks a week”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="review", **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("revise") and not (cleaned.get("revision_reason") or "").strip():
            self.add_error("revision_reason", "Say what the revision changes (e.g. stepping down to two group blocks).")
        return cleaned


class ObjectiveProgressForm(ErrorSummaryMixin, forms.Form):
    status = forms.ChoiceField(
        label="Progress", choices=ProgressStatus.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose met, progressing, not progressing or revised."},
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, objective, **kwargs):
        self.objective = objective
        super().__init__(*args, prefix=f"objective-{objective.pk}", **kwargs)

    def field_context(self, name) -> str:
        return f"Objective “{_short(self.objective.text, 50)}”, "
