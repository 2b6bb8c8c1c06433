"""The clinic's treatment-plan screens: a patient's plans, the draft editor, a signed version
with its signatures and differences, the patient's on-screen signature, the supervisor's
co-signature, reviews, and the list of plans due.

Plans are clinical content: clinicians, prescribers and the clinical director open these
pages; front desk, billing and intake get 404, as does anyone who cannot see the patient.
Views read through `openiop.plans.queries` and write only through `openiop.plans.services`;
every page that shows patient data is audited. A signed version is shown read-only, and a
POST to it changes nothing (409). The relapse-prevention editor is a separate module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from openiop.accounts.enums import TREATING_ROLES, Role
from openiop.accounts.models import User
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import CareTeamMember, Diagnosis
from openiop.clinic.access import shows_patient_data, visible_patient_or_404
from openiop.clinic.assessment_views import add_service_errors
from openiop.clinic.plan_forms import (
    ITEM_FORMS,
    DraftDetailsForm,
    EditorChoices,
    NewVersionForm,
    ObjectiveProgressForm,
    PatientSignatureForm,
    ReviewForm,
)
from openiop.measures.instruments import normalize_code
from openiop.plans import queries
from openiop.plans import services as plans
from openiop.plans.models import (
    Goal,
    Intervention,
    Objective,
    ObjectiveProgress,
    Plan,
    PlanKind,
    PlanVersion,
    Problem,
    Review,
    ReviewReason,
    RPItemKind,
    SignerRole,
)

# Plans are clinical content (patients/rules.py): the roles whose chart shows the clinical section.
PLAN_ROLES = frozenset({Role.DIRECTOR, *TREATING_ROLES})
# Who can be named responsible for an intervention.
RESPONSIBLE_ROLES = (Role.CLINICIAN, Role.PRESCRIBER, Role.DIRECTOR)
# A signed plan's review shows on "Plans due" this many days before it is due.
REVIEW_DUE_SOON_DAYS = 7

# The editor's sections: (part, title, anchor). The anchors are also the keys of
# services.signing_problems, so a signing problem links to its section.
SECTIONS = (
    ("problem", "Problems", "problems"),
    ("goal", "Goals", "goals"),
    ("objective", "Objectives", "objectives"),
    ("intervention", "Interventions", "interventions"),
    ("service_line", "Weekly services", "service_lines"),
)
SECTION_TITLES = {part: title for part, title, _ in SECTIONS}
SECTION_ANCHORS = {part: anchor for part, _, anchor in SECTIONS}
SIGNING_PROBLEM_TITLES = {
    "problems": "Problems", "goals": "Goals", "objectives": "Objectives", "interventions": "Interventions",
    "service_lines": "Weekly services", "hours_override_reason": "Weekly services",
    "triggers": "Triggers", "coping": "Coping strategies", "crisis_contacts": "Crisis contacts",
}
SIGNING_PROBLEM_ANCHORS = {"hours_override_reason": "id_draft-hours_override_reason"}


# Shared helpers ----------------------------------------------------------------------------------


def _plan_or_404(user, patient, plan_id) -> Plan:
    plan = (Plan.objects.visible_to(user).filter(patient=patient, pk=plan_id)
            .select_related("episode__program").first())
    if plan is None:
        raise Http404("No such plan")
    return plan


def _version_queryset(user, patient):
    """A version with everything its page shows, in a fixed number of queries."""
    return (
        PlanVersion.objects.visible_to(user).filter(patient=patient)
        .select_related("plan__episode__program", "signed_by", "based_on")
        .prefetch_related(
            Prefetch("problems", queryset=Problem.objects.select_related("diagnosis")),
            Prefetch("goals", queryset=Goal.objects.select_related("problem").prefetch_related(
                "objectives", "interventions")),
            Prefetch("objectives", queryset=Objective.objects.select_related("goal")),
            Prefetch("interventions", queryset=Intervention.objects.select_related("goal", "responsible")),
            "service_lines",
            "rp_items",
        )
    )


def _version_or_404(user, patient, version_id) -> PlanVersion:
    version = _version_queryset(user, patient).filter(pk=version_id).first()
    if version is None:
        raise Http404("No such plan version")
    version.patient = patient  # already read by the caller
    return version


def _version_url(version) -> str:
    return reverse("clinic:plan_version", kwargs={"mrn": version.patient.mrn, "version_id": version.pk})


def _may_cosign(user, version, signatures) -> bool:
    """The clinician's supervisor (or a director) co-signs, once, a version that needs it."""
    by_role = {signature.role: signature for signature in signatures}
    clinician = by_role.get(SignerRole.CLINICIAN)
    if clinician is None or SignerRole.SUPERVISOR in by_role:
        return False
    if not clinician.signer.requires_cosignature and user.role != Role.DIRECTOR:
        return False
    return clinician.signer.supervisor_id == user.pk or user.role == Role.DIRECTOR


