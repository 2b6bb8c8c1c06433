"""The patient's recovery date, in the portal. The date is the patient's: they set it, change it
or clear it here; staff record one only when the patient asks. A drug screen never changes it.
Only the patient sees this page (a family member gets 404: the date is the patient's to share).
Writes go through openiop.medical.services; each view is audited."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data
from openiop.clinic.assessment_forms import ErrorSummaryMixin
from openiop.clinic.assessment_views import add_service_errors
from openiop.medical import queries, services
from openiop.medical.models import RecoverySource
from openiop.patients.models import Patient


class RecoveryDateForm(ErrorSummaryMixin, forms.Form):
    recovery_date = forms.DateField(
        label="Your recovery date", required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Use the date that means something to you. You can change it any time.",
    )


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=(Role.PATIENT,), needs_visibility=False, audience="portal")
def recovery_date(request):
    user = request.user
    patient = Patient.objects.visible_to(user).first()
    if patient is None:
        raise Http404("No record")
    current = queries.current_recovery_date(user, patient)
    status = 200
    if request.method == "POST":
        clearing = request.POST.get("action") == "clear"
        form = RecoveryDateForm(request.POST)
        if clearing or form.is_valid():
            try:
                if clearing:
                    services.clear_recovery_date(actor=user, patient=patient, source=RecoverySource.PORTAL)
                else:
                    date = form.cleaned_data["recovery_date"]
                    if date is None:
                        raise ValidationError({"recovery_date": "Choose a date, or use “Clear my date”."})
                    services.set_recovery_date(actor=user, patient=patient, date=date, source=RecoverySource.PORTAL)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Your date is cleared." if clearing else "Your recovery date is saved.")
                return redirect("portal:recovery_date")
        status = 400
    else:
        form = RecoveryDateForm(initial={"recovery_date": current.recovery_date if current else None})
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "portal recovery date"})
    return render(request, "portal/recovery/recovery_date.html", {
        "patient": patient, "current": current if current and current.recovery_date else None, "form": form,
    }, status=status)


urlpatterns = [
    path("recovery-date/", recovery_date, name="recovery_date"),
]
