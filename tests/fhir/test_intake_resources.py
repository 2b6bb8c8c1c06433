"""What the intake and admission records add to the export: the episode's planned hours and
level-of-care history, the signed level-of-care assessment as an Observation set, and the
consents signed at admission. Every resource validates with fhir.resources R4B."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openiop.care import services as care_services
from openiop.fhir.export import build_patient_bundle
from openiop.fhir.mappers import (
    LEVEL_OF_CARE_HISTORY_URL,
    PLANNED_WEEKLY_HOURS_URL,
    to_fhir_consent,
    to_fhir_episode_of_care,
    to_fhir_level_of_care_assessment,
)
from openiop.intake import services as intake_services
from openiop.intake.levels import ASAM3
from openiop.privacy.labels import ACT_CODE_SYSTEM, CONFIDENTIALITY_SYSTEM
from tests.fhir.conftest import ASAM3_RATINGS, admit_through_intake
from tests.fhir.fhir_helpers import (
    PART2_ENTRY_LABELS,
    references_in,
    resources,
    security,
    validate_bundle,
    validate_resource,
)

pytestmark = pytest.mark.django_db


def extensions(resource: dict, url: str) -> list[dict]:
    return [extension for extension in resource.get("extension", []) if extension["url"] == url]


def history_entries(resource: dict) -> list[dict]:
    """The level-of-care history as {sub-extension url: value} per entry."""
    return [
        {part["url"]: next(v for k, v in part.items() if k.startswith("value")) for part in entry["extension"]}
        for entry in extensions(resource, LEVEL_OF_CARE_HISTORY_URL)
    ]


def panel_of(bundle: dict) -> dict:
    (panel,) = [r for r in resources(bundle, "Observation") if "hasMember" in r or "component" in r]
    return panel


# --- EpisodeOfCare ---------------------------------------------------------------------------


def test_the_episode_carries_its_planned_hours_stay_and_current_level(admitted_episode):
    resource = to_fhir_episode_of_care(admitted_episode)

    validate_resource(resource)
    (hours,) = extensions(resource, PLANNED_WEEKLY_HOURS_URL)
    assert hours["valueQuantity"] == {
        "value": 10.5, "unit": "hours per week", "system": "http://unitsofmeasure.org", "code": "h/wk",
    }
    (stay,) = extensions(resource, "urn:openiop:fhir:extension:expected-length-of-stay")
    assert stay["valueDuration"]["value"] == 56
    assert stay["valueDuration"]["code"] == "d"
    assert resource["type"][1]["coding"][0]["code"] == "iop"


def test_the_episode_starts_its_level_of_care_history_at_admission(admitted_episode):
    (admission,) = history_entries(to_fhir_episode_of_care(admitted_episode))

    assert admission["level"]["code"] == "iop"
    assert admission["period"] == {"start": "2026-11-02"}
    assert admission["reason"].startswith("Admission after ASAM Criteria, 3rd edition assessment")


def test_a_step_down_closes_the_previous_level_and_opens_the_new_one(admitted_episode, clinician):
    care_services.change_level_of_care(
        actor=clinician, episode=admitted_episode, to_level="op", changed_on=dt.date(2026, 11, 20),
        reason="Stable for three weeks; stepping down to weekly outpatient therapy",
    )
    admitted_episode.refresh_from_db()

    resource = to_fhir_episode_of_care(admitted_episode)

    validate_resource(resource)
    admission, step_down = history_entries(resource)
    assert (admission["level"]["code"], admission["period"]) == (
        "iop", {"start": "2026-11-02", "end": "2026-11-20"},
    )
    assert (step_down["level"]["code"], step_down["period"]) == ("op", {"start": "2026-11-20"})
    assert step_down["level"]["display"] == "Outpatient"
    assert step_down["reason"].startswith("Stable for three weeks")
    assert step_down["clinician"] == {"type": "Practitioner", "display": clinician.display_name}
    assert resource["type"][1]["coding"][0]["code"] == "op"


def test_a_discharge_ends_the_last_level(admitted_episode, clinician):
    care_services.discharge_patient(
        actor=clinician, episode=admitted_episode, discharged_on=dt.date(2026, 11, 21),
        reason="completed",
    )
    (admission,) = history_entries(to_fhir_episode_of_care(admitted_episode))

    assert admission["period"] == {"start": "2026-11-02", "end": "2026-11-21"}


def test_an_episode_without_hours_or_history_has_no_extensions(patient_record):
    resource = to_fhir_episode_of_care(patient_record.episodes.get())

    assert "extension" not in resource


# --- the level-of-care assessment ------------------------------------------------------------


def test_it_exports_the_assessment_as_a_panel_with_one_observation_per_dimension(
    admitted_episode, clinician
):
    assessment = admitted_episode.referral.assessments.get()
    panel, *members = to_fhir_level_of_care_assessment(assessment)

    for resource in (panel, *members):
        validate_resource(resource)
        assert resource["status"] == "final"
        assert resource["category"][0]["coding"][0]["code"] == "survey"
        assert resource["effectiveDateTime"] == assessment.signed_at.isoformat(timespec="seconds")
        assert resource["performer"] == [{"type": "Practitioner", "display": clinician.display_name}]
    assert panel["code"]["text"] == "ASAM 3rd edition level-of-care assessment"
    assert [m["code"]["text"] for m in members] == [d.name for d in ASAM3.dimensions]
    assert [m["valueInteger"] for m in members] == [ASAM3_RATINGS[f"d{n}"]["rating"] for n in range(1, 7)]
    assert members[0]["note"] == [{"text": ASAM3_RATINGS["d1"]["rationale"]}]
    assert [ref["reference"] for ref in panel["hasMember"]] == [f"urn:uuid:{m['id']}" for m in members]
    assert len({panel["id"], *(m["id"] for m in members)}) == 7


def test_the_panel_keeps_the_recommended_and_decided_levels_and_why_they_differ(admitted_episode):
    panel, *_ = to_fhir_level_of_care_assessment(admitted_episode.referral.assessments.get())
    components = {c["code"]["coding"][0]["code"]: c for c in panel["component"]}

    recommended = components["recommended-level"]["valueCodeableConcept"]
    assert recommended["coding"] == [{
        "system": "urn:openiop:asam3-level", "code": "2.5", "display": "Partial hospitalization",
    }]
    assert components["actual-level"]["valueCodeableConcept"]["text"] == "2.1 Intensive outpatient"
    assert components["variance-reason"]["valueString"].startswith("Works days")
    assert "locus-composite" not in components


def test_it_keeps_the_escalations_shown_at_signing_as_notes(patient_record, clinician):
    ratings = dict(ASAM3_RATINGS, d2={"rating": 4, "rationale": "Unstable cardiac condition"})
    assessment = intake_services.sign_assessment(
        actor=clinician, patient=patient_record, framework="asam3", ratings=ratings,
        recommended_level="3.7", actual_level="3.7",
    )

    panel, *_ = to_fhir_level_of_care_assessment(assessment)

    validate_resource(panel)
    (note,) = panel["note"]
    assert "needs a more intensive setting than IOP" in note["text"]


def test_an_unrated_asam4_dimension_says_why_it_has_no_value(patient_record, clinician):
    ratings = {f"d{n}": {"rating": 2, "rationale": "Reviewed."} for n in range(1, 6)}
    ratings["d6"] = {"rationale": "Prefers an evening group near home."}
    assessment = intake_services.sign_assessment(
        actor=clinician, patient=patient_record, framework="asam4", ratings=ratings,
        recommended_level="2.1", actual_level="2.1",
    )

    panel, *members = to_fhir_level_of_care_assessment(assessment)

    validate_resource(members[-1])
    assert panel["code"]["text"] == "ASAM 4th edition level-of-care assessment"
    assert "valueInteger" not in members[-1]
    assert members[-1]["dataAbsentReason"]["coding"][0]["code"] == "not-applicable"
    assert members[-1]["note"] == [{"text": "Prefers an evening group near home."}]


def test_a_locus_assessment_is_a_panel_with_the_composite(patient_record, clinician):
    assessment = intake_services.sign_assessment(
        actor=clinician, patient=patient_record, framework="locus", locus_composite=21,
        recommended_level="L4", actual_level="L4",
    )

    (panel,) = to_fhir_level_of_care_assessment(assessment)

    validate_resource(panel)
    assert "hasMember" not in panel
    components = {c["code"]["coding"][0]["code"]: c for c in panel["component"]}
    assert components["locus-composite"]["valueInteger"] == 21
    assert components["actual-level"]["valueCodeableConcept"]["coding"][0]["system"] == (
        "urn:openiop:locus-level"
    )


def test_only_assessments_about_the_patient_are_exported(admitted_episode, clinic, intake, clinician):
    # A referral still in the pipeline is nobody's patient yet: its assessment stays out.
    other = intake_services.create_referral(
        actor=intake, organization=clinic["organization"], program=clinic["sud"],
        first_name="Noor", last_name="Haddad", phone="555-0170",
    )
    intake_services.sign_assessment(
        actor=clinician, referral=other, framework="asam3", ratings=ASAM3_RATINGS,
        recommended_level="2.1", actual_level="2.1",
    )

    bundle = build_patient_bundle(admitted_episode.patient)

    assert len(resources(bundle, "Observation")) == 7
    assert "Haddad" not in str(bundle)


# --- Consent ---------------------------------------------------------------------------------


def test_it_exports_each_consent_signed_at_admission(admitted_episode):
    consents = {c.kind: to_fhir_consent(c) for c in admitted_episode.consents.all()}

    assert set(consents) == {"treatment", "privacy_notice", "part2_notice", "telehealth"}
    for resource in consents.values():
        validate_resource(resource)
        assert resource["status"] == "active"
        assert resource["dateTime"] == "2026-11-02"
        assert resource.get("policy") or resource.get("policyRule")  # R4 invariant ppc-1
    treatment = consents["treatment"]
    assert treatment["scope"]["coding"][0]["code"] == "treatment"
    assert treatment["category"][0]["text"] == "Consent to treatment"
    assert treatment["provision"] == {"type": "permit", "period": {"start": "2026-11-02"}}
    part2 = consents["part2_notice"]
    assert part2["scope"]["coding"][0]["code"] == "patient-privacy"
    assert part2["policyRule"]["coding"][0]["code"] == "42CFRPart2"
    assert "provision" not in part2
    assert consents["privacy_notice"]["category"][0]["coding"][0]["code"] == "npp"


# --- the Bundle ------------------------------------------------------------------------------


def test_the_bundle_of_an_admitted_referral_validates_and_every_reference_resolves(
    admitted_episode,
):
    bundle = build_patient_bundle(admitted_episode.patient)

    validate_bundle(bundle)
    assert [r["resourceType"] for r in resources(bundle)] == [
        "Patient", "EpisodeOfCare", "CareTeam", "Condition", "Coverage",
        *["Observation"] * 7, *["Consent"] * 4,
    ]
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    assert set(references_in(bundle)) <= full_urls


def test_every_new_resource_of_a_part2_program_carries_the_part2_labels(admitted_episode):
    bundle = build_patient_bundle(admitted_episode.patient)

    for resource in resources(bundle, "Observation") + resources(bundle, "Consent"):
        assert security(resource) == PART2_ENTRY_LABELS, resource["resourceType"]
    assert security(bundle)["R"] == CONFIDENTIALITY_SYSTEM


def test_a_mental_health_admission_exports_its_new_resources_labelled_normal(
    clinic, intake, outsider
):
    episode = admit_through_intake(
        clinic=clinic, intake=intake, clinician=outsider, program_key="mh", last_name="Okoro",
    )

    bundle = build_patient_bundle(episode.patient)

    validate_bundle(bundle)
    new = resources(bundle, "Observation") + resources(bundle, "Consent")
    assert len(new) == 7 + 3
    for resource in new:
        assert security(resource) == {"N": CONFIDENTIALITY_SYSTEM, "BH": ACT_CODE_SYSTEM}


def test_the_bundle_is_the_same_every_time_but_for_its_timestamp(admitted_episode, clinician):
    care_services.change_level_of_care(
        actor=clinician, episode=admitted_episode, to_level="php", changed_on=dt.date(2026, 11, 10),
        reason="Relapse; more structure needed",
    )

    first = build_patient_bundle(admitted_episode.patient)
    second = build_patient_bundle(admitted_episode.patient)

    assert first["entry"] == second["entry"]


def test_it_reads_the_same_number_of_queries_however_many_assessments_levels_and_consents(
    admitted_episode, clinician
):
    patient = admitted_episode.patient

    def queries_for_export():
        with CaptureQueriesContext(connection) as captured:
            build_patient_bundle(patient)
        return len(captured)

    with_one_each = queries_for_export()
    for day, level in ((10, "php"), (17, "iop"), (20, "op")):
        care_services.change_level_of_care(
            actor=clinician, episode=admitted_episode, to_level=level,
            changed_on=dt.date(2026, 11, day), reason="Reviewed with the team",
        )
    for _ in range(2):
        intake_services.sign_assessment(
            actor=clinician, patient=patient, framework="asam3", ratings=ASAM3_RATINGS,
            recommended_level="2.1", actual_level="2.1",
        )
    care_services.record_admission_consent(
        actor=clinician, episode=admitted_episode, kind="family_portal", signed_on=dt.date(2026, 11, 9),
    )

    assert queries_for_export() == with_one_each
    bundle = build_patient_bundle(patient)
    assert len(resources(bundle, "Observation")) == 3 * 7
    assert len(history_entries(resources(bundle, "EpisodeOfCare")[0])) == 4