def _care_team_episode_ids(user) -> set[int]:
    return set(CareTeamMember.objects.filter(user=user, end_date__isnull=True).values_list("episode_id", flat=True))


def _needs_attention(state, today) -> bool:
    """On a clinician's "Plans due": not signed yet, overdue, review requested or due soon,
    or still waiting for a signature."""
    if not state.signed or state.overdue or state.awaiting or state.plan.review_requested_on:
        return True
    return state.due_on is not None and state.due_on <= today + dt.timedelta(days=REVIEW_DUE_SOON_DAYS)


def plans_due_for(user, *, today=None) -> list:
    """The treatment plans that need the user: a clinician's care-team plans that need attention;
    the director's compliance list. Sorted by due date, undated last."""
    today = today or timezone.localdate()
    if user.role == Role.DIRECTOR:
        states = queries.compliance(user, today=today)
    else:
        mine = _care_team_episode_ids(user)
        states = [state for state in queries.plan_states(today=today, user=user)
                  if state.plan.episode_id in mine and _needs_attention(state, today)]
    return sorted(states, key=lambda s: (s.due_on is None, s.due_on or today, s.plan.pk))


# 1. The patient's plans --------------------------------------------------------------------------


@dataclass
class PlanRow:
    plan: Plan
    state: queries.PlanState
    versions: list
    current: PlanVersion | None
    draft: PlanVersion | None
    reviews: list
    new_version_form: NewVersionForm | None
    may_cosign: bool = False

    @property
    def is_treatment(self) -> bool:
        return self.plan.kind == PlanKind.TREATMENT


def _plan_rows(request, patient, *, bound_form=None, bound_plan_id=None) -> list[PlanRow]:
    user = request.user
    today = timezone.localdate()
    found = queries.plans_for_patient(user, patient).prefetch_related(
        "versions__signatures__signer", "versions__signed_by",
        Prefetch("reviews", queryset=Review.objects.select_related("clinician")),
    )
    rows = []
    for plan in found:
        versions = list(plan.versions.all())
        reviews = list(plan.reviews.all())
        signed = [v for v in versions if v.is_signed]
        current = max(signed, key=lambda v: v.number) if signed else None
        draft = next((v for v in versions if not v.is_signed), None)
        form = None
        if current is not None and draft is None:
            form = bound_form if bound_plan_id == plan.pk else NewVersionForm(prefix=f"plan-{plan.pk}")
        rows.append(PlanRow(
            plan=plan, state=queries.state_of(plan, today=today, versions=versions, reviews=reviews),
            versions=versions, current=current, draft=draft, reviews=reviews, new_version_form=form,
            may_cosign=current is not None and _may_cosign(user, current, current.signatures.all()),
        ))
    return rows


def _render_plans(request, patient, *, status=200, **bound):
    rows = _plan_rows(request, patient, **bound)
    audit.record(user=request.user, action=Action.VIEW, patient=patient, detail={"page": "plans"})
    return render(request, "clinic/plans/patient_plans.html", {
        "patient": patient, "rows": rows, "today": timezone.localdate(),
        "errors": bound["bound_form"].error_summary if bound.get("bound_form") else [],
    }, status=status)


@shows_patient_data(roles=PLAN_ROLES)
def patient_plans(request, mrn):
    patient = visible_patient_or_404(request, mrn, page="plans")
    return _render_plans(request, patient)


