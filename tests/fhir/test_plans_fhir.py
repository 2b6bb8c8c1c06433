"""Plans in FHIR: the treatment plan and the relapse-prevention plan as CarePlan and Goal."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openiop.fhir.export import build_patient_bundle, plans_section
from openiop.fhir.mappers import full_url_of
from openiop.fhir.plans import CARE_PLAN_CATEGORY_SYSTEM
from openiop.plans import services
from openiop.plans.models import PlanKind, PlanVersion, Service
from tests.fhir.fhir_helpers import (
    PART2_ENTRY_LABELS,
    references_in,
    resources,
    security,
    validate_bundle,
)
from tests.plans.test_plan_documents import (
    CLINICAL_GOAL,
    PATIENT_WORDS,
    plan_of,
    rp_draft,
    signed_rp_version,
    signed_treatment_version,
)

pytestmark = pytest.mark.django_db


def of_type(found, resource_type):
    return [resource for resource in found if resource["resourceType"] == resource_type]


def step_down(version, clinician) -> PlanVersion:
    """A second version: two group blocks instead of three."""
    draft = services.start_revision(actor=clinician, plan=version.plan, reason="Stepping down to two group blocks")
    group = draft.service_lines.get(service=Service.GROUP)
    services.save_item(actor=clinician, version=draft, part="service_line", item=group, sessions=2)
    services.update_draft(actor=clinician, version=draft, hours_override_reason="Stepping down toward outpatient")
    services.sign_version(actor=clinician, version=draft)
    return PlanVersion.objects.get(pk=draft.pk)


def category_code(care_plan) -> str:
    (found,) = [c["code"] for c in care_plan["category"][0]["coding"] if c["system"] == CARE_PLAN_CATEGORY_SYSTEM]
    return found


def test_the_exported_plans_validate_and_every_reference_resolves(patient_record, clinician):
    first = signed_treatment_version(patient_record, clinician)
    step_down(first, clinician)
    signed_rp_version(patient_record, clinician)
    bundle = build_patient_bundle(patient_record)
    validate_bundle(bundle)
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    for resource in of_type(resources(bundle), "CarePlan") + of_type(resources(bundle), "Goal"):
        assert set(references_in(resource)) <= full_urls
        assert PART2_ENTRY_LABELS.items() <= security(resource).items()


def test_a_superseded_version_is_completed_and_the_new_one_replaces_it(patient_record, clinician):
    first = signed_treatment_version(patient_record, clinician)
    second = step_down(first, clinician)
    care_plans = of_type(plans_section(patient_record), "CarePlan")
    old, new = care_plans
    assert (old["status"], new["status"]) == ("completed", "active")
    assert new["replaces"] == [{"reference": full_url_of(old), "type": "CarePlan"}]
    assert old["period"]["end"] == new["period"]["start"]
    assert new["title"] == "Treatment plan, version 2" and new["description"] == second.change_reason
    assert category_code(new) == "treatment-plan" and new["intent"] == "plan"
    assert new["author"]["display"] == clinician.display_name


def test_the_care_plan_activities_are_the_weekly_service_mix_and_the_interventions(patient_record, clinician):
    second = step_down(signed_treatment_version(patient_record, clinician), clinician)
    care_plan = of_type(plans_section(patient_record), "CarePlan")[-1]
    appointments = {a["detail"]["code"]["text"]: a["detail"] for a in care_plan["activity"]
                    if a["detail"].get("kind") == "Appointment"}
    assert appointments["Group therapy block"]["scheduledTiming"]["repeat"] == {
        "frequency": 2, "period": 1, "periodUnit": "wk", "duration": 180, "durationUnit": "min"}
    assert appointments["Family session"]["scheduledTiming"]["repeat"]["period"] == 2
    assert len(appointments) == second.service_lines.count()
    assert {a["detail"]["status"] for a in care_plan["activity"]} == {"scheduled"}
    (intervention,) = [a["detail"] for a in care_plan["activity"] if "performer" in a["detail"]]
    assert intervention["code"]["text"].startswith("Cognitive behavioural therapy")
    assert intervention["scheduledString"] == "3 groups a week"
    assert intervention["performer"] == [{"type": "Practitioner", "display": clinician.display_name}]
    hours = care_plan["extension"][0]["valueQuantity"]
    assert hours["value"] == float(second.weekly_hours)
    assert care_plan["addresses"][0]["type"] == "Condition"


def test_a_goal_keeps_its_identity_across_versions_with_its_objectives_as_targets(patient_record, clinician):
    first = signed_treatment_version(patient_record, clinician)
    step_down(first, clinician)
    found = plans_section(patient_record)
    (goal,) = of_type(found, "Goal")
    old, new = of_type(found, "CarePlan")
    assert old["goal"] == new["goal"] == [{"reference": full_url_of(goal), "type": "Goal"}]
    assert goal["lifecycleStatus"] == "active"
    assert goal["description"]["text"] == CLINICAL_GOAL
    assert goal["note"] == [{"text": f"In the patient's words: {PATIENT_WORDS}"}]
    attendance, phq9 = goal["target"]
    assert attendance == {"measure": {"text": "Attend 90% of scheduled groups for 4 weeks"}, "dueDate": "2026-11-01"}
    assert phq9["measure"]["coding"][0]["code"] == "44261-6"
    assert phq9["detailQuantity"]["value"] == 10 and phq9["detailQuantity"]["comparator"] == "<"
    assert phq9["dueDate"] == "2026-12-01"


def test_drafts_are_not_exported(patient_record, clinician):
    services.start_revision(actor=clinician, plan=plan_of(patient_record, PlanKind.TREATMENT))
    rp_draft(patient_record, clinician)
    assert plans_section(patient_record) == []


def test_the_relapse_prevention_plan_shares_only_the_support_people_the_patient_allowed(patient_record, clinician):
    signed_rp_version(patient_record, clinician)
    (care_plan,) = of_type(plans_section(patient_record), "CarePlan")
    assert category_code(care_plan) == "relapse-prevention" and care_plan["status"] == "active"
    details = [(a["detail"]["code"]["text"], a["detail"]["description"]) for a in care_plan["activity"]]
    crisis = [text for kind, text in details if kind == "Crisis contact"]
    assert crisis[0].startswith("988 Suicide & Crisis Lifeline: 988")
    assert ("Coping strategy", "Call my sponsor") in details
    assert ("High-risk situation", "Office party. Plan: Bring a sober friend and leave by 8") in details
    assert [text for kind, text in details if kind == "Support person"] == ["Jordan Shared (sister): 555-0100"]
    assert "Morgan Private" not in str(care_plan) and "555-0199" not in str(care_plan)
    notes = [note["text"] for note in care_plan["note"]]
    assert "Trigger (times): Payday Fridays" in notes
    assert "Reasons for recovery, in the patient's words: My kids" in notes


def test_exporting_plans_takes_the_same_queries_for_one_version_or_several(patient_record, clinician):
    first = signed_treatment_version(patient_record, clinician)
    signed_rp_version(patient_record, clinician)
    with CaptureQueriesContext(connection) as one:
        plans_section(patient_record)
    step_down(first, clinician)
    with CaptureQueriesContext(connection) as two:
        plans_section(patient_record)
    assert len(two) == len(one)
