"""Reads of plans. Patient data goes through `visible_to(user)`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Prefetch, Value, When
from django.utils import timezone

from openiop.care.models import CareTeamMember, CareTeamRole, EpisodeOfCare, EpisodeStatus
from openiop.plans.models import (
    Plan,
    PlanKind,
    PlanVersion,
    Review,
    ServiceLine,
    SignerRole,
    VersionStatus,
)

CURRENT_STATUSES = (EpisodeStatus.ACTIVE, EpisodeStatus.ONHOLD)
# After a level-of-care change the treatment plan is reviewed within this many days.
REVIEW_AFTER_CHANGE_DAYS = 7


def current_version(plan) -> PlanVersion | None:
    """The latest signed version: what the care team works from and scheduling books."""
    return plan.versions.filter(status=VersionStatus.SIGNED).order_by("-number").first()


def draft_of(plan) -> PlanVersion | None:
    return plan.versions.filter(status=VersionStatus.DRAFT).order_by("-number").first()


def plans_for_patient(user, patient):
    """The patient's plans the user may see, newest episode first, with their versions."""
    return (
        Plan.objects.visible_to(user).filter(patient=patient)
        .select_related("episode__program")
        .prefetch_related(Prefetch("versions", queryset=PlanVersion.objects.order_by("-number")))
        # The treatment plan first, then the relapse-prevention plan, newest episode first.
        .order_by("-episode__admitted_on", "episode_id",
                  Case(When(kind=PlanKind.TREATMENT, then=Value(0)), default=Value(1)))
    )


def latest_assessment(episode):
    from openiop.intake.models import LevelOfCareAssessment

    if episode.referral_id:
        found = LevelOfCareAssessment.objects.filter(referral_id=episode.referral_id).order_by("-signed_at").first()
        if found is not None:
            return found
    return LevelOfCareAssessment.objects.filter(patient=episode.patient).order_by("-signed_at").first()


def primary_clinicians(episode) -> list:
    members = CareTeamMember.objects.filter(
        episode=episode, role=CareTeamRole.PRIMARY_CLINICIAN, end_date__isnull=True).select_related("user")
    return [member.user for member in members if member.user.is_active]


def service_mix(episode) -> list[ServiceLine]:
    """The intended weekly services of the episode's current treatment plan (for scheduling)."""
    plan = Plan.objects.filter(episode=episode, kind=PlanKind.TREATMENT).first()
    version = current_version(plan) if plan else None
    return list(version.service_lines.all()) if version else []


# Due dates and states ---------------------------------------------------------------------------------


@dataclass
class PlanState:
    plan: Plan
    signed: bool                  # a signed version exists
    due_on: dt.date | None        # first signature or next review
    overdue: bool
    label: str
    awaiting: list[str] = field(default_factory=list)   # signatures still missing on the current version


def next_review_on(plan, first_signed: PlanVersion | None, last_review: Review | None) -> dt.date | None:
    """From the last review, or the first signature: signing a small revision does not reset
    the review clock (only a review does)."""
    if first_signed is None:
        return None
    since = last_review.reviewed_on if last_review else timezone.localdate(first_signed.signed_at)
    due = since + dt.timedelta(days=plan.review_every_days)
    if plan.review_requested_on:
        # A level-of-care change: review within a week of it (the task is created at once).
        requested_due = plan.review_requested_on + dt.timedelta(days=REVIEW_AFTER_CHANGE_DAYS)
        due = min(due, requested_due)
    return due


def state_of(plan, *, today: dt.date | None = None, versions=None, reviews=None) -> PlanState:
    today = today or timezone.localdate()
    versions = list(versions if versions is not None else plan.versions.all())
    signed = [v for v in versions if v.status == VersionStatus.SIGNED]
    current = max(signed, key=lambda v: v.number) if signed else None
    reviews = list(reviews if reviews is not None else plan.reviews.all())
    last_review = max(reviews, key=lambda r: (r.reviewed_on, r.pk)) if reviews else None
    if current is None:
        return PlanState(plan=plan, signed=False, due_on=plan.due_on, overdue=plan.due_on < today,
                         label="Not signed yet" if plan.due_on >= today else "Overdue: not signed")
    awaiting = []
    roles = {signature.role for signature in current.signatures.all()}
    if SignerRole.PATIENT not in roles:
        awaiting.append("patient")
    if current.signed_by and current.signed_by.requires_cosignature and SignerRole.SUPERVISOR not in roles:
        awaiting.append("supervisor")
    if plan.kind != PlanKind.TREATMENT:
        return PlanState(plan=plan, signed=True, due_on=None, overdue=False, label="Signed", awaiting=awaiting)
    due = next_review_on(plan, min(signed, key=lambda v: v.number), last_review)
    overdue = due is not None and due < today
    if plan.review_requested_on and not overdue:
        label = f"Review due: {plan.review_requested_reason or 'requested'}"
    else:
        label = "Review overdue" if overdue else "Signed"
    return PlanState(plan=plan, signed=True, due_on=due, overdue=overdue, label=label, awaiting=awaiting)