@shows_patient_data(roles=PLAN_ROLES)
def plans_summary(request, mrn):
    """Each plan's state, due date and link, loaded into the chart's Plans section by htmx.
    Without htmx (or JavaScript) the chart links to the plans page instead."""
    patient = visible_patient_or_404(request, mrn, page="plans summary")
    if not request.htmx:
        return redirect("clinic:patient_plans", mrn=mrn)
    rows = _plan_rows(request, patient)
    audit.record(user=request.user, action=Action.VIEW, patient=patient, detail={"page": "plans summary"})
    return render(request, "clinic/plans/_summary.html", {"patient": patient, "rows": rows})


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=PLAN_ROLES)
def start_revision(request, mrn, plan_id):
    """"Write the plan", "Continue the draft" or "Start a new version" (with a reason): the
    plan's open draft, or a new one, then its editor."""
    patient = visible_patient_or_404(request, mrn, page="plans")
    plan = _plan_or_404(request.user, patient, plan_id)
    if request.method == "GET":
        return redirect("clinic:patient_plans", mrn=mrn)
    needs_reason = queries.draft_of(plan) is None and plan.versions.exists()
    form = NewVersionForm(request.POST, prefix=f"plan-{plan.pk}")
    if needs_reason and not form.is_valid():
        return _render_plans(request, patient, status=400, bound_form=form, bound_plan_id=plan.pk)
    try:
        draft = plans.start_revision(actor=request.user, plan=plan,
                                     reason=form.cleaned_data.get("reason", "") if needs_reason else "")
    except ValidationError as error:
        add_service_errors(form, error, aliases={"change_reason": "reason"})
        return _render_plans(request, patient, status=400, bound_form=form, bound_plan_id=plan.pk)
    return redirect(_version_url(draft))


# 2. One version: the draft editor, or the signed version read-only -------------------------------


@dataclass
class ItemRow:
    item: object
    form: object | None = None   # the edit form, when this item is being edited


@dataclass
class Section:
    part: str
    title: str
    anchor: str
    rows: list[ItemRow]
    add_form: object
    signing_problem: str = ""


@dataclass
class EditorState:
    """What a failed POST leaves for the page: the bound form in its place, and errors."""

    bound_form: object | None = None
    details_form: DraftDetailsForm | None = None
    page_errors: list = field(default_factory=list)
    signing_refused: bool = False


def editor_choices(user, version) -> EditorChoices:
    staff = {str(u.pk): u for u in User.objects.filter(
        organization_id=version.patient.organization_id, role__in=RESPONSIBLE_ROLES, is_active=True,
    ).order_by("last_name", "first_name", "id")}
    for intervention in version.interventions.all():
        # Someone no longer active stays choosable on the lines already naming them.
        staff.setdefault(str(intervention.responsible_id), intervention.responsible)
    return EditorChoices(
        diagnoses={str(d.pk): d for d in Diagnosis.objects.visible_to(user).filter(episode_id=version.plan.episode_id)},
        problems={str(p.pk): p for p in version.problems.all()},
        goals={str(g.pk): g for g in version.goals.all()},
        staff=staff,
    )


def _section_items(version, part) -> list:
    return list({
        "problem": version.problems, "goal": version.goals, "objective": version.objectives,
        "intervention": version.interventions, "service_line": version.service_lines,
    }[part].all())


def _editor_sections(request, version, choices, state: EditorState, problems: dict) -> list[Section]:
    bound = state.bound_form
    editing = request.GET.get("edit", "")
    sections = []
    for part, title, anchor in SECTIONS:
        form_class = ITEM_FORMS[part]
        rows = []
        for item in _section_items(version, part):
            form = None
            if bound is not None and bound.part == part and bound.item is not None and bound.item.pk == item.pk:
                form = bound
            elif editing == f"{part}-{item.pk}":
                form = form_class(choices=choices, item=item)
            rows.append(ItemRow(item=item, form=form))
        add_form = bound if bound is not None and bound.part == part and bound.item is None else (
            form_class(choices=choices))
        sections.append(Section(part=part, title=title, anchor=anchor, rows=rows, add_form=add_form,
                                signing_problem=problems.get(anchor, "")))
    return sections


def _render_editor(request, patient, version, *, state: EditorState | None = None, status=200):
    state = state or EditorState()
    choices = editor_choices(request.user, version)
    problems = plans.signing_problems(version)
    audit.record(user=request.user, action=Action.VIEW, patient=patient, obj=version, detail={"page": "plan editor"})
    errors = list(state.page_errors)
    for form in (state.bound_form, state.details_form):
        if form is not None:
            errors += form.error_summary
    if state.signing_refused:
        errors += [(SIGNING_PROBLEM_ANCHORS.get(key, key), f"{SIGNING_PROBLEM_TITLES.get(key, key)}: {message}")
                   for key, message in problems.items()]
    program = version.plan.episode.program
    return render(request, "clinic/plans/editor.html", {
        "patient": patient, "version": version, "plan": version.plan, "program": program,
        "sections": _editor_sections(request, version, choices, state, problems),
        "details_form": state.details_form or DraftDetailsForm(initial={
            "change_reason": version.change_reason, "hours_override_reason": version.hours_override_reason}),
        "weekly_hours": plans.weekly_hours(version), "hours_problem": plans.hours_problem(version),
        "signing_problems": [(SIGNING_PROBLEM_ANCHORS.get(key, key), SIGNING_PROBLEM_TITLES.get(key, key), message)
                             for key, message in problems.items()],
        "errors": errors, "signing_refused": state.signing_refused,
        "other_versions": [v for v in version.plan.versions.order_by("number") if v.pk != version.pk],
    }, status=status)


