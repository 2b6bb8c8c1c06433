"""Treatment and relapse-prevention plans in FHIR R4: CarePlan and Goal.

Only signed versions leave the system. A draft is work in progress that may change any minute
and that nobody has agreed to; a receiver would have to replace it on every export. (R4 has a
`draft` status, but sending drafts would make every unsigned edit a disclosure.)

- Each signed version of a plan is one CarePlan. The latest signed version of a current
  episode is `active`; an earlier version, or any version of a finished episode, is
  `completed` (R4 CarePlan.status has no "superseded": completed is "no longer in effect", and
  the newer version says which one it `replaces`).
- Category: OpenIOP's code system https://openiop.org/fhir/CodeSystem/care-plan-category,
  `treatment-plan` or `relapse-prevention`.
- A treatment CarePlan: `addresses` the Conditions of its problems' diagnoses, `goal` its
  Goals, one `activity` per weekly service line (an Appointment with its timing) and one per
  intervention (modality, what, how often, who), and the weekly hours fixed at signing in the
  planned-weekly-hours extension.
- A Goal is one goal of the plan, identified by its stable key across versions, so a goal kept
  in a revision is the same Goal resource (with the newest signed wording). It is `active`
  while the current version has it and `completed` ("no longer being sought") once dropped or
  the episode has ended. Each objective is a `target` with its due date; a PHQ-9 or GAD-7
  objective ("below 10") is coded with the instrument's LOINC total and `detailQuantity` with
  comparator `<`.
- A relapse-prevention CarePlan: coping strategies, high-risk situations with their plans,
  crisis contacts (988 first) and support people the patient allowed to share as activities;
  triggers, warning signs and the reasons for recovery as notes. Support people the patient
  did not allow to share never leave.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from openiop.care.models import EpisodeStatus
from openiop.fhir.mappers import (
    PLANNED_WEEKLY_HOURS_URL,
    UCUM_SYSTEM,
    coding,
    new_resource,
    plain_number,
    practitioner_reference,
    reference,
)
from openiop.measures.instruments import builtin_instruments, normalize_code
from openiop.plans.documents import coping_text, crisis_contacts, shared_supports
from openiop.plans.models import (
    Goal,
    Intervention,
    PlanKind,
    PlanVersion,
    RPItemKind,
    VersionStatus,
)

CARE_PLAN_CATEGORY_SYSTEM = "https://openiop.org/fhir/CodeSystem/care-plan-category"
CARE_PLAN_CATEGORIES = {
    PlanKind.TREATMENT: ("treatment-plan", "Treatment plan"),
    PlanKind.RELAPSE_PREVENTION: ("relapse-prevention", "Relapse-prevention plan"),
}
# Episodes whose plan is still in effect.
CURRENT_EPISODE_STATUSES = (EpisodeStatus.PLANNED, EpisodeStatus.WAITLIST, EpisodeStatus.ACTIVE,
                            EpisodeStatus.ONHOLD)
SCORE_UNIT = {"unit": "score", "system": UCUM_SYSTEM, "code": "{score}"}


def goal_key(goal) -> str:
    return f"plan-goal-{goal.key}"


def signed_versions_prefetch() -> Prefetch:
    """Signed versions with everything the mappers read (a fixed number of queries per export)."""
    return Prefetch(
        "versions",
        queryset=PlanVersion.objects.filter(status=VersionStatus.SIGNED).order_by("number")
        .select_related("signed_by", "patient")
        .prefetch_related(
            "problems__diagnosis",
            Prefetch("goals", queryset=Goal.objects.select_related("problem__diagnosis")
                     .prefetch_related("objectives")),
            Prefetch("interventions", queryset=Intervention.objects.select_related("responsible", "goal")),
            "service_lines",
            "rp_items__coping_strategy",
        ),
        to_attr="signed_versions",
    )


# --- the export section ------------------------------------------------------------------------


def to_fhir_plans(plans) -> list[dict]:
    """Goals, then CarePlans, of the given plans (with `signed_versions` prefetched, oldest
    episode first): each treatment plan's Goals and CarePlans, then each relapse-prevention plan's."""
    plans = list(plans)
    treatment = [p for p in plans if p.kind == PlanKind.TREATMENT]
    relapse_prevention = [p for p in plans if p.kind == PlanKind.RELAPSE_PREVENTION]
    resources: list[dict] = []
    exported_goal_keys: set[str] = set()
    for plan in treatment:
        goals = plan_goals(plan)
        exported_goal_keys |= {goal.key for goal, _ in goals}
        resources.extend(to_fhir_goal(goal, active=active) for goal, active in goals)
        resources.extend(care_plans_of(plan))
    for plan in relapse_prevention:
        resources.extend(care_plans_of(plan, goal_keys=exported_goal_keys))
    return resources


def care_plans_of(plan, *, goal_keys=frozenset()) -> list[dict]:
    versions = plan.signed_versions
    resources = []
    for index, version in enumerate(versions):
        previous = versions[index - 1] if index else None
        following = versions[index + 1] if index + 1 < len(versions) else None
        active = following is None and plan_in_effect(plan)
        if plan.kind == PlanKind.TREATMENT:
            resources.append(to_fhir_treatment_care_plan(version, active=active, replaces=previous,
                                                         replaced_by=following))
        else:
            resources.append(to_fhir_relapse_prevention_care_plan(
                version, active=active, replaces=previous, replaced_by=following, goal_keys=goal_keys))
    return resources


def plan_in_effect(plan) -> bool:
    return plan.episode.status in CURRENT_EPISODE_STATUSES


def plan_goals(plan) -> list[tuple]:
    """Each goal key once, with its newest signed wording, and whether it is still pursued."""
    versions = plan.signed_versions
    newest = {}
    for version in versions:
        for goal in version.goals.all():
            newest[goal.key] = goal
    current_keys = {goal.key for goal in versions[-1].goals.all()} if versions and plan_in_effect(plan) else set()
    first_signed = {}
    for version in versions:
        for goal in version.goals.all():
            first_signed.setdefault(goal.key, version)
    for goal in newest.values():
        goal.first_signed_version = first_signed[goal.key]
    return [(goal, goal.key in current_keys) for goal in newest.values()]


# --- CarePlan: shared head ----------------------------------------------------------------------


def care_plan_head(version, *, active: bool, replaces, replaced_by) -> dict:
    plan = version.plan
    resource = new_resource("CarePlan", version, version.security_labels)
    if replaces is not None:
        resource["replaces"] = [reference("CarePlan", replaces)]
    resource["status"] = "active" if active else "completed"
    resource["intent"] = "plan"
    code, display = CARE_PLAN_CATEGORIES[plan.kind]
    resource["category"] = [{"coding": [coding(CARE_PLAN_CATEGORY_SYSTEM, code, display)], "text": display}]
    resource["title"] = f"{display}, version {version.number}"
    if version.change_reason:
        resource["description"] = version.change_reason
    resource["subject"] = reference("Patient", version.patient)
    resource["period"] = {"start": signed_on(version).isoformat()}
    if replaced_by is not None:
        resource["period"]["end"] = signed_on(replaced_by).isoformat()
    elif not active and plan.episode.discharged_on:
        resource["period"]["end"] = plan.episode.discharged_on.isoformat()
    resource["created"] = timezone.localtime(version.created_at).isoformat(timespec="seconds")
    if version.signed_by is not None:
        resource["author"] = practitioner_reference(version.signed_by)
    return resource


def signed_on(version):
    return timezone.localdate(version.signed_at)


# --- the treatment plan -------------------------------------------------------------------------


def to_fhir_treatment_care_plan(version, *, active: bool, replaces=None, replaced_by=None) -> dict:
    resource = care_plan_head(version, active=active, replaces=replaces, replaced_by=replaced_by)
    if version.weekly_hours is not None:
        resource["extension"] = [{"url": PLANNED_WEEKLY_HOURS_URL, "valueQuantity": {
            "value": plain_number(version.weekly_hours), "unit": "hours per week", "system": UCUM_SYSTEM,
            "code": "h/wk",
        }}]
        # `extension` goes before the other elements, where FHIR's JSON puts it.
        resource = {**{k: resource[k] for k in ("resourceType", "id", "meta", "extension")}, **resource}
    if addresses := condition_references(version):
        resource["addresses"] = addresses
    goals = list(version.goals.all())
    if goals:
        resource["goal"] = [reference("Goal", goal, key=goal_key(goal)) for goal in goals]
    status = "scheduled" if active else "completed"
    activities = [service_activity(line, status) for line in version.service_lines.all()]
    activities += [intervention_activity(intervention, status) for intervention in version.interventions.all()]
    if activities:
        resource["activity"] = activities
    if version.hours_override_reason:
        resource["note"] = [{"text": f"Why these weekly hours: {version.hours_override_reason}"}]
    return resource


def condition_references(version) -> list[dict]:
    seen, references = set(), []
    for problem in version.problems.all():
        if problem.diagnosis is not None and problem.diagnosis.pk not in seen:
            seen.add(problem.diagnosis.pk)
            references.append(reference("Condition", problem.diagnosis))
    return references


def service_activity(line, status: str) -> dict:
    """One line of the weekly service mix: `sessions` appointments of `minutes` every `every_weeks` weeks."""
    return {"detail": {
        "kind": "Appointment",
        "code": {"text": line.get_service_display()},
        "status": status,
        "scheduledTiming": {"repeat": {
            "frequency": line.sessions, "period": line.every_weeks, "periodUnit": "wk",
            "duration": line.minutes, "durationUnit": "min",
        }},
        "description": str(line),
    }}


def intervention_activity(intervention, status: str) -> dict:
    detail = {"code": {"text": intervention.get_modality_display()}}
    if intervention.goal is not None:
        detail["goal"] = [reference("Goal", intervention.goal, key=goal_key(intervention.goal))]
    detail["status"] = status
    detail["scheduledString"] = intervention.frequency
    detail["performer"] = [practitioner_reference(intervention.responsible)]
    if intervention.description:
        detail["description"] = intervention.description
    return {"detail": detail}


# --- Goal ---------------------------------------------------------------------------------------


def to_fhir_goal(goal, *, active: bool) -> dict:
    """A goal of the treatment plan (as last signed). `goal.first_signed_version` gives its start."""
    version = goal.version
    resource = new_resource("Goal", goal, version.security_labels, key=goal_key(goal))
    resource["lifecycleStatus"] = "active" if active else "completed"
    resource["description"] = {"text": goal.clinical_text}
    resource["subject"] = reference("Patient", version.patient)
    first = getattr(goal, "first_signed_version", version)
    resource["startDate"] = signed_on(first).isoformat()
    if targets := [objective_target(objective) for objective in goal.objectives.all()]:
        resource["target"] = targets
    if goal.problem is not None and goal.problem.diagnosis is not None:
        resource["addresses"] = [reference("Condition", goal.problem.diagnosis)]
    if goal.patient_words:
        resource["note"] = [{"text": f"In the patient's words: {goal.patient_words}"}]
    return resource


def objective_target(objective) -> dict:
    """An objective: what is measured (the objective's text, coded when it is a known measure's
    total), the value to get below, and when."""
    measure = {"text": objective.text}
    instrument = builtin_instruments().get(measure_instrument_code(objective.measure_code))
    if instrument is not None and instrument.total_coding is not None:
        measure = {"coding": [instrument.total_coding.as_fhir()], "text": objective.text}
    target = {"measure": measure}
    if objective.measure_code and objective.measure_target is not None:
        target["detailQuantity"] = {"value": objective.measure_target, "comparator": "<", **SCORE_UNIT}
    target["dueDate"] = objective.target_date.isoformat()
    return target


def measure_instrument_code(measure_code: str) -> str:
    """The built-in instrument code a plan's measure code names ("phq9" -> "PHQ-9"), or ""."""
    wanted = normalize_code(measure_code or "")
    return next((code for code in builtin_instruments() if normalize_code(code) == wanted), "") if wanted else ""


