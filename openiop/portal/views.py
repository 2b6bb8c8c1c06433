"""Patient and family screens. Plain language; a crisis line on every page."""

from django.http import Http404
from django.shortcuts import render

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care import queries as care_queries
from openiop.clinic.access import shows_patient_data
from openiop.patients.models import Patient

PORTAL_ROLES = (Role.PATIENT, Role.FAMILY)


@shows_patient_data(roles=PORTAL_ROLES, needs_visibility=False, audience="portal")
def home(request):
    user = request.user
    patients = list(Patient.objects.visible_to(user).prefetch_related("episodes__program__site"))
    for patient in patients:
        audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "portal home"})
    return render(request, "portal/home.html", {"patients": patients, "is_family": user.role == Role.FAMILY})


@shows_patient_data(roles=(Role.PATIENT,), needs_visibility=False, audience="portal")
def my_record(request):
    """The patient's own record: their right of access (HIPAA 164.524)."""
    user = request.user
    patient = Patient.objects.visible_to(user).first()
    if patient is None:
        raise Http404("No record")
    chart = care_queries.chart(user, patient)
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "portal record"})
    return render(request, "portal/my_record.html", {"patient": patient, "chart": chart})
