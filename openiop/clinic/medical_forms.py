"""Forms of the medication and drug-screen screens. They check shape only; the services decide
(and their errors come back onto the field they name, with what the person typed kept)."""

from django import forms

from openiop.accounts.enums import Role
from openiop.accounts.models import User
from openiop.clinic.assessment_forms import ErrorSummaryMixin
from openiop.medical import rules
from openiop.medical.models import Adherence, Decision, Route, Source
from openiop.medical.rules import Method, MoudKind, Result, Validity

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def prescribers_of(organization):
    return User.objects.filter(organization=organization, role=Role.PRESCRIBER, is_active=True).order_by(
        "last_name", "first_name")


class MedicationForm(ErrorSummaryMixin, forms.Form):
    name = forms.CharField(label="Medication", max_length=120, help_text="e.g. Buprenorphine/naloxone, Sertraline")
    dose = forms.CharField(label="Dose", max_length=60, help_text="e.g. 8 mg/2 mg")
    route = forms.ChoiceField(label="Route", choices=Route.choices)
    frequency = forms.CharField(label="How often", max_length=60, help_text="e.g. once daily")
    reason = forms.CharField(label="Reason (what it is for)", max_length=200, required=False)
    moud = forms.ChoiceField(label="Medication for opioid use disorder", choices=MoudKind.choices,
                             initial=MoudKind.NONE)
    otp_name = forms.CharField(label="Opioid treatment program (methadone)", max_length=120, required=False,
                               help_text="Methadone for opioid use disorder is dispensed by an opioid treatment "
                                         "program, not prescribed here.")
    source = forms.ChoiceField(label="Where it comes from", choices=Source.choices, initial=Source.HERE)
    prescriber = forms.ModelChoiceField(label="Prescriber here", queryset=User.objects.none(), required=False)
    prescriber_name = forms.CharField(label="Outside prescriber", max_length=120, required=False)
    started_on = forms.DateField(label="Started on", required=False, widget=DATE)

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prescriber"].queryset = prescribers_of(organization)
        self.fields["prescriber"].label_from_instance = lambda user: user.display_name


class RowForm(ErrorSummaryMixin, forms.Form):
    """A form about one medication row (prefixed with the row; the POST's `row` says which)."""


class StopForm(RowForm):
    stopped_on = forms.DateField(label="Stopped on", widget=DATE)
    stop_reason = forms.CharField(label="Why", max_length=200)


class DoseChangeForm(RowForm):
    dose = forms.CharField(label="New dose", max_length=60)
    frequency = forms.CharField(label="How often (if it changes)", max_length=60, required=False)
    changed_on = forms.DateField(label="From", widget=DATE)
    reason = forms.CharField(label="Why", max_length=150, required=False)