# --- the relapse-prevention plan ------------------------------------------------------------------


def to_fhir_relapse_prevention_care_plan(version, *, active: bool, replaces=None, replaced_by=None,
                                         goal_keys=frozenset()) -> dict:
    resource = care_plan_head(version, active=active, replaces=replaces, replaced_by=replaced_by)
    items = list(version.rp_items.all())
    status = "in-progress" if active else "completed"
    activities = []
    for item in items:
        if item.kind == RPItemKind.COPING:
            activities.append(rp_activity("Coping strategy", coping_text(item), status, item, goal_keys))
        elif item.kind == RPItemKind.HIGH_RISK:
            activities.append(rp_activity("High-risk situation", f"{item.text}. Plan: {item.plan_text}", status,
                                          item, goal_keys))
    for contact in crisis_contacts(items):
        text = f"{contact.name}: {contact.phone}" + (f". {contact.note}" if contact.note else "")
        activities.append(rp_activity("Crisis contact", text, status))
    for item in shared_supports(items):
        who = item.name + (f" ({item.relationship})" if item.relationship else "")
        activities.append(rp_activity("Support person", who + (f": {item.phone}" if item.phone else ""), status))
    if activities:
        resource["activity"] = activities
    notes = [{"text": f"Trigger{f' ({item.get_category_display().lower()})' if item.category else ''}: {item.text}"}
             for item in items if item.kind == RPItemKind.TRIGGER]
    notes += [{"text": f"Early warning sign: {item.text}"} for item in items if item.kind == RPItemKind.WARNING_SIGN]
    if version.reasons_for_recovery:
        notes.append({"text": f"Reasons for recovery, in the patient's words: {version.reasons_for_recovery}"})
    if notes:
        resource["note"] = notes
    return resource


def rp_activity(kind: str, text: str, status: str, item=None, goal_keys=frozenset()) -> dict:
    detail = {"code": {"text": kind}}
    if item is not None and item.goal_key and item.goal_key in goal_keys:
        # A link to a treatment-plan goal, by the goal's stable key.
        detail["goal"] = [reference("Goal", None, key=f"plan-goal-{item.goal_key}")]
    detail["status"] = status
    detail["description"] = text
    return {"detail": detail}
