"""The patient's free times for scheduling (work and school kept free): shown and changed by the
staff who arrange the schedule. Writes go through `openiop.scheduling.availability`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data, visible_patient_or_404
from openiop.scheduling import availability
from openiop.scheduling.models import WEEKDAYS, PatientAvailability

AVAILABILITY_ROLES = (Role.DIRECTOR, Role.CLINICIAN, Role.PRESCRIBER, Role.INTAKE, Role.FRONT_DESK)
BLANK_ROWS = 3


class WindowForm(forms.Form):
    day = forms.TypedChoiceField(choices=[("", "—")] + WEEKDAYS, coerce=int, required=False, label="Day")
    start = forms.TimeField(required=False, label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(required=False, label="Until", widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self):
        data = super().clean()
        filled = [data.get(name) not in (None, "") for name in ("day", "start", "end")]
        if any(filled) and not all(filled):
            raise ValidationError("Give the day, the start and the end (or leave the whole row empty).")
        if all(filled) and data["end"] <= data["start"]:
            self.add_error("end", "The end must be after the start.")
        return data


WindowFormSet = forms.formset_factory(WindowForm, extra=0)


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=200, label="Work or school hours, in the patient's words",
                           help_text="e.g. Works Mon-Fri 8:00-16:30; classes Tue/Thu mornings")


def _initial_rows(record) -> list[dict]:
    rows = [{"day": w["day"], "start": w["start"], "end": w["end"]} for w in (record.windows if record else [])]
    return rows + [{}] * BLANK_ROWS


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=AVAILABILITY_ROLES)
def patient_availability(request, mrn):
    """When the patient can come. Saving replaces all rows; empty rows are ignored."""
    patient = visible_patient_or_404(request, mrn, page="availability")
    record = PatientAvailability.objects.filter(patient=patient).first()
    if request.method == "POST":
        formset = WindowFormSet(request.POST, prefix="w")
        note_form = NoteForm(request.POST)
        if formset.is_valid() and note_form.is_valid():
            windows = [
                {"day": row["day"], "start": f"{row['start']:%H:%M}", "end": f"{row['end']:%H:%M}"}
                for row in formset.cleaned_data if row and row.get("day") not in (None, "")
            ]
            try:
                availability.set_availability(patient, windows, by=request.user, note=note_form.cleaned_data["note"])
            except ValidationError as error:
                note_form.add_error(None, "; ".join(error.messages))
            else:
                messages.success(request, f"Free times saved: {availability.describe(availability.clean_windows(windows))}.")
                return redirect("clinic:patient_availability", mrn=mrn)
        status = 400
    else:
        formset = WindowFormSet(initial=_initial_rows(record), prefix="w")
        note_form = NoteForm(initial={"note": record.note if record else ""})
        status = 200
    audit.record(user=request.user, action=Action.VIEW, patient=patient, detail={"page": "availability"})
    return render(request, "clinic/schedule_availability/edit.html", {
        "patient": patient, "record": record, "formset": formset, "note_form": note_form,
        "summary": availability.describe(record.windows) if record else "not recorded",
    }, status=status)


urlpatterns = [
    path("patients/<str:mrn>/availability/", patient_availability, name="patient_availability"),
]
