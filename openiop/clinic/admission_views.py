"""Admission of an assessed referral, level-of-care changes and the program census.
Views read through queries and write through services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from openiop.accounts.enums import CHART_ROLES, TREATING_ROLES, Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care import queries as care_queries
from openiop.care import services as care
from openiop.care.models import EpisodeOfCare, LevelOfCareChange
from openiop.clinic.access import shows_patient_data
from openiop.clinic.admission_forms import AdmissionForm, LevelOfCareChangeForm
from openiop.clinic.assessment_views import (
    ADMITTING_ROLES,
    referral_context,
    visible_referral_or_404,
)
from openiop.intake import services as intake
from openiop.intake.enums import Stage
from openiop.intake.levels import FRAMEWORKS
from openiop.intake.models import LevelOfCareAssessment
from openiop.intake.queries import possible_duplicates
from openiop.patients.models import Patient
from openiop.patients.queries import get_visible_patient, patient_for_denial_audit

# Who records a step-up or step-down: the people who treat, and the clinical director.
LEVEL_OF_CARE_ROLES = frozenset({*TREATING_ROLES, Role.DIRECTOR})


def _visible_duplicates(user, referral) -> list:
    """Existing patients that may be this person, limited to those the user may see."""
    patients, _referrals = possible_duplicates(referral, user)
    if referral.patient_id and referral.patient_id not in {p.pk for p in patients}:
        patients.append(referral.patient)
    visible = set(
        Patient.objects.visible_to(user).filter(pk__in=[p.pk for p in patients]).values_list("pk", flat=True)
    )
    return [p for p in patients if p.pk in visible]


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=ADMITTING_ROLES)
def referral_admit(request, referral_id):
    """Admit an assessed referral: one form, one service call, all or nothing."""
    user = request.user
    referral = visible_referral_or_404(user, referral_id)
    context = referral_context(request, referral, current="admission")
    if referral.stage != Stage.ASSESSED:
        patient = get_visible_patient(user, referral.patient.mrn) if referral.patient_id else None
        audit.record(user=user, action=Action.VIEW, patient=referral.patient, obj=referral,
                     detail={"page": "admission"})
        return render(request, "clinic/admission/not_ready.html", context | {"patient": patient})
    duplicates = _visible_duplicates(user, referral)
    refresh = request.method == "POST" and request.POST.get("action") == "program"
    if refresh:
        # "Show this program's clinicians": the same page for the chosen program, everything
        # typed kept, nothing checked or saved yet.
        form = AdmissionForm(initial=request.POST.dict(), referral=referral, duplicates=duplicates)
    else:
        form = AdmissionForm(request.POST or None, referral=referral, duplicates=duplicates)
    if request.method == "POST" and not refresh and form.is_valid():
        try:
            episode = intake.admit_referral(actor=user, referral=referral, **form.admission_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            patient = episode.patient
            messages.success(
                request, f"{patient.display_name} is admitted to {episode.program.name} "
                         f"from {episode.admitted_on:%Y-%m-%d} (MRN {patient.mrn}).",
            )
            if get_visible_patient(user, patient.mrn) is None:
                return redirect("clinic:home")
            return redirect("clinic:patient_chart", mrn=patient.mrn)
    audit.record(user=user, action=Action.VIEW, patient=referral.patient, obj=referral,
                 detail={"page": "admission"})
    if duplicates:
        audit.record_many(user=user, action=Action.LIST, patients=duplicates,
                          detail={"list": "possible duplicates", "referral": referral.pk})
    # The decided level is clinical content: shown to clinicians and the director only.
    assessment = LevelOfCareAssessment.objects.visible_to(user).filter(referral=referral).select_related("signed_by").first()
    decided = None
    if assessment is not None:
        spec = FRAMEWORKS.get(assessment.framework)
        level = spec.level(assessment.actual_level) if spec else None
        decided = f"{assessment.actual_level} {level.name}" if level else assessment.actual_level
    program = form.program
    return render(request, "clinic/admission/admit.html", context | {
        "form": form,
        "program": program,
        "assessment": assessment,
        "decided_level": decided,
        "group_errors": form.group_errors(),
    })


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=LEVEL_OF_CARE_ROLES)
def change_level_of_care(request, mrn):
    """Record a step-up or step-down for a current episode; the chart keeps the history."""
    user = request.user
    patient = get_visible_patient(user, mrn)
    if patient is None:
        refused = patient_for_denial_audit(user, mrn)
        if refused is not None:
            audit.record(user=user, action=Action.DENIED, patient=refused, detail={"page": "level of care"})
        raise Http404("No such patient")
    episodes = (
        EpisodeOfCare.objects.visible_to(user)
        .filter(patient=patient, status__in=care_queries.CURRENT_STATUSES)
        .select_related("program")
    )
    form = LevelOfCareChangeForm(request.POST or None, episodes=episodes)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = care.change_level_of_care(
                actor=user, episode=data["episode"], to_level=data["to_level"],
                changed_on=data["changed_on"], reason=data["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, f"Level of care changed to {change.get_to_level_display()} "
                         f"from {change.changed_on:%Y-%m-%d}.",
            )
            return redirect("clinic:patient_chart", mrn=patient.mrn)
    history = list(
        LevelOfCareChange.objects.visible_to(user).filter(patient=patient)
        .select_related("clinician", "episode__program").order_by("changed_on", "id")
    )
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "level of care"})
    return render(request, "clinic/admission/level_of_care.html", {
        "patient": patient, "form": form, "has_episode": episodes.exists(), "history": history,
    })


@shows_patient_data(roles=CHART_ROLES, needs_visibility=False)
def census(request):
    """Current patients per program and track. Every patient listed is audited."""
    user = request.user
    groups = care_queries.census(user)
    shown = {row.patient.pk: row.patient for group in groups for row in group.rows}
    audit.record_many(user=user, action=Action.LIST, patients=shown.values(), detail={"list": "census"})
    return render(request, "clinic/admission/census.html", {
        "groups": groups, "total": sum(len(group.rows) for group in groups),
    })
