"""The clinic's relapse-prevention plan screens: the draft editor, the signed read-only page,
the patient's proposals, and the director's coping-strategy library.

`rp_version_page(request, patient, version)` renders one relapse-prevention version; the
treatment-plan screens' version view (plan_views) hands a relapse-prevention version over to
it, and this module's own pages use it too. Every write is one form per POST through
`openiop.plans.services`; a refused write shows the page again, bound to what was typed (400).

Plans are clinical content: clinicians, prescribers and the clinical director only; anyone
else, and anyone who cannot see the patient, gets 404. Every page is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from openiop.accounts.enums import TREATING_ROLES, Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.clinic.access import shows_patient_data, staff_only, visible_patient_or_404
from openiop.clinic.assessment_views import add_service_errors
from openiop.clinic.rp_forms import (
    ITEM_FORMS,
    CopingStrategyForm,
    DiscussForm,
    NewVersionForm,
    ReasonsForm,
    coping_library,
)
from openiop.plans import queries
from openiop.plans import services as plans
from openiop.plans.models import (
    CopingStrategy,
    Plan,
    PlanKind,
    PlanVersion,
    Proposal,
    ProposalStatus,
    RPItem,
    RPItemKind,
)

# Plans are clinical content: the roles whose chart shows the clinical section.
RP_ROLES = frozenset({Role.DIRECTOR, *TREATING_ROLES})
LIBRARY_ROLES = frozenset({Role.DIRECTOR})

# The editor's sections, in the order a relapse-prevention plan is talked through.
SECTIONS = (
    (RPItemKind.TRIGGER, "Triggers", "People, places, situations, feelings and times that raise the risk."),
    (RPItemKind.WARNING_SIGN, "Early warning signs", "What the patient and others notice before a lapse."),
    (RPItemKind.COPING, "Coping strategies", "What works for this patient, from the library or in their words."),
    (RPItemKind.HIGH_RISK, "High-risk situations", "Each one with a concrete plan."),
    (RPItemKind.SUPPORT, "Support network", "Who the patient can call."),
    (RPItemKind.CRISIS_CONTACT, "Crisis contacts", "988 first; then the program and a local crisis line."),
)


# Shared helpers ----------------------------------------------------------------------------------


def _rp_plan(user, patient) -> Plan | None:
    """The relapse-prevention plan of the patient's latest episode the user can see."""
    return (
        Plan.objects.visible_to(user).filter(patient=patient, kind=PlanKind.RELAPSE_PREVENTION)
        .select_related("episode__program__site", "episode__program__organization")
        .order_by("-episode__admitted_on", "-id").first()
    )


def _rp_version_or_404(user, patient, version_id) -> PlanVersion:
    version = (
        PlanVersion.objects.visible_to(user)
        .filter(pk=version_id, patient=patient, plan__kind=PlanKind.RELAPSE_PREVENTION)
        .select_related("plan__episode__program").first()
    )
    if version is None:
        raise Http404("No such plan version")
    return version


def _draft_or_404(user, patient, version_id) -> PlanVersion:
    version = _rp_version_or_404(user, patient, version_id)
    if version.is_signed:
        # Signed content is read-only; a form for it can only come from a stale page.
        raise Http404("This version is signed")
    return version


def rp_plan_url(patient) -> str:
    return reverse("clinic:rp_plan", kwargs={"mrn": patient.mrn})


def _treatment_goals(plan) -> list:
    """Goals of the current signed treatment version of the same episode (triggers link to them)."""
    treatment = Plan.objects.filter(episode_id=plan.episode_id, kind=PlanKind.TREATMENT).first()
    current = queries.current_version(treatment) if treatment else None
    return list(current.goals.all()) if current else []


def _item_form(kind, plan, goals, data=None):
    form_class = ITEM_FORMS[kind]
    kwargs = {}
    if kind == RPItemKind.TRIGGER:
        kwargs = {"goals": goals, "organization_id": plan.patient.organization_id}
    elif kind == RPItemKind.COPING:
        kwargs = {"organization_id": plan.patient.organization_id}
    return form_class(data, **kwargs)


