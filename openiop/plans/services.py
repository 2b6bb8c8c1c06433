"""Writes for treatment and relapse-prevention plans. Every change goes through here.

- `open_plans` (at admission) creates both plans with a first draft;
- content is edited only on a draft (`save_item`, `remove_item`, `update_draft`);
- `sign_version` locks a draft for good (the clinician's signature); the patient and, where the
  clinician's licence needs it, a supervisor sign the locked version;
- `start_revision` copies the current version into a new draft; `record_review` records a
  signed review and can start such a revision (a step-down of the service mix);
- `accept_proposal` brings a patient's proposed change into the relapse-prevention draft.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openiop.accounts.enums import TREATING_ROLES, Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.plans import queries
from openiop.plans.models import (
    COUNTED_SERVICES,
    CopingStrategy,
    Goal,
    Intervention,
    Objective,
    ObjectiveProgress,
    Plan,
    PlanKind,
    PlanVersion,
    Problem,
    Proposal,
    ProposalStatus,
    Review,
    RPItem,
    RPItemKind,
    Service,
    ServiceLine,
    Signature,
    SignatureMethod,
    SignedVersionError,
    SignerRole,
    VersionStatus,
)
from openiop.privacy.labels import labels_for_program
from openiop.worklist.models import Task, TaskKind
from openiop.worklist.services import create_task

CLINICIAN_ATTESTATION = (
    "I developed this plan with the patient, it reflects the assessment and the patient's goals, "
    "and I am responsible for it."
)
PATIENT_ATTESTATION = (
    "I took part in making this plan. I understand it and agree to work on it with my care team. "
    "I can ask for changes at any time."
)
SUPERVISOR_ATTESTATION = "I have reviewed this plan and co-sign it as the clinician's supervisor."

# A starting service mix for a new draft (the clinician adjusts it): 3 group blocks of 3 hours,
# 1 hour of individual therapy a week, a family session every other week, medication
# management about monthly: 10.6 hours a week, inside the adult 9–19 band.
DEFAULT_SERVICE_MIX = (
    (Service.GROUP, 3, 180, 1),
    (Service.INDIVIDUAL, 1, 60, 1),
    (Service.FAMILY, 1, 60, 2),
    (Service.MEDICATION, 1, 30, 4),
)

# Always on a relapse-prevention plan: the national line, then the program (added at opening).
NATIONAL_CRISIS_CONTACT = {"name": "988 Suicide & Crisis Lifeline", "phone": "988",
                           "text": "Call or text 988 any time, day or night."}

CONTENT_MODELS = {
    "problem": Problem, "goal": Goal, "objective": Objective, "intervention": Intervention,
    "service_line": ServiceLine, "rp_item": RPItem,
}


# Opening plans at admission ------------------------------------------------------------------------


@transaction.atomic
def open_plans(*, actor, episode) -> tuple[Plan, Plan]:
    """Create the episode's treatment plan and relapse-prevention plan (no versions yet: the
    clinician starts the first draft, prefilled from what is known then). Idempotent. The
    treatment plan is due `program.plan_due_days` after admission."""
    return (_open_plan(actor, episode, PlanKind.TREATMENT), _open_plan(actor, episode, PlanKind.RELAPSE_PREVENTION))


def _open_plan(actor, episode, kind) -> Plan:
    plan = Plan.objects.filter(episode=episode, kind=kind).first()
    if plan is not None:
        return plan
    program = episode.program
    plan = Plan.objects.create(
        patient=episode.patient, episode=episode, kind=kind,
        due_on=episode.admitted_on + dt.timedelta(days=program.plan_due_days),
        review_every_days=program.plan_review_days,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        program_of_origin=program, security_labels=labels_for_program(program),
    )
    audit.record(user=actor, action=Action.CREATE, patient=episode.patient, obj=plan)
    return plan


def _new_version(actor, plan, *, number, reason, based_on=None) -> PlanVersion:
    version = PlanVersion.objects.create(
        plan=plan, patient=plan.patient, number=number, based_on=based_on, change_reason=reason,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        program_of_origin=plan.program_of_origin, security_labels=plan.security_labels,
    )
    audit.record(user=actor, action=Action.CREATE, patient=plan.patient, obj=version,
                 detail={"plan": plan.kind, "version": number})
    return version


def _prefill_treatment(draft, episode) -> None:
    """Problems from the diagnoses and from the assessment's dimensions rated 2 or more; the
    default service mix. Goals, objectives and interventions are the clinician's to write."""
    position = 0
    for diagnosis in episode.diagnoses.all():
        Problem.objects.create(version=draft, position=position, diagnosis=diagnosis,
                               statement=f"{diagnosis.description} ({diagnosis.icd10_code})")
        position += 1
    assessment = queries.latest_assessment(episode)
    if assessment is not None:
        for dimension, rating in sorted((assessment.ratings or {}).items()):
            if isinstance(rating, dict) and (rating.get("rating") or 0) >= 2 and dimension in {
                    "d1", "d2", "d3", "d4", "d5", "d6"}:
                Problem.objects.create(
                    version=draft, position=position, asam_dimension=dimension, assessment=assessment,
                    statement=f"ASAM dimension {dimension[1]}: rated {rating['rating']}",
                    finding=(rating.get("rationale") or "")[:2000],
                )
                position += 1
    for position, (service, sessions, minutes, every_weeks) in enumerate(DEFAULT_SERVICE_MIX):
        ServiceLine.objects.create(version=draft, position=position, service=service, sessions=sessions,
                                   minutes=minutes, every_weeks=every_weeks)