def _signed_context(request, patient, version) -> dict:
    signatures = list(version.signatures.select_related("signer"))
    before = version.based_on or version.plan.versions.filter(number__lt=version.number).order_by("-number").first()
    roles = {signature.role for signature in signatures}
    return {
        "patient": patient, "version": version, "plan": version.plan,
        "signatures": signatures,
        "before": before,
        "differences": queries.differences(before, version) if before is not None else [],
        "other_versions": [v for v in version.plan.versions.order_by("number") if v.pk != version.pk],
        "awaiting_patient": SignerRole.PATIENT not in roles,
        "may_cosign": _may_cosign(request.user, version, signatures),
        "reviews": list(version.reviews.select_related("clinician")),
        "rp_groups": _rp_groups(version),
        "supervisor_attestation": plans.SUPERVISOR_ATTESTATION,
    }


def _render_signed(request, patient, version, *, status=200, page_errors=()):
    context = _signed_context(request, patient, version) | {"page_errors": list(page_errors)}
    audit.record(user=request.user, action=Action.VIEW, patient=patient, obj=version, detail={"page": "plan version"})
    return render(request, "clinic/plans/version.html", context, status=status)


def _rp_groups(version) -> list[tuple[str, list]]:
    """A relapse-prevention version's items by kind, in the order the plan reads."""
    items = list(version.rp_items.all())
    return [(label, [i for i in items if i.kind == kind]) for kind, label in RPItemKind.choices
            if any(i.kind == kind for i in items)]


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=PLAN_ROLES)
def plan_version(request, mrn, version_id):
    patient = visible_patient_or_404(request, mrn, page="plan version")
    version = _version_or_404(request.user, patient, version_id)
    if version.plan.kind == PlanKind.RELAPSE_PREVENTION:
        # Its editor and read-only page are the relapse-prevention module's; its actions post there.
        from openiop.clinic.rp_views import rp_version_page

        if request.method == "POST":
            messages.error(request, "Nothing was changed: use the forms on this page.")
            return rp_version_page(request, patient, version, status=409 if version.is_signed else 400)
        return rp_version_page(request, patient, version)
    if version.is_signed:
        if request.method == "POST":
            # Nothing on a signed version changes; say so, and show it as it is.
            return _render_signed(request, patient, version, status=409, page_errors=[
                "This version is signed and cannot be changed. Start a new version to change the plan."])
        return _render_signed(request, patient, version)
    if request.method == "GET":
        return _render_editor(request, patient, version)
    return _editor_post(request, patient, version)


def _editor_post(request, patient, version):
    """One form per POST: `action` says which (save or remove an item, the draft's details, sign)."""
    action = request.POST.get("action", "")
    handlers = {"save": _save_item, "remove": _remove_item, "details": _save_details, "sign": _sign}
    handler = handlers.get(action)
    if handler is None:
        return _render_editor(request, patient, version, status=400,
                              state=EditorState(page_errors=[("", "That form was not recognised; nothing was saved.")]))
    return handler(request, patient, version)


def _find_item(version, part, item_id):
    model = plans.CONTENT_MODELS[part]
    return model.objects.filter(version=version, pk=item_id).first() if str(item_id).isdigit() else None