# The version page (handed over from the treatment-plan version view) ----------------------------------


@dataclass
class Section:
    kind: str
    title: str
    help: str
    items: list = field(default_factory=list)
    form: object = None


def rp_version_page(request, patient, version, *, bound_forms: dict | None = None, reasons_form=None,
                    sign_errors: dict | None = None, new_version_form=None, status: int = 200):
    """Render one relapse-prevention version: the editor for a draft, read-only once signed.

    The caller has checked that the user may see `patient` (visible_patient_or_404) and that
    `version` is one of the patient's relapse-prevention versions. `bound_forms` ({kind: form})
    and `reasons_form` / `new_version_form` carry a refused POST back with what was typed."""
    if version.patient_id != patient.pk or version.plan.kind != PlanKind.RELAPSE_PREVENTION:
        raise Http404("No such plan version")
    plan = version.plan
    bound_forms = bound_forms or {}
    goals = _treatment_goals(plan)
    goal_text = {goal.key: str(goal) for goal in goals}
    items = list(version.rp_items.select_related("coping_strategy", "curriculum_module"))
    for item in items:
        item.goal_label = goal_text.get(item.goal_key, "")
    sections = []
    for kind, title, help_text in SECTIONS:
        section = Section(kind=kind, title=title, help=help_text, items=[i for i in items if i.kind == kind])
        if not version.is_signed:
            section.form = bound_forms.get(kind) or _item_form(kind, plan, goals)
        sections.append(section)
    context = {
        "patient": patient, "plan": plan, "version": version, "sections": sections,
        "versions": list(plan.versions.order_by("-number").only("pk", "number", "status", "signed_at", "plan_id")),
        "open_proposals": Proposal.objects.filter(plan=plan, status=ProposalStatus.OPEN).count(),
    }
    if version.is_signed:
        context["differences"] = [d for d in queries.differences(version.based_on, version)
                                  if d.section == "Relapse prevention"]
        context["signatures"] = list(version.signatures.select_related("signer"))
        context["draft"] = queries.draft_of(plan)
        context["new_version_form"] = new_version_form or NewVersionForm()
        context["error_forms"] = [new_version_form] if new_version_form is not None and new_version_form.errors else []
    else:
        context["reasons_form"] = reasons_form or ReasonsForm(initial={"reasons_for_recovery":
                                                                       version.reasons_for_recovery})
        context["signing_problems"] = sign_errors if sign_errors is not None else plans.signing_problems(version)
        context["sign_attempted"] = sign_errors is not None
        context["clinician_attestation"] = plans.CLINICIAN_ATTESTATION
        context["error_forms"] = [f for f in [*bound_forms.values(), reasons_form] if f is not None and f.errors]
    audit.record(user=request.user, action=Action.VIEW, patient=patient, obj=version,
                 detail={"page": "relapse-prevention plan", "version": version.number})
    return render(request, "clinic/plans/rp_version.html", context, status=status)


@shows_patient_data(roles=RP_ROLES)
def rp_plan(request, mrn):
    """The patient's relapse-prevention plan: the draft being written, else the current
    signed version, else a button to start the first draft."""
    patient = visible_patient_or_404(request, mrn, page="relapse-prevention plan")
    plan = _rp_plan(request.user, patient)
    version = None
    if plan is not None:
        version = queries.draft_of(plan) or queries.current_version(plan)
    if version is None:
        audit.record(user=request.user, action=Action.VIEW, patient=patient,
                     detail={"page": "relapse-prevention plan"})
        return render(request, "clinic/plans/rp_start.html", {"patient": patient, "plan": plan})
    return rp_version_page(request, patient, version)