def _prefill_relapse_prevention(draft, program) -> None:
    RPItem.objects.create(version=draft, position=0, kind=RPItemKind.CRISIS_CONTACT, patient_allows_sharing=True,
                          **NATIONAL_CRISIS_CONTACT)
    phone = program.site.phone or program.organization.phone
    if phone:
        RPItem.objects.create(version=draft, position=1, kind=RPItemKind.CRISIS_CONTACT, name=program.name,
                              phone=phone, text="Your program, during opening hours.", patient_allows_sharing=True)


# Editing a draft -----------------------------------------------------------------------------------


def _check_draft(version) -> None:
    if PlanVersion.objects.filter(pk=version.pk, status=VersionStatus.SIGNED).exists():
        raise SignedVersionError("This version is signed and cannot be changed. Start a new version to change the plan.")


@transaction.atomic
def save_item(*, actor, version, part: str, item=None, **fields):
    """Add (item=None) or change one piece of a draft: a problem, goal, objective, intervention,
    service line or relapse-prevention item. Invalid fields raise ValidationError naming them."""
    _check_draft(version)
    model = CONTENT_MODELS[part]
    if item is None:
        item = model(version=version, position=model.objects.filter(version=version).count())
    elif item.version_id != version.pk:
        raise ValidationError("That item belongs to another version.")
    is_new = item.pk is None
    for name, value in fields.items():
        setattr(item, name, value)
    _validate_item(version, part, item)
    item.full_clean(exclude=["version", "key"])
    item.save()
    audit.record(user=actor, action=Action.CREATE if is_new else Action.CHANGE,
                 patient=version.patient, obj=item, detail={"version": version.pk, "fields": sorted(fields)})
    return item


def _validate_item(version, part, item) -> None:
    """Rules beyond the model's field checks, with the field each one is about."""
    errors = {}
    links = {"goal": Goal, "problem": Problem}
    for field, model in links.items():
        linked_id = getattr(item, f"{field}_id", None)
        if linked_id is not None and not model.objects.filter(pk=linked_id, version=version).exists():
            errors[field] = f"Choose a {field} of this version of the plan."
    if part == "objective" and item.target_date is not None:
        episode = version.plan.episode
        if item.target_date < episode.admitted_on:
            errors["target_date"] = "The target date is before the admission."
    if part == "service_line" and item.every_weeks not in (None, 1, 2, 3, 4, 6, 8):
        errors["every_weeks"] = "Use 1 (every week), 2 (every other week), 3, 4 (about monthly), 6 or 8."
    if part == "rp_item" and item.kind == RPItemKind.HIGH_RISK and not (item.plan_text or "").strip():
        errors["plan_text"] = "Write the concrete plan for this situation (e.g. bring a sober friend, leave early)."
    if part == "rp_item" and item.kind in (RPItemKind.SUPPORT, RPItemKind.CRISIS_CONTACT) and not (
            item.name or "").strip():
        errors["name"] = "Give the person's or service's name."
    if part == "rp_item" and item.kind == RPItemKind.COPING and item.coping_strategy_id is None and not (
            item.text or "").strip():
        errors["text"] = "Choose a coping strategy from the library or describe one."
    if part == "rp_item" and item.kind in (RPItemKind.TRIGGER, RPItemKind.WARNING_SIGN, RPItemKind.HIGH_RISK) and not (
            item.text or "").strip():
        errors["text"] = f"Describe the {RPItemKind(item.kind).label.lower()}."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def remove_item(*, actor, item) -> None:
    """Remove a piece of a draft (never of a signed version). Goals with objectives are kept."""
    version = item.version
    _check_draft(version)
    if isinstance(item, Goal) and (item.objectives.exists() or item.interventions.exists()):
        raise ValidationError("Remove this goal's objectives and interventions first.")
    if isinstance(item, Problem) and item.goals.exists():
        raise ValidationError("Remove or move this problem's goals first.")
    audit.record(user=actor, action=Action.CHANGE, patient=version.patient, obj=version,
                 detail={"removed": type(item).__name__.lower(), "item": item.pk})
    item.delete()