def _save_item(request, patient, version):
    part = request.POST.get("part", "")
    form_class = ITEM_FORMS.get(part)
    item_id = request.POST.get("item", "")
    item = _find_item(version, part, item_id) if form_class and item_id else None
    if form_class is None or (item_id and item is None):
        return _render_editor(request, patient, version, status=400, state=EditorState(
            page_errors=[("", "That item is not part of this draft; nothing was saved.")]))
    form = form_class(request.POST, choices=editor_choices(request.user, version), item=item)
    if form.is_valid():
        try:
            plans.save_item(actor=request.user, version=version, part=part, item=item, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{SECTION_TITLES[part]}: saved.")
            anchor = SECTION_ANCHORS[part]
            return redirect(f"{_version_url(version)}#{anchor}")
    return _render_editor(request, patient, version, status=400, state=EditorState(bound_form=form))


def _remove_item(request, patient, version):
    part = request.POST.get("part", "")
    item = _find_item(version, part, request.POST.get("item", "")) if part in ITEM_FORMS else None
    if item is None:
        return _render_editor(request, patient, version, status=400, state=EditorState(
            page_errors=[("", "That item is not part of this draft; nothing was removed.")]))
    anchor = SECTION_ANCHORS[part]
    try:
        plans.remove_item(actor=request.user, item=item)
    except ValidationError as error:
        return _render_editor(request, patient, version, status=400, state=EditorState(
            page_errors=[(anchor, message) for message in error.messages]))
    messages.success(request, "Removed from the draft.")
    return redirect(f"{_version_url(version)}#{anchor}")


def _save_details(request, patient, version):
    form = DraftDetailsForm(request.POST)
    if form.is_valid():
        try:
            plans.update_draft(actor=request.user, version=version, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect(f"{_version_url(version)}#details")
    return _render_editor(request, patient, version, status=400, state=EditorState(details_form=form))


def _sign(request, patient, version):
    try:
        plans.sign_version(actor=request.user, version=version)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            return _render_editor(request, patient, version, status=400, state=EditorState(signing_refused=True))
        return _render_editor(request, patient, version, status=400,
                              state=EditorState(page_errors=[("", m) for m in error.messages]))
    messages.success(request, f"Version {version.number} signed. It can no longer be changed.")
    return redirect(_version_url(version))


# 3. The patient's signature on a clinic screen, and the supervisor's co-signature ---------------


def plain_services(version) -> list[str]:
    """The service mix as a patient would say it: "3 group sessions of 180 minutes every week"."""
    lines = []
    for line in version.service_lines.all():
        every = "every week" if line.every_weeks == 1 else f"every {line.every_weeks} weeks"
        lines.append(f"{line.sessions} × {line.get_service_display().lower()}, {line.minutes} minutes each, {every}")
    return lines


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=PLAN_ROLES)
def patient_signs(request, mrn, version_id):
    """The patient reads the plan in plain words and types their name, on the clinic's screen."""
    patient = visible_patient_or_404(request, mrn, page="plan patient signature")
    version = _version_or_404(request.user, patient, version_id)
    if not version.is_signed:
        messages.info(request, "The clinician signs the plan first; then the patient signs it.")
        return redirect(_version_url(version))
    signature = version.signatures.filter(role=SignerRole.PATIENT).first()
    form = PatientSignatureForm(request.POST or None)
    status = 200
    if request.method == "POST" and signature is None:
        if form.is_valid():
            try:
                plans.sign_as_patient(actor=request.user, version=version,
                                      typed_name=form.cleaned_data["typed_name"], method="clinic_screen")
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{patient.display_name} signed version {version.number} of the plan.")
                return redirect(_version_url(version))
        status = 400
    elif request.method == "POST":
        status = 409
    audit.record(user=request.user, action=Action.VIEW, patient=patient, obj=version,
                 detail={"page": "plan patient signature"})
    return render(request, "clinic/plans/patient_signs.html", {
        "patient": patient, "version": version, "plan": version.plan, "form": form, "signature": signature,
        "attestation": plans.PATIENT_ATTESTATION, "services": plain_services(version),
        "rp_groups": _rp_groups(version),
    }, status=status)


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=PLAN_ROLES)
def cosign(request, mrn, version_id):
    patient = visible_patient_or_404(request, mrn, page="plan version")
    version = _version_or_404(request.user, patient, version_id)
    if request.method == "GET":
        return redirect(_version_url(version))
    try:
        plans.cosign(actor=request.user, version=version)
    except ValidationError as error:
        return _render_signed(request, patient, version, status=400, page_errors=error.messages)
    messages.success(request, f"Version {version.number} co-signed.")
    return redirect(_version_url(version))


# 4. Reviews --------------------------------------------------------------------------------------


@dataclass
class ObjectiveRow:
    objective: Objective
    form: ObjectiveProgressForm
    measure: dict | None   # the latest score of the objective's measure, if it names one


