"""The patient's plans in the portal: the current signed treatment plan in plain language, the
current relapse-prevention plan, suggesting a change to it, and signing a plan.

Only the patient sees these pages; family members get 404 even with portal consent (the plan
is the patient's to share). Only signed versions are ever shown: a draft is the care team's
work in progress. Reads go through `visible_to`, writes through openiop.plans.services; every
page is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data
from openiop.clinic.assessment_forms import ErrorSummaryMixin
from openiop.clinic.assessment_views import add_service_errors
from openiop.patients.models import Patient
from openiop.plans import services as plans
from openiop.plans.models import (
    Plan,
    PlanKind,
    PlanVersion,
    Proposal,
    RPItemKind,
    Service,
    SignatureMethod,
    SignerRole,
    VersionStatus,
)

PATIENT_ONLY = (Role.PATIENT,)

# What the patient may suggest, in their words (crisis contacts are the team's to add: 988 is there).
PROPOSAL_KINDS = [
    (RPItemKind.TRIGGER, "Something that triggers me"),
    (RPItemKind.WARNING_SIGN, "A warning sign I notice"),
    (RPItemKind.COPING, "Something that helps me cope"),
    (RPItemKind.HIGH_RISK, "A risky situation coming up, and my plan for it"),
    (RPItemKind.SUPPORT, "Someone who supports me"),
]


class ProposalForm(ErrorSummaryMixin, forms.Form):
    kind = forms.ChoiceField(label="What would you like to add?", choices=PROPOSAL_KINDS, widget=forms.RadioSelect,
                             error_messages={"required": "Choose what you would like to add."})
    text = forms.CharField(label="In your words", widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": "Write what you would like to add."})
    plan_text = forms.CharField(label="Your plan for it (for a risky situation)", required=False,
                                widget=forms.Textarea(attrs={"rows": 2}),
                                help_text="For example: bring a friend who doesn't drink, leave early.")
    name = forms.CharField(label="Their name (for a support person)", required=False, max_length=200)
    relationship = forms.CharField(label="Who they are to you", required=False, max_length=100,
                                   help_text="For example: sister, sponsor, friend.")
    phone = forms.CharField(label="Their phone number", required=False, max_length=30,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "suggest")
        super().__init__(*args, **kwargs)


class PatientSignForm(ErrorSummaryMixin, forms.Form):
    typed_name = forms.CharField(label="Type your full name", max_length=200,
                                 widget=forms.TextInput(attrs={"autocomplete": "name"}),
                                 error_messages={"required": "Type your full name to sign."})


# Reading the plans -------------------------------------------------------------------------------------


def _own_patient(user) -> Patient:
    patient = Patient.objects.visible_to(user).filter(pk=user.patient_id).first()
    if patient is None:
        raise Http404("No record")
    return patient


def _current_plan(user, patient, kind) -> Plan | None:
    return (Plan.objects.visible_to(user).filter(patient=patient, kind=kind)
            .order_by("-episode__admitted_on", "-id").first())


def _signed_version(plan) -> PlanVersion | None:
    """The latest signed version; drafts never reach the portal."""
    if plan is None:
        return None
    return (PlanVersion.objects.filter(plan=plan, status=VersionStatus.SIGNED)
            .prefetch_related("signatures").order_by("-number").first())


def _duration(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def _how_often(every_weeks: int) -> str:
    return {1: "a week", 2: "every other week", 4: "about once a month"}.get(every_weeks, f"every {every_weeks} weeks")


def week_line(line) -> str:
    """One service line in plain words: "3 group sessions of 3 hours a week"."""
    n, length, often = line.sessions, _duration(line.minutes), _how_often(line.every_weeks)
    plural = "s" if n != 1 else ""
    if line.service == Service.GROUP:
        return f"{n} group session{plural} of {length} {often}"
    if line.service == Service.INDIVIDUAL:
        return f"{length} with your therapist {often}" if n == 1 else f"{n} sessions of {length} with your therapist {often}"
    if line.service == Service.FAMILY:
        return f"a family session of {length} {often}" if n == 1 else f"{n} family sessions of {length} {often}"
    if line.service == Service.MEDICATION:
        return f"a medication check of {length} {often}" if n == 1 else f"{n} medication checks {often}"
    if line.service == Service.PSYCHOEDUCATION:
        return f"{n} class{'es' if n != 1 else ''} of {length} {often}"
    if line.service == Service.DRUG_SCREEN:
        return f"{n} drug screen{plural} {often}"
    return f"{length} of case management {often}"


@dataclass
class GoalView:
    words: str            # the patient's own words first, else the clinical text
    clinical: str
    objectives: list = field(default_factory=list)


def treatment_summary(version) -> dict:
    goals = list(version.goals.prefetch_related("objectives"))
    lines = list(version.service_lines.all())
    return {
        "goals": [GoalView(words=g.patient_words or g.clinical_text,
                           clinical=g.clinical_text if g.patient_words else "",
                           objectives=list(g.objectives.all())) for g in goals],
        "week": [week_line(line) for line in lines],
        "patient_signed": _patient_signature(version),
    }


def _patient_signature(version):
    return next((s for s in version.signatures.all() if s.role == SignerRole.PATIENT), None)


def rp_summary(version) -> dict:
    items = list(version.rp_items.all())
    by_kind = {kind: [i for i in items if i.kind == kind] for kind in RPItemKind.values}
    # 988 first, whatever the position it was given.
    by_kind[RPItemKind.CRISIS_CONTACT].sort(key=lambda item: item.phone.strip() != "988")
    return {"by_kind": by_kind, "patient_signed": _patient_signature(version)}


def _plans_context(user, patient, *, form=None) -> dict:
    treatment_plan = _current_plan(user, patient, PlanKind.TREATMENT)
    rp_plan = _current_plan(user, patient, PlanKind.RELAPSE_PREVENTION)
    treatment = _signed_version(treatment_plan)
    relapse = _signed_version(rp_plan)
    proposals = list(Proposal.objects.visible_to(user).filter(patient=patient).order_by("-proposed_at", "-id"))
    return {
        "patient": patient, "treatment": treatment, "relapse": relapse, "rp_plan": rp_plan,
        "treatment_summary": treatment_summary(treatment) if treatment else None,
        "rp_summary": rp_summary(relapse) if relapse else None,
        "proposals": proposals, "form": form or ProposalForm(),
    }


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=PATIENT_ONLY, needs_visibility=False, audience="portal")
def my_plans(request):
    """Your plans; a POST is a suggested change to the relapse-prevention plan."""
    user = request.user
    patient = _own_patient(user)
    form = None
    status = 200
    if request.method == "POST":
        form = ProposalForm(request.POST)
        rp_plan = _current_plan(user, patient, PlanKind.RELAPSE_PREVENTION)
        if rp_plan is None:
            raise Http404("No relapse-prevention plan")
        if form.is_valid():
            data = form.cleaned_data
            try:
                plans.propose_change(actor=user, plan=rp_plan, kind=data["kind"], text=data["text"],
                                     plan_text=data["plan_text"], name=data["name"],
                                     relationship=data["relationship"], phone=data["phone"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Thank you. Your care team will look at your suggestion and get back to you.")
                return redirect("portal:plans")
        status = 400
    audit.record(user=user, action=Action.VIEW, patient=patient, detail={"page": "portal plans"})
    return render(request, "portal/plans/plans.html", _plans_context(user, patient, form=form), status=status)


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=PATIENT_ONLY, audience="portal")
def sign_plan(request, version_id):
    """The patient signs a signed version of their own plan by typing their name."""
    user = request.user
    patient = _own_patient(user)
    version = (PlanVersion.objects.visible_to(user)
               .filter(pk=version_id, patient=patient, status=VersionStatus.SIGNED)
               .select_related("plan").prefetch_related("signatures").first())
    if version is None:
        raise Http404("No such plan")
    form = PatientSignForm(request.POST or None)
    status = 200
    if request.method == "POST" and _patient_signature(version) is None:
        if form.is_valid():
            try:
                plans.sign_as_patient(actor=user, version=version, typed_name=form.cleaned_data["typed_name"],
                                      method=SignatureMethod.PORTAL)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Thank you for signing your plan.")
                return redirect("portal:plans")
        status = 400
    summary = (treatment_summary(version) if version.plan.kind == PlanKind.TREATMENT else rp_summary(version))
    audit.record(user=user, action=Action.VIEW, patient=patient, obj=version,
                 detail={"page": "portal sign plan", "version": version.number})
    return render(request, "portal/plans/sign.html", {
        "patient": patient, "version": version, "summary": summary, "form": form,
        "attestation": plans.PATIENT_ATTESTATION, "signed": _patient_signature(version),
        "is_treatment": version.plan.kind == PlanKind.TREATMENT,
    }, status=status)