@transaction.atomic
def update_draft(*, actor, version, **fields) -> PlanVersion:
    """Change the draft's own fields: change_reason, hours_override_reason, reasons_for_recovery."""
    _check_draft(version)
    allowed = {"change_reason", "hours_override_reason", "reasons_for_recovery"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Unknown plan fields: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(version, name, (value or "").strip())
    version.save(update_fields=list(fields))
    audit.record(user=actor, action=Action.CHANGE, patient=version.patient, obj=version,
                 detail={"fields": sorted(fields)})
    return version


# Hours ---------------------------------------------------------------------------------------------


def weekly_hours(version) -> Decimal:
    """Therapeutic hours a week in the version's service mix (drug screens do not count)."""
    minutes = sum(line.weekly_minutes for line in version.service_lines.all() if line.service in COUNTED_SERVICES)
    return (Decimal(str(minutes)) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def hours_problem(version) -> str | None:
    """Why the hours need a reason, or None when they are inside the program's band."""
    program = version.plan.episode.program
    hours = weekly_hours(version)
    if hours < program.min_weekly_hours or hours > program.max_weekly_hours:
        return (f"The service mix comes to {hours} hours a week, outside {program.name}'s "
                f"{program.min_weekly_hours}–{program.max_weekly_hours} hours.")
    return None


# Signing -------------------------------------------------------------------------------------------


def signing_problems(version) -> dict[str, str]:
    """What must be fixed before the clinician can sign, by the part of the plan it is about."""
    if version.plan.kind == PlanKind.TREATMENT:
        return _treatment_signing_problems(version)
    return _relapse_prevention_signing_problems(version)


def _treatment_signing_problems(version) -> dict[str, str]:
    problems = {}
    goals = list(version.goals.all())
    if not version.problems.exists():
        problems["problems"] = "Add at least one problem."
    if not goals:
        problems["goals"] = "Add at least one goal."
    without_objectives = [goal for goal in goals if not goal.objectives.exists()]
    if without_objectives:
        problems["objectives"] = "Every goal needs at least one measurable objective with a target date."
    if not version.interventions.exists():
        problems["interventions"] = "Add at least one intervention with who is responsible for it."
    if not version.service_lines.exists():
        problems["service_lines"] = "State the weekly service mix (which services, how many, how long)."
    elif hours_problem(version) and not version.hours_override_reason.strip():
        problems["hours_override_reason"] = hours_problem(version) + " Give the clinical reason, or change the mix."
    return problems


def _relapse_prevention_signing_problems(version) -> dict[str, str]:
    kinds = set(version.rp_items.values_list("kind", flat=True))
    problems = {}
    if RPItemKind.TRIGGER not in kinds:
        problems["triggers"] = "Add at least one trigger."
    if RPItemKind.COPING not in kinds:
        problems["coping"] = "Add at least one coping strategy."
    if RPItemKind.CRISIS_CONTACT not in kinds:
        problems["crisis_contacts"] = "Add at least one crisis contact (988 is always one)."
    return problems


@transaction.atomic
def sign_version(*, actor, version, signed_at: dt.datetime | None = None) -> Signature:
    signature = _sign_version(actor=actor, version_pk=version.pk, signed_at=signed_at)
    # The caller's object now says what the database says (signed, when, by whom, hours).
    for name in ("status", "signed_at", "signed_by_id", "weekly_hours"):
        setattr(version, name, getattr(signature.version, name))
    return signature


def _sign_version(*, actor, version_pk, signed_at) -> Signature:
    """The clinician signs: the version is locked for good. Its weekly hours are fixed, and it
    becomes the plan's current version. Side effects: a co-signature task for the supervisor
    when the clinician's licence needs one; any review request is satisfied by a new signed
    treatment version only through a review."""
    version = PlanVersion.objects.select_for_update(of=("self",)).select_related("plan__episode__program").get(
        pk=version_pk)
    if version.is_signed:
        raise SignedVersionError("This version is already signed.")
    if actor.role not in TREATING_ROLES and actor.role != Role.DIRECTOR:
        raise ValidationError("Only a clinician signs a plan.")
    problems = signing_problems(version)
    if problems:
        raise ValidationError(problems)
    now = _signing_moment(signed_at)
    hours = weekly_hours(version) if version.plan.kind == PlanKind.TREATMENT else None
    PlanVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.SIGNED, signed_at=now, signed_by=actor, weekly_hours=hours)
    version.refresh_from_db()
    signature = _signature(version, SignerRole.CLINICIAN, actor, CLINICIAN_ATTESTATION, SignatureMethod.CLINIC_SCREEN,
                           signed_at=now)
    audit.record(user=actor, action=Action.CHANGE, patient=version.patient, obj=version,
                 detail={"signed": True, "role": SignerRole.CLINICIAN, "version": version.number})
    _close_tasks(f"plans:plan-due:{version.plan_id}", actor, "Signed.")
    if actor.requires_cosignature and actor.supervisor_id:
        create_task(actor=actor, assignee=actor.supervisor, kind=TaskKind.REVIEW, patient=version.patient,
                    title=f"Co-sign the {version.plan.get_kind_display().lower()} (version {version.number})",
                    detail=f"Signed by {actor.display_name}, who needs your co-signature.",
                    due_on=timezone.localdate() + dt.timedelta(days=3), topic=f"plans:cosign:{version.pk}")
    return signature


def _signing_moment(signed_at: dt.datetime | None) -> dt.datetime:
    """Now, or an earlier moment for a plan signed on paper and entered afterwards (and for the
    demo clinic's history). Never in the future. The audit trail keeps the real entry time."""
    now = timezone.now()
    if signed_at is None:
        return now
    if signed_at > now:
        raise ValidationError({"signed_at": "A signature cannot be dated in the future."})
    return signed_at


def _signature(version, role, signer, attestation, method, typed_name="", signed_at=None) -> Signature:
    if Signature.objects.filter(version=version, role=role).exists():
        raise ValidationError(f"This version already has the {SignerRole(role).label.lower()}'s signature.")
    signature = Signature.objects.create(
        version=version, patient=version.patient, role=role, signer=signer, attestation=attestation,
        method=method, typed_name=typed_name, program_of_origin=version.program_of_origin,
        security_labels=version.security_labels,
    )
    if signed_at is not None:
        # signed_at is auto_now_add; an earlier moment (paper signature entered later) is set after.
        Signature.objects.filter(pk=signature.pk).update(signed_at=signed_at)
        signature.signed_at = signed_at
    return signature


@transaction.atomic
def sign_as_patient(*, actor, version, typed_name: str, method: str, signed_at: dt.datetime | None = None) -> Signature:
    """The patient signs a clinician-signed version: in the portal (actor is the patient) or on
    a clinic screen (actor is the clinician holding the screen). They type their name."""
    if not version.is_signed:
        raise ValidationError("The clinician signs the plan first.")
    if queries.current_version(version.plan) != version:
        raise ValidationError("This version has been replaced; the patient signs the current plan.")
    typed_name = (typed_name or "").strip()
    if not typed_name:
        raise ValidationError({"typed_name": "Type your name to sign."})
    if method == SignatureMethod.PORTAL and (actor.role != Role.PATIENT or actor.patient_id != version.patient_id):
        raise ValidationError("Only the patient signs their plan in the portal.")
    if method == SignatureMethod.CLINIC_SCREEN and actor.role not in TREATING_ROLES and actor.role != Role.DIRECTOR:
        raise ValidationError("A clinician hands the clinic screen to the patient to sign.")
    signature = _signature(version, SignerRole.PATIENT, actor, PATIENT_ATTESTATION, method, typed_name,
                           signed_at=_signing_moment(signed_at) if signed_at else None)
    audit.record(user=actor, action=Action.CREATE, patient=version.patient, obj=signature,
                 detail={"role": SignerRole.PATIENT, "method": method, "version": version.number})
    return signature


@transaction.atomic
def cosign(*, actor, version) -> Signature:
    clinician_signature = version.signatures.filter(role=SignerRole.CLINICIAN).select_related("signer").first()
    if clinician_signature is None:
        raise ValidationError("The clinician signs the plan first.")
    if clinician_signature.signer.supervisor_id != actor.pk and actor.role != Role.DIRECTOR:
        raise ValidationError("Only the clinician's supervisor (or a clinical director) co-signs.")
    signature = _signature(version, SignerRole.SUPERVISOR, actor, SUPERVISOR_ATTESTATION, SignatureMethod.CLINIC_SCREEN)
    audit.record(user=actor, action=Action.CREATE, patient=version.patient, obj=signature,
                 detail={"role": SignerRole.SUPERVISOR, "version": version.number})
    _close_tasks(f"plans:cosign:{version.pk}", actor, "Co-signed.")
    return signature


# New versions ----------------------------------------------------------------------------------------


@transaction.atomic
def start_revision(*, actor, plan, reason: str = "") -> PlanVersion:
    """The plan's open draft; otherwise a new draft: the first one prefilled from the admission
    (diagnoses, assessment, default service mix, crisis contacts), later ones copied from the
    current signed version. A later version needs a reason."""
    draft = queries.draft_of(plan)
    if draft is not None:
        return draft
    current = queries.current_version(plan)
    reason = (reason or "").strip()
    if current is None and not plan.versions.exists():
        draft = _new_version(actor, plan, number=1, reason=reason or "First plan after admission.")
        if plan.kind == PlanKind.TREATMENT:
            _prefill_treatment(draft, plan.episode)
        else:
            _prefill_relapse_prevention(draft, plan.episode.program)
        return draft
    if not reason:
        raise ValidationError({"change_reason": "Say why the plan is changing."})
    number = (plan.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    draft = _new_version(actor, plan, number=number, reason=reason, based_on=current)
    if current is not None:
        _copy_content(current, draft)
    return draft


def _copy_content(source, target) -> None:
    """Copy every piece of content, keeping keys so the difference reads as changes."""
    # Not the hours override reason: a new mix outside the band needs its own reason.
    target.reasons_for_recovery = source.reasons_for_recovery
    target.save(update_fields=["reasons_for_recovery"])
    problems = {}
    for problem in source.problems.all():
        old_pk = problem.pk  # _clone gives the object a new primary key
        problems[old_pk] = _clone(problem, target)
    goals = {}
    for goal in source.goals.all():
        old_pk = goal.pk
        goals[old_pk] = _clone(goal, target, problem=problems.get(goal.problem_id))
    for objective in source.objectives.all():
        _clone(objective, target, goal=goals[objective.goal_id])
    for intervention in source.interventions.all():
        _clone(intervention, target, goal=goals.get(intervention.goal_id))
    for line in source.service_lines.all():
        _clone(line, target)
    for item in source.rp_items.all():
        _clone(item, target)


def _clone(item, target, **overrides):
    item.pk = None
    item.id = None
    item._state.adding = True
    item.version = target
    for name, value in overrides.items():
        setattr(item, name, value)
    item.save()
    return item


# Reviews ---------------------------------------------------------------------------------------------


@transaction.atomic
def record_review(
    *, actor, plan, reviewed_on: dt.date, summary: str, progress: dict, reason: str = "scheduled",
    relapse_prevention_reviewed: bool = False, revise: bool = False, revision_reason: str = "",
    context: dict | None = None,
) -> Review:
    """Record a signed review of the current treatment version: progress per objective (every
    objective needs a status), a summary, and optionally start a revision (e.g. a step-down)."""
    version = queries.current_version(plan)
    errors = {}
    if version is None:
        raise ValidationError("There is no signed plan to review yet.")
    if reviewed_on > timezone.localdate():
        errors["reviewed_on"] = "The review date cannot be in the future."
    if not (summary or "").strip():
        errors["summary"] = "Summarise the review: progress, barriers and what changes."
    objectives = list(version.objectives.all())
    missing = [objective for objective in objectives if not (progress.get(objective.pk) or ("",))[0]]
    if missing:
        errors["progress"] = "Give a status for every objective (" + "; ".join(o.text[:40] for o in missing) + ")."
    if revise and not (revision_reason or "").strip():
        errors["revision_reason"] = "Say what the revision changes (e.g. stepping down to two group blocks)."
    if errors:
        raise ValidationError(errors)
    revision = start_revision(actor=actor, plan=plan, reason=revision_reason) if revise else None
    review = Review.objects.create(
        plan=plan, patient=plan.patient, version=version, reviewed_on=reviewed_on, reason=reason,
        summary=summary.strip(), relapse_prevention_reviewed=relapse_prevention_reviewed, revision=revision,
        # What the reviewer was shown (the screen passes it), else the scores as of the review day.
        clinician=actor, context=context if context is not None else queries.review_context(plan, reviewed_on),
        program_of_origin=plan.program_of_origin, security_labels=plan.security_labels,
    )
    for objective in objectives:
        status, note = progress[objective.pk]
        ObjectiveProgress.objects.create(review=review, objective=objective, status=status, note=(note or "").strip())
    if plan.review_requested_on:
        Plan.objects.filter(pk=plan.pk).update(review_requested_on=None, review_requested_reason="")
    audit.record(user=actor, action=Action.CREATE, patient=plan.patient, obj=review,
                 detail={"version": version.number, "revised": bool(revision)})
    _close_tasks(f"plans:review-due:{plan.pk}", actor, "Reviewed.")
    return review


@transaction.atomic
def request_review(*, actor, episode, on: dt.date, reason: str) -> Plan | None:
    """Something (a level-of-care change) makes the treatment plan due for review now."""
    plan = Plan.objects.filter(episode=episode, kind=PlanKind.TREATMENT).first()
    if plan is None or queries.current_version(plan) is None:
        return None
    Plan.objects.filter(pk=plan.pk).update(review_requested_on=on, review_requested_reason=reason[:200])
    plan.refresh_from_db()
    audit.record(user=actor, action=Action.CHANGE, patient=plan.patient, obj=plan,
                 detail={"fields": ["review_requested_on"], "reason": reason[:200]})
    for clinician in queries.primary_clinicians(episode):
        _task_once(actor, clinician, plan, f"plans:review-due:{plan.pk}",
                   "Review the treatment plan", f"{reason}. Review the plan and its service mix with the patient.")
    return plan


def check_overdue(*, today: dt.date | None = None, actor=None) -> int:
    """Put a task on the primary clinician's list for every plan overdue for signing or review
    (once per plan until done). Run nightly (`openiop plans check`). Returns tasks created."""
    today = today or timezone.localdate()
    created = 0
    for state in queries.plan_states(today=today):
        if not state.overdue:
            continue
        topic = f"plans:{'review-due' if state.signed else 'plan-due'}:{state.plan.pk}"
        title = ("Treatment plan review overdue" if state.signed else "Treatment plan overdue")
        detail = f"{state.label}, due {state.due_on:%d %b %Y}."
        for clinician in queries.primary_clinicians(state.plan.episode):
            created += _task_once(actor, clinician, state.plan, topic, title, detail)
    return created


def _task_once(actor, assignee, plan, topic, title, detail) -> int:
    if Task.objects.filter(topic=topic, assignee=assignee, done_at__isnull=True).exists():
        return 0
    create_task(actor=actor, assignee=assignee, kind=TaskKind.REVIEW, patient=plan.patient, title=title,
                detail=detail, due_on=timezone.localdate(), topic=topic)
    return 1


def _close_tasks(topic, actor, resolution) -> None:
    for task in Task.objects.filter(topic=topic, done_at__isnull=True):
        task.done_at = timezone.now()
        task.done_by = actor
        task.resolution = resolution
        task.save(update_fields=["done_at", "done_by", "resolution"])


# Patient proposals (relapse-prevention plan) ---------------------------------------------------------


@transaction.atomic
def propose_change(*, actor, plan, kind: str, text: str, plan_text: str = "", name: str = "",
                   relationship: str = "", phone: str = "", patient_allows_sharing: bool = False) -> Proposal:
    """The patient proposes something for their relapse-prevention plan from the portal."""
    if plan.kind != PlanKind.RELAPSE_PREVENTION:
        raise ValidationError("Changes are proposed to the relapse-prevention plan.")
    if actor.role != Role.PATIENT or actor.patient_id != plan.patient_id:
        raise ValidationError("Only the patient proposes changes to their plan.")
    errors = {}
    if kind not in RPItemKind.values:
        errors["kind"] = "Choose what you want to add."
    if not (text or "").strip():
        errors["text"] = "Write what you would like to add."
    if kind in (RPItemKind.SUPPORT, RPItemKind.CRISIS_CONTACT) and not (name or "").strip():
        errors["name"] = "Give the person's or service's name."
    if kind == RPItemKind.HIGH_RISK and not (plan_text or "").strip():
        errors["plan_text"] = "Write what you will do in that situation (for example, leave early or bring a friend)."
    if errors:
        raise ValidationError(errors)
    proposal = Proposal.objects.create(
        plan=plan, patient=plan.patient, kind=kind, text=text.strip(), plan_text=plan_text.strip(),
        name=name.strip(), relationship=relationship.strip(), phone=phone.strip(), proposed_by=actor,
        patient_allows_sharing=bool(patient_allows_sharing),
        program_of_origin=plan.program_of_origin, security_labels=plan.security_labels,
    )
    audit.record(user=actor, action=Action.CREATE, patient=plan.patient, obj=proposal)
    for clinician in queries.primary_clinicians(plan.episode):
        _task_once(actor, clinician, plan, f"plans:proposal:{plan.pk}", "The patient proposed a change to their "
                   "relapse-prevention plan", "Accept it into the plan or talk it through with them.")
    return proposal


@transaction.atomic
def accept_proposal(*, actor, proposal) -> RPItem:
    """Add the proposed item to the relapse-prevention draft (starting one if needed)."""
    proposal = _lock_open_proposal(proposal)
    draft = start_revision(actor=actor, plan=proposal.plan, reason="Changes the patient proposed.")
    item = RPItem(version=draft, position=draft.rp_items.count(), kind=proposal.kind, text=proposal.text,
                  plan_text=proposal.plan_text, name=proposal.name, relationship=proposal.relationship,
                  phone=proposal.phone, patient_allows_sharing=proposal.patient_allows_sharing)
    _validate_item(draft, "rp_item", item)
    item.full_clean(exclude=["version", "key"])
    item.save()
    audit.record(user=actor, action=Action.CREATE, patient=proposal.patient, obj=item,
                 detail={"version": draft.pk, "from_proposal": proposal.pk})
    _respond(actor, proposal, ProposalStatus.ACCEPTED, "Added to your plan.", added_to=draft)
    return item


@transaction.atomic
def discuss_proposal(*, actor, proposal, response: str) -> Proposal:
    proposal = _lock_open_proposal(proposal)
    if not (response or "").strip():
        raise ValidationError({"response": "Write a short note for the patient about what to talk through."})
    return _respond(actor, proposal, ProposalStatus.DISCUSSED, response.strip())


def _lock_open_proposal(proposal) -> Proposal:
    """Re-read under a lock: a double click or two clinicians must not answer it twice."""
    proposal = Proposal.objects.select_for_update(of=("self",)).select_related("plan").get(pk=proposal.pk)
    if proposal.status != ProposalStatus.OPEN:
        raise ValidationError("This proposal has already been answered.")
    return proposal


def _respond(actor, proposal, status, response, added_to=None) -> Proposal:
    proposal.status = status
    proposal.response = response
    proposal.responded_by = actor
    proposal.responded_at = timezone.now()
    proposal.added_to = added_to
    proposal.save(update_fields=["status", "response", "responded_by", "responded_at", "added_to"])
    audit.record(user=actor, action=Action.CHANGE, patient=proposal.patient, obj=proposal,
                 detail={"fields": ["status"], "status": status})
    if not Proposal.objects.filter(plan=proposal.plan, status=ProposalStatus.OPEN).exists():
        _close_tasks(f"plans:proposal:{proposal.plan_id}", actor, "Proposals answered.")
    return proposal


# Library -------------------------------------------------------------------------------------------


def add_coping_strategy(*, organization, name: str, description: str = "") -> CopingStrategy:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the strategy a name."})
    return CopingStrategy.objects.create(organization=organization, name=name, description=description.strip())