def _objective_rows(objectives, context, data=None) -> list[ObjectiveRow]:
    measures = {normalize_code(code): value | {"code": code} for code, value in context.get("measures", {}).items()}
    return [ObjectiveRow(objective=o, form=ObjectiveProgressForm(data, objective=o),
                         measure=measures.get(normalize_code(o.measure_code)) if o.measure_code else None)
            for o in objectives]


@require_http_methods(["GET", "POST"])
@shows_patient_data(roles=PLAN_ROLES)
def review_plan(request, mrn, plan_id):
    """Review the current treatment version: progress per objective beside the latest scores,
    a summary, and optionally a change to the plan (which opens the new draft's editor)."""
    user = request.user
    patient = visible_patient_or_404(request, mrn, page="plan review")
    plan = _plan_or_404(user, patient, plan_id)
    current = queries.current_version(plan) if plan.kind == PlanKind.TREATMENT else None
    if current is None:
        messages.info(request, "Only a signed treatment plan is reviewed.")
        return redirect("clinic:patient_plans", mrn=mrn)
    today = timezone.localdate()
    context = queries.review_context(plan, today)
    objectives = list(current.objectives.select_related("goal"))
    data = request.POST if request.method == "POST" else None
    reason = ReviewReason.LEVEL_OF_CARE if plan.review_requested_on else ReviewReason.SCHEDULED
    form = ReviewForm(data, initial={"reviewed_on": today, "reason": reason})
    rows = _objective_rows(objectives, context, data)
    status = 200
    if request.method == "POST":
        # Every form is checked (not just up to the first invalid one), so every error shows.
        progress_valid = [row.form.is_valid() for row in rows]
        if form.is_valid() and all(progress_valid):
            try:
                review = plans.record_review(
                    actor=user, plan=plan, reviewed_on=form.cleaned_data["reviewed_on"],
                    summary=form.cleaned_data["summary"], reason=form.cleaned_data["reason"],
                    progress={row.objective.pk: (row.form.cleaned_data["status"], row.form.cleaned_data["note"])
                              for row in rows},
                    relapse_prevention_reviewed=form.cleaned_data["relapse_prevention_reviewed"],
                    revise=form.cleaned_data["revise"], revision_reason=form.cleaned_data["revision_reason"],
                    context=context,  # the scores shown beside the objectives, kept as shown
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if review.revision is not None:
                    messages.success(request, "Review recorded. Edit the new draft (e.g. the service mix) and sign it.")
                    return redirect(_version_url(review.revision))
                messages.success(request, "Review recorded.")
                return redirect("clinic:plan_review_detail", mrn=mrn, review_id=review.pk)
        status = 400
    errors = form.error_summary + [item for row in rows for item in row.form.error_summary]
    audit.record(user=user, action=Action.VIEW, patient=patient, obj=current, detail={"page": "plan review"})
    return render(request, "clinic/plans/review.html", {
        "patient": patient, "plan": plan, "version": current, "form": form, "rows": rows,
        "measures": sorted(context.get("measures", {}).items()), "errors": errors,
    }, status=status)


@shows_patient_data(roles=PLAN_ROLES)
def review_detail(request, mrn, review_id):
    patient = visible_patient_or_404(request, mrn, page="plan review")
    review = (
        Review.objects.visible_to(request.user).filter(patient=patient, pk=review_id)
        .select_related("plan", "version", "revision", "clinician")
        .prefetch_related(Prefetch("progress", queryset=ObjectiveProgress.objects.select_related("objective")))
        .first()
    )
    if review is None:
        raise Http404("No such review")
    audit.record(user=request.user, action=Action.VIEW, patient=patient, obj=review, detail={"page": "plan review"})
    return render(request, "clinic/plans/review_detail.html", {
        "patient": patient, "review": review, "measures": sorted((review.context or {}).get("measures", {}).items()),
    })


# 5. Plans due ------------------------------------------------------------------------------------


@shows_patient_data(roles=PLAN_ROLES, needs_visibility=False)
def plans_due(request):
    """Treatment plans that need attention: a clinician's care-team patients; for the director,
    the compliance list of every program they can see."""
    user = request.user
    today = timezone.localdate()
    states = plans_due_for(user, today=today)
    audit.record_many(user=user, action=Action.LIST, patients=list({s.plan.patient_id: s.plan.patient
                                                                     for s in states}.values()),
                      detail={"list": "plans due", "scope": "programs" if user.role == Role.DIRECTOR else "care teams"})
    return render(request, "clinic/plans/due.html", {"states": states, "today": today})

