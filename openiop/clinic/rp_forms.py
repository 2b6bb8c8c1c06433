"""Forms for the relapse-prevention plan screens in the clinic.

One small form per kind of item (a trigger, a warning sign, a coping strategy, a high-risk
situation, a support person, a crisis contact): each POST sends one of them. The forms shape
what was typed for `openiop.plans.services.save_item`; the rules (a high-risk situation needs
its plan, a support person needs a name) stay in the service, so its errors are put back on
the form with `add_service_errors`.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q

from openiop.clinic.assessment_forms import ErrorSummaryMixin
from openiop.plans.models import CopingStrategy, RPItemKind, TriggerCategory
from openiop.programs.models import CurriculumModule


def _text(label, *, required=False, rows=2, help_text="", message=""):
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": message or f"Fill in “{label}”."},
    )


def coping_library(organization_id):
    """The built-in strategies and the organization's own, active ones only."""
    return CopingStrategy.objects.filter(Q(organization__isnull=True) | Q(organization_id=organization_id),
                                         active=True).order_by("name")


class RPItemForm(ErrorSummaryMixin, forms.Form):
    """Base: `kind` is the RPItem kind the form adds; the prefix keeps each form's ids apart."""

    kind = ""
    section = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.kind)
        super().__init__(*args, **kwargs)

    def field_context(self, name) -> str:
        return f"{self.section}: "

    def item_fields(self) -> dict:
        """The RPItem fields to save, from the cleaned data."""
        data = dict(self.cleaned_data)
        return {name: value if value is not None else "" for name, value in data.items()}


class TriggerForm(RPItemForm):
    kind = RPItemKind.TRIGGER
    section = "Triggers"

    text = _text("Trigger", required=True, help_text="In the patient's words, e.g. “payday Fridays”.",
                 message="Write the trigger.")
    category = forms.ChoiceField(label="Kind of trigger", required=False,
                                 choices=[("", "Not sorted"), *TriggerCategory.choices])
    goal_key = forms.ChoiceField(label="Treatment-plan goal it relates to", required=False,
                                 help_text="Goals of the current signed treatment plan.")
    curriculum_module = forms.ModelChoiceField(label="Curriculum module that works on it", required=False,
                                               queryset=CurriculumModule.objects.none(), empty_label="None")

    def __init__(self, *args, goals=(), organization_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal_key"].choices = [("", "None"), *[(goal.key, str(goal)[:120]) for goal in goals]]
        self.fields["curriculum_module"].queryset = CurriculumModule.objects.filter(
            organization_id=organization_id, active=True)

    def item_fields(self) -> dict:
        data = self.cleaned_data
        return {"text": data["text"], "category": data["category"] or "", "goal_key": data["goal_key"] or "",
                "curriculum_module": data["curriculum_module"]}


class WarningSignForm(RPItemForm):
    kind = RPItemKind.WARNING_SIGN
    section = "Early warning signs"

    text = _text("Warning sign", required=True, help_text="e.g. “skipping meals, not answering my sponsor”.",
                 message="Write the warning sign.")


class CopingForm(RPItemForm):
    kind = RPItemKind.COPING
    section = "Coping strategies"

    coping_strategy = forms.ModelChoiceField(label="From the library", required=False,
                                             queryset=CopingStrategy.objects.none(), empty_label="None: I'll write one")
    text = _text("Or in the patient's words", help_text="How the patient will use it, or a strategy of their own.")

    def __init__(self, *args, organization_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coping_strategy"].queryset = coping_library(organization_id)

    def item_fields(self) -> dict:
        strategy = self.cleaned_data["coping_strategy"]
        text = self.cleaned_data["text"].strip()
        # The model needs text; a library choice without the patient's words reads as its name.
        if not text and strategy is not None:
            text = strategy.name
        return {"coping_strategy": strategy, "text": text}


class HighRiskForm(RPItemForm):
    kind = RPItemKind.HIGH_RISK
    section = "High-risk situations"

    text = _text("Situation", required=True, help_text="e.g. “my cousin's wedding on 12 December”.",
                 message="Describe the situation.")
    # Required by the service (one rule, one place); the form leaves it to it.
    plan_text = _text("The plan for it", rows=3,
                      help_text="Concrete steps: bring a sober friend, drive myself, leave by 9, call my sponsor.")


class SupportForm(RPItemForm):
    kind = RPItemKind.SUPPORT
    section = "Support network"

    name = forms.CharField(label="Name", required=False, max_length=200)
    relationship = forms.CharField(label="Relationship", required=False, max_length=100,
                                   help_text="e.g. sponsor, sister, friend from group.")
    phone = forms.CharField(label="Phone", required=False, max_length=30,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    text = _text("How they help", help_text="Optional, e.g. “call when cravings hit after work”.")
    patient_allows_sharing = forms.BooleanField(
        label="The patient allows sharing this on printed copies", required=False)

    def item_fields(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"].strip(), "relationship": data["relationship"].strip(),
                "phone": data["phone"].strip(), "patient_allows_sharing": data["patient_allows_sharing"],
                # The model needs text; the relationship (or name) stands in when nothing is said.
                "text": data["text"].strip() or data["relationship"].strip() or data["name"].strip()}


class CrisisContactForm(RPItemForm):
    kind = RPItemKind.CRISIS_CONTACT
    section = "Crisis contacts"

    name = forms.CharField(label="Service or person", required=False, max_length=200,
                           help_text="e.g. the county crisis line.")
    phone = forms.CharField(label="Phone", required=False, max_length=30,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    text = _text("When to call", help_text="e.g. “24 hours; mobile crisis team can come to the house”.")

    def item_fields(self) -> dict:
        data = self.cleaned_data
        name = data["name"].strip()
        return {"name": name, "phone": data["phone"].strip(), "text": data["text"].strip() or name,
                "patient_allows_sharing": True}


ITEM_FORMS = {form.kind: form for form in (TriggerForm, WarningSignForm, CopingForm, HighRiskForm, SupportForm,
                                          CrisisContactForm)}


class ReasonsForm(ErrorSummaryMixin, forms.Form):
    reasons_for_recovery = _text("Reasons for recovery, in the patient's words", rows=4,
                                 help_text="What recovery is for: people, plans, how they want to feel.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "reasons")
        super().__init__(*args, **kwargs)


class NewVersionForm(ErrorSummaryMixin, forms.Form):
    change_reason = _text("Why the plan is changing", required=True,
                          help_text="e.g. “New triggers after the move; new sponsor”.",
                          message="Say why the plan is changing.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "revision")
        super().__init__(*args, **kwargs)


class DiscussForm(ErrorSummaryMixin, forms.Form):
    response = _text("Note for the patient", required=True, rows=2,
                     help_text="What you would like to talk through together, in plain words.",
                     message="Write a short note for the patient about what to talk through.")


class CopingStrategyForm(ErrorSummaryMixin, forms.Form):
    name = forms.CharField(label="Name", max_length=120,
                           error_messages={"required": "Give the strategy a name."})
    description = _text("Description", help_text="How to use it, in a sentence or two.")