def plan_states(*, today: dt.date | None = None, user=None) -> list[PlanState]:
    """States of the treatment plans of current episodes (all, or those visible to `user`)."""
    plans = Plan.objects.filter(kind=PlanKind.TREATMENT, episode__status__in=CURRENT_STATUSES)
    if user is not None:
        plans = Plan.objects.visible_to(user).filter(kind=PlanKind.TREATMENT, episode__status__in=CURRENT_STATUSES)
    plans = plans.select_related("patient", "episode__program").prefetch_related(
        Prefetch("versions", queryset=PlanVersion.objects.select_related("signed_by").prefetch_related("signatures")),
        "reviews",
    ).order_by("due_on", "id")
    return [state_of(plan, today=today, versions=plan.versions.all(), reviews=plan.reviews.all()) for plan in plans]


def compliance(user, *, today: dt.date | None = None) -> list[PlanState]:
    """The director's list: treatment plans not signed by their due day, reviews overdue, and
    signed plans still waiting for the patient's or a supervisor's signature."""
    return [state for state in plan_states(today=today, user=user) if state.overdue or state.awaiting
            or state.plan.review_requested_on]


def review_context(plan, on: dt.date) -> dict:
    """What a reviewer sees beside the objectives: the latest measure scores (and, once the
    documentation issue brings attendance, attended hours). Stored with the review as shown."""
    from openiop.measures.models import Administration, Status

    latest = {}
    for administration in (
        Administration.objects.filter(patient=plan.patient, status=Status.COMPLETED, answered_on__lte=on)
        .order_by("answered_on", "id")
    ):
        latest[administration.instrument_code] = {
            "total": administration.total, "severity": administration.severity,
            "answered_on": administration.answered_on.isoformat(),
        }
    return {"measures": latest}


# Differences between versions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    section: str
    change: str        # "added", "removed", "changed"
    before: str
    after: str


SECTIONS = (
    ("problems", "Problems"), ("goals", "Goals"), ("objectives", "Objectives"),
    ("interventions", "Interventions"), ("service_lines", "Weekly services"), ("rp_items", "Relapse prevention"),
)


def describe(version) -> dict[str, dict[str, str]]:
    """Each section of a version as {stable key: one line of text}, for comparing versions."""
    return {
        "problems": {p.key: _line(p.statement, p.get_asam_dimension_display() if p.asam_dimension else "")
                     for p in version.problems.all()},
        "goals": {g.key: _line(g.clinical_text, f"in their words: {g.patient_words}" if g.patient_words else "")
                  for g in version.goals.all()},
        "objectives": {o.key: _line(o.text, f"by {o.target_date:%d %b %Y}") for o in version.objectives.all()},
        "interventions": {i.key: _line(i.get_modality_display(), i.frequency, i.description,
                                       f"responsible: {i.responsible.display_name}")
                          for i in version.interventions.select_related("responsible")},
        "service_lines": {s.key: str(s) for s in version.service_lines.all()},
        "rp_items": {r.key: _line(r.get_kind_display(), r.get_category_display() if r.category else "", r.text,
                                  r.coping_strategy.name if r.coping_strategy else "", r.plan_text, r.name,
                                  r.relationship, r.phone,
                                  "shared on printed copies" if r.kind == "support" and r.patient_allows_sharing else "",
                                  f"goal {r.goal_key[:6]}" if r.goal_key else "",
                                  str(r.curriculum_module) if r.curriculum_module else "")
                     for r in version.rp_items.select_related("coping_strategy", "curriculum_module")},
    }


def _line(*parts) -> str:
    return " · ".join(part for part in parts if part)


def differences(before: PlanVersion | None, after: PlanVersion) -> list[Difference]:
    old = describe(before) if before else {name: {} for name, _ in SECTIONS}
    new = describe(after)
    found = []
    for name, title in SECTIONS:
        for key, text in new[name].items():
            if key not in old[name]:
                found.append(Difference(title, "added", "", text))
            elif old[name][key] != text:
                found.append(Difference(title, "changed", old[name][key], text))
        for key, text in old[name].items():
            if key not in new[name]:
                found.append(Difference(title, "removed", text, ""))
    if before is not None and before.weekly_hours != after.weekly_hours and after.weekly_hours is not None:
        found.append(Difference("Weekly services", "changed", f"{before.weekly_hours} hours a week",
                                f"{after.weekly_hours} hours a week"))
    return found


def episodes_without_plans(user):
    """Current episodes the user can see that have no treatment plan at all (admitted before
    plans existed); the director's list offers to open them."""
    return (
        EpisodeOfCare.objects.visible_to(user).filter(status__in=CURRENT_STATUSES)
        .exclude(plans__kind=PlanKind.TREATMENT).select_related("patient", "program")
    )