class AdherenceForm(RowForm):
    adherence = forms.ChoiceField(label="How it is taken", choices=Adherence.choices)
    text = forms.CharField(label="What the patient said", required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ErrorForm(RowForm):
    error_reason = forms.CharField(label="What was wrong", max_length=200)


class RecoveryDateForm(ErrorSummaryMixin, forms.Form):
    recovery_date = forms.DateField(label="Recovery date the patient chose", required=False, widget=DATE,
                                    help_text="Leave empty to clear it, if that is what the patient asked.")
    note = forms.CharField(label="The patient's request", max_length=300,
                           help_text="e.g. Asked in individual session on 3 Dec to set this date.")


class ReconcileForm(ErrorSummaryMixin, forms.Form):
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text="Sources checked (patient, pharmacy, outside prescriber...).")

    def __init__(self, *args, medications=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.medications = list(medications)
        for medication in self.medications:
            self.fields[f"decision_{medication.pk}"] = forms.ChoiceField(
                label=f"{medication.name} {medication.dose}", choices=Decision.choices, initial=Decision.CONTINUE)
            self.fields[f"comment_{medication.pk}"] = forms.CharField(
                label=f"Comment on {medication.name}", max_length=300, required=False)

    def rows(self):
        return [(m, self[f"decision_{m.pk}"], self[f"comment_{m.pk}"]) for m in self.medications]

    def decisions(self) -> dict:
        data = self.cleaned_data
        return {m.pk: (data[f"decision_{m.pk}"], data.get(f"comment_{m.pk}", "")) for m in self.medications}


RESULT_CHOICES = [("", "—")] + list(Result.choices)


class ResultFieldsMixin:
    """One result select per substance of the panel (and a reading for breath alcohol)."""

    def add_result_fields(self, panel, *, required=True):
        self.panel_def = panel
        for code in panel.substances if panel else ():
            if code == rules.ALCOHOL:
                self.fields["value_alcohol"] = forms.DecimalField(
                    label="Breath alcohol (g/dL)", min_value=0, max_digits=6, decimal_places=3, required=required,
                    help_text="0.000 is negative.")
            else:
                self.fields[f"result_{code}"] = forms.ChoiceField(
                    label=rules.substance_name(code), choices=RESULT_CHOICES, required=required)

    def result_fields(self):
        return [self[name] for name in self.fields if name.startswith(("result_", "value_"))]

    def results(self) -> tuple[dict, dict]:
        data = self.cleaned_data
        results, values = {}, {}
        for code in self.panel_def.substances:
            if code == rules.ALCOHOL:
                if data.get("value_alcohol") is not None:
                    values[code] = data["value_alcohol"]
                    results[code] = rules.breath_result(data["value_alcohol"])
            elif data.get(f"result_{code}"):
                results[code] = data[f"result_{code}"]
        return results, values


class DrugScreenForm(ResultFieldsMixin, ErrorSummaryMixin, forms.Form):
    panel = forms.ChoiceField(label="Panel", choices=rules.PANEL_CHOICES, widget=forms.HiddenInput)
    collected_at = forms.DateTimeField(label="Collected at", widget=DATETIME)
    observed = forms.BooleanField(label="Collection observed", required=False)
    collected_by = forms.ModelChoiceField(label="Collected by", queryset=User.objects.none(), required=False,
                                          help_text="Leave empty if you collected it.")
    method = forms.ChoiceField(label="How it is read", choices=Method.choices)
    lab = forms.CharField(label="Laboratory", max_length=120, required=False)
    results_later = forms.BooleanField(label="Sent to the laboratory: results come later", required=False)
    validity = forms.ChoiceField(label="Specimen validity", choices=Validity.choices, initial=Validity.VALID)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, panel=None, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collected_by"].queryset = User.objects.filter(
            organization=organization, is_active=True,
            role__in=(Role.CLINICIAN, Role.PRESCRIBER, Role.DIRECTOR, Role.FRONT_DESK)).order_by("last_name")
        self.fields["collected_by"].label_from_instance = lambda user: user.display_name
        if panel is not None:
            self.fields["method"].initial = panel.method
        self.add_result_fields(panel, required=False)

    def clean(self):
        data = super().clean()
        if self.errors or not hasattr(self, "panel_def") or self.panel_def is None:
            return data
        results, _ = self.results()
        if not data.get("results_later"):
            missing = [rules.substance_name(c) for c in self.panel_def.substances if c not in results]
            if missing:
                self.add_error(None, f"Give a result for every substance (missing: {', '.join(missing)}), "
                                     "or say the results come later from the laboratory.")
        return data


class ResultsForm(ResultFieldsMixin, ErrorSummaryMixin, forms.Form):
    validity = forms.ChoiceField(label="Specimen validity", choices=Validity.choices, initial=Validity.VALID)

    def __init__(self, *args, panel=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_result_fields(panel)


class AmendForm(ResultFieldsMixin, ErrorSummaryMixin, forms.Form):
    reason = forms.CharField(label="Why the results are corrected", max_length=300)

    def __init__(self, *args, panel=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_result_fields(panel)


class CancelForm(ErrorSummaryMixin, forms.Form):
    cancel_reason = forms.CharField(label="Why it will have no results", max_length=200)
