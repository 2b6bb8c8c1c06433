"""Forms of the note screens. They collect what was typed and shape it for
`openiop.documentation.services`, where the rules live (name check, objectives, codes)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from openiop.clinic.assessment_forms import ErrorSummaryMixin
from openiop.documentation import rules
from openiop.documentation.models import NoteKind, NoteTemplate

USE_SUGGESTION = "suggested"
NO_CODE = "none"


def _text(label, *, rows=3, required=False, help_text=""):
    return forms.CharField(label=label, required=required, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}))


def _attest_field(text: str):
    return forms.BooleanField(label=f"I attest: {text}", required=False)


def _version_field():
    # What the part held when the page was opened (views.fingerprint): a save over someone
    # else's newer text is refused instead of silently replacing it.
    return forms.CharField(required=False, widget=forms.HiddenInput)


class SharedPartForm(ErrorSummaryMixin, forms.Form):
    version = _version_field()
    topic = forms.CharField(label="Topic", max_length=200, required=False)
    module = forms.ModelChoiceField(label="Curriculum module", queryset=None, required=False,
                                    empty_label="No module")
    interventions = _text("Interventions", help_text="What the facilitators did: modality, skills taught, exercises.")
    summary = _text("Group summary", rows=5,
                    help_text="What the group worked on. Name no member here: each member's part is their own.")

    def __init__(self, *args, modules=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = modules


class MemberPartForm(ErrorSummaryMixin, forms.Form):
    version = _version_field()
    participation = _text("Participation", rows=2)
    mood_affect = _text("Mood and affect", rows=2)
    objectives = forms.MultipleChoiceField(label="Plan objectives worked on", required=False,
                                           widget=forms.CheckboxSelectMultiple)
    progress = _text("Progress on plan objectives", rows=2)
    risk_observed = _text("Risk observed", rows=2, help_text="Write “None observed” when there was none.")
    plan_next = _text("Plan for next session", rows=2)

    def __init__(self, *args, objectives=(), patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["objectives"].choices = [(str(o.pk), o.text) for o in objectives]

    def field_context(self, name) -> str:
        return f"{self.patient.display_name}, " if self.patient is not None else ""

    def has_text(self) -> bool:
        data = self.cleaned_data
        return any((data.get(key) or "").strip() for key in
                   ("participation", "mood_affect", "progress", "risk_observed", "plan_next")) or bool(
            data.get("objectives"))


class AttestForm(ErrorSummaryMixin, forms.Form):
    attest = _attest_field(rules.DEFAULT_ATTESTATION)

    def __init__(self, *args, attestation: str = rules.DEFAULT_ATTESTATION, **kwargs):
        super().__init__(*args, **kwargs)
        self.attestation_text = attestation
        self.fields["attest"].label = f"I attest: {attestation}"

    def attestation(self) -> str:
        return self.attestation_text if self.cleaned_data.get("attest") else ""


class NewNoteForm(ErrorSummaryMixin, forms.Form):
    kind = forms.ChoiceField(label="Kind of note", choices=[
        (NoteKind.INDIVIDUAL, NoteKind.INDIVIDUAL.label), (NoteKind.FAMILY, NoteKind.FAMILY.label),
        (NoteKind.MEDICATION, NoteKind.MEDICATION.label)], widget=forms.RadioSelect)
    template = forms.ChoiceField(label="Template", choices=[
        (NoteTemplate.DAP, NoteTemplate.DAP.label), (NoteTemplate.SOAP, NoteTemplate.SOAP.label),
        (NoteTemplate.BIRP, NoteTemplate.BIRP.label)], widget=forms.RadioSelect)
    session = forms.ChoiceField(label="Session", required=False,
                                help_text="One of this patient's sessions of the last weeks (optional).")

    def __init__(self, *args, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.sessions = {str(s.pk): s for s in sessions}
        self.fields["session"].choices = [("", "No session (e.g. a phone contact)")] + [
            (str(s.pk), f"{timezone.localtime(s.starts_at):%a %d %b %H:%M} · {s.get_kind_display()}")
            for s in sessions]

    def clean_session(self):
        value = self.cleaned_data.get("session")
        return self.sessions.get(value) if value else None


class NoteEditForm(ErrorSummaryMixin, forms.Form):
    """The template's sections (added per note), times, objectives, service code."""

    time_in = forms.DateTimeField(label="Time in", required=False,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    time_out = forms.DateTimeField(label="Time out", required=False,
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                   input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    patient_present = forms.BooleanField(label="The patient was present for the family session", required=False)
    objectives = forms.MultipleChoiceField(label="Plan objectives addressed", required=False,
                                           widget=forms.CheckboxSelectMultiple)
    service_code = forms.ChoiceField(label="Service code", required=False)
    code_reason = forms.CharField(label="Why a code other than the suggestion", max_length=300, required=False)

    def __init__(self, *args, note=None, objectives=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.note = note
        sections = {}
        for key, label, prompt in rules.TEMPLATE_SECTIONS[note.template]:
            sections[key] = _text(label, rows=4, help_text=prompt)
        self.fields = {**sections, **self.fields}
        self.section_keys = list(sections)
        self.fields["objectives"].choices = [(str(o.pk), o.text) for o in objectives]
        self.fields["service_code"].choices = (
            [(USE_SUGGESTION, "Use the suggestion"), (NO_CODE, "No code")]
            + [(code, f"{code} · {label}") for code, label in rules.SERVICE_CODES.items()])
        if note.kind != NoteKind.FAMILY:
            del self.fields["patient_present"]

    def clean(self):
        data = super().clean()
        for name in ("time_in", "time_out"):
            value = data.get(name)
            if value is not None and timezone.is_naive(value):
                data[name] = timezone.make_aware(value)
        if data.get("time_in") and data["time_in"] > timezone.now() + dt.timedelta(minutes=5):
            self.add_error("time_in", "The time in cannot be in the future.")
        return data

    def body(self) -> dict:
        return {key: self.cleaned_data.get(key, "") for key in self.section_keys}

    def chosen_code(self):
        value = self.cleaned_data.get("service_code") or USE_SUGGESTION
        if value == USE_SUGGESTION:
            return None
        return "" if value == NO_CODE else value

    @staticmethod
    def initial_for(note) -> dict:
        initial = {key: (note.body or {}).get(key, "") for key, _, _ in rules.TEMPLATE_SECTIONS[note.template]}
        for name in ("time_in", "time_out"):
            value = getattr(note, name)
            initial[name] = timezone.localtime(value).replace(tzinfo=None) if value else None
        initial["patient_present"] = note.patient_present
        initial["objectives"] = [str(o.pk) for o in note.objectives.all()]
        if note.service_code == note.suggested_code:
            initial["service_code"] = USE_SUGGESTION
        else:
            initial["service_code"] = note.service_code or NO_CODE
        initial["code_reason"] = note.code_reason
        return initial


class AddendumForm(ErrorSummaryMixin, forms.Form):
    text = _text("Addendum", rows=4, help_text="It is added below the signed note; the note itself does not change.")
    attest = _attest_field(rules.ADDENDUM_ATTESTATION)

    def attestation(self) -> str:
        return rules.ADDENDUM_ATTESTATION if self.cleaned_data.get("attest") else ""


class VoidForm(ErrorSummaryMixin, forms.Form):
    reason = forms.CharField(label="Why void this draft", max_length=300, required=False,
                             help_text="e.g. Written for the wrong session. The draft is kept, marked voided.")


def apply_errors(form, error: ValidationError, *, fallback=None) -> None:
    """Put a service's field-named errors on the form's fields (others at the top)."""
    if hasattr(error, "error_dict"):
        for field_name, messages in error.message_dict.items():
            target = field_name if field_name in form.fields else None
            if field_name == "attestation" and "attest" in form.fields:
                target = "attest"
            for message in messages:
                if target is None and fallback is not None:
                    fallback.add_error(None, message)
                else:
                    form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)