@shows_patient_data(roles=RP_ROLES)
def start_rp_version(request, mrn):
    """Start the first draft, or a new version of a signed plan (with the reason it changes)."""
    patient = visible_patient_or_404(request, mrn, page="relapse-prevention plan")
    if request.method != "POST":
        return redirect(rp_plan_url(patient))
    plan = _rp_plan(request.user, patient)
    if plan is None:
        raise Http404("No relapse-prevention plan")
    form = NewVersionForm(request.POST)
    reason = request.POST.get("revision-change_reason", "")
    try:
        plans.start_revision(actor=request.user, plan=plan, reason=reason)
    except ValidationError as error:
        form.is_valid()
        add_service_errors(form, error)
        current = queries.current_version(plan)
        if current is None:
            raise
        return rp_version_page(request, patient, current, new_version_form=form, status=400)
    messages.success(request, "Draft ready: edit it below, then sign it.")
    return redirect(rp_plan_url(patient))


# Editing a draft: one form per POST ------------------------------------------------------------------


@shows_patient_data(roles=RP_ROLES)
def add_rp_item(request, mrn, version_id):
    """Add one trigger, warning sign, coping strategy, high-risk situation, support person or
    crisis contact (the form's `kind` says which). GET goes back to the plan."""
    patient = visible_patient_or_404(request, mrn, page="relapse-prevention plan")
    if request.method != "POST":
        return redirect(rp_plan_url(patient))
    version = _draft_or_404(request.user, patient, version_id)
    kind = request.POST.get("kind", "")
    if kind not in ITEM_FORMS:
        raise Http404("Unknown kind of item")
    form = _item_form(kind, version.plan, _treatment_goals(version.plan), data=request.POST)
    if form.is_valid():
        try:
            plans.save_item(actor=request.user, version=version, part="rp_item", kind=kind, **form.item_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{RPItemKind(kind).label} added.")
            return redirect(f"{rp_plan_url(patient)}#section-{kind}")
    return rp_version_page(request, patient, version, bound_forms={kind: form}, status=400)


@shows_patient_data(roles=RP_ROLES)
def remove_rp_item(request, mrn, version_id, item_id):
    patient = visible_patient_or_404(request, mrn, page="relapse-prevention plan")
    if request.method != "POST":
        return redirect(rp_plan_url(patient))
    version = _draft_or_404(request.user, patient, version_id)
    item = RPItem.objects.filter(pk=item_id, version=version).first()
    if item is None:
        raise Http404("No such item")
    plans.remove_item(actor=request.user, item=item)
    messages.success(request, f"{item.get_kind_display()} removed: “{item}”.")
    return redirect(f"{rp_plan_url(patient)}#section-{item.kind}")


@shows_patient_data(roles=RP_ROLES)
def save_reasons(request, mrn, version_id):
    """The patient's reasons for recovery, in their words."""
    patient = visible_patient_or_404(request, mrn, page="relapse-prevention plan")
    if request.method != "POST":
        return redirect(rp_plan_url(patient))
    version = _draft_or_404(request.user, patient, version_id)
    form = ReasonsForm(request.POST)
    if form.is_valid():
        try:
            plans.update_draft(actor=request.user, version=version,
                               reasons_for_recovery=form.cleaned_data["reasons_for_recovery"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Reasons for recovery saved.")
            return redirect(f"{rp_plan_url(patient)}#reasons")
    return rp_version_page(request, patient, version, reasons_form=form, status=400)


@shows_patient_data(roles=RP_ROLES)
def sign_rp_version(request, mrn, version_id):
    """The clinician signs: the version is locked. What is missing is shown, nothing is lost."""
    patient = visible_patient_or_404(request, mrn, page="relapse-prevention plan")
    if request.method != "POST":
        return redirect(rp_plan_url(patient))
    version = _draft_or_404(request.user, patient, version_id)
    try:
        plans.sign_version(actor=request.user, version=version)
    except ValidationError as error:
        problems = error.message_dict if hasattr(error, "error_dict") else {"plan": " ".join(error.messages)}
        problems = {key: " ".join(value) if isinstance(value, list) else value for key, value in problems.items()}
        return rp_version_page(request, patient, version, sign_errors=problems, status=400)
    messages.success(request, f"Relapse-prevention plan version {version.number} signed.")
    return redirect(rp_plan_url(patient))


# Proposals from the patient ---------------------------------------------------------------------------


def _proposals_context(user, patient, *, bound: dict | None = None) -> dict:
    bound = bound or {}
    plan = _rp_plan(user, patient)
    proposals = list(
        Proposal.objects.visible_to(user).filter(patient=patient, plan__kind=PlanKind.RELAPSE_PREVENTION)
        .select_related("responded_by", "added_to").order_by("-proposed_at", "-id")
    )
    open_rows = [(p, bound.get(p.pk) or DiscussForm(prefix=f"p{p.pk}")) for p in proposals
                 if p.status == ProposalStatus.OPEN]
    answered = [p for p in proposals if p.status != ProposalStatus.OPEN]
    return {"patient": patient, "plan": plan, "open_rows": open_rows, "answered": answered,
            "error_forms": [form for form in bound.values() if form.errors]}


@shows_patient_data(roles=RP_ROLES)
def proposals(request, mrn):
    patient = visible_patient_or_404(request, mrn, page="plan proposals")
    audit.record(user=request.user, action=Action.VIEW, patient=patient, detail={"page": "plan proposals"})
    return render(request, "clinic/plans/rp_proposals.html", _proposals_context(request.user, patient))


def _open_proposal_or_404(user, patient, proposal_id) -> Proposal:
    proposal = (Proposal.objects.visible_to(user).filter(pk=proposal_id, patient=patient)
                .select_related("plan__episode__program").first())
    if proposal is None:
        raise Http404("No such proposal")
    return proposal


@shows_patient_data(roles=RP_ROLES)
def accept_proposal(request, mrn, proposal_id):
    """Accept: the item goes into the relapse-prevention draft (started if needed), shown next."""
    patient = visible_patient_or_404(request, mrn, page="plan proposals")
    if request.method != "POST":
        return redirect("clinic:rp_proposals", mrn=patient.mrn)
    proposal = _open_proposal_or_404(request.user, patient, proposal_id)
    try:
        item = plans.accept_proposal(actor=request.user, proposal=proposal)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("clinic:rp_proposals", mrn=patient.mrn)
    messages.success(request, f"Added to the draft: {item.get_kind_display().lower()} “{item}”. Review and sign it.")
    return redirect(f"{rp_plan_url(patient)}#section-{item.kind}")


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=RP_ROLES)
def discuss_proposal(request, mrn, proposal_id):
    """Talk it through: a note for the patient is required; the proposal is answered."""
    patient = visible_patient_or_404(request, mrn, page="plan proposals")
    if request.method != "POST":
        return redirect("clinic:rp_proposals", mrn=patient.mrn)
    proposal = _open_proposal_or_404(request.user, patient, proposal_id)
    form = DiscussForm(request.POST, prefix=f"p{proposal.pk}")
    if form.is_valid():
        try:
            plans.discuss_proposal(actor=request.user, proposal=proposal, response=form.cleaned_data["response"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your note is on the patient's portal; talk it through at the next session.")
            return redirect("clinic:rp_proposals", mrn=patient.mrn)
    audit.record(user=request.user, action=Action.VIEW, patient=patient, detail={"page": "plan proposals"})
    return render(request, "clinic/plans/rp_proposals.html",
                  _proposals_context(request.user, patient, bound={proposal.pk: form}), status=400)


# The coping-strategy library (no patient data) ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_only
def coping_strategies(request):
    """The director's library: built-in strategies and the organization's own; add one."""
    if request.user.role not in LIBRARY_ROLES:
        raise Http404("Not found")
    organization = request.user.organization
    form = CopingStrategyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                strategy = plans.add_coping_strategy(organization=organization, name=form.cleaned_data["name"],
                                                     description=form.cleaned_data["description"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"“{strategy.name}” added to your organization's library.")
                return redirect("clinic:coping_strategies")
        status = 400
    library = list(coping_library(organization.pk if organization else None))
    inactive_own = list(CopingStrategy.objects.filter(organization=organization, active=False)) if organization else []
    return render(request, "clinic/plans/rp_coping_strategies.html", {
        "built_in": [s for s in library if s.organization_id is None],
        "own": [s for s in library if s.organization_id is not None], "inactive_own": inactive_own,
        "form": form,
    }, status=status)
