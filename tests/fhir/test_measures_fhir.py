"""Measures in FHIR: Questionnaire, QuestionnaireResponse and the total Observation."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openiop.fhir import measures as fhir_measures
from openiop.fhir.export import build_patient_bundle, measures_section
from openiop.fhir.mappers import full_url_of
from openiop.measures import services
from openiop.measures.instruments import ORDINAL_VALUE_URL, builtin_instruments
from openiop.measures.models import Administration, Mode, Status
from tests.fhir.fhir_helpers import (
    PART2_ENTRY_LABELS,
    references_in,
    resources,
    security,
    validate_bundle,
    validate_resource,
)

pytestmark = pytest.mark.django_db

PHQ9 = builtin_instruments()["PHQ-9"]
ANSWERED_ON = dt.date(2026, 11, 20)
MINIMAL = ["0", "1", "2", "0", "0", "1", "0", "0", "0"]
WITH_ITEM_9 = ["1", "1", "2", "1", "0", "1", "0", "0", "2"]


def answered(values):
    return {item.link_id: value for item, value in zip(PHQ9.items, values, strict=False)}


def record_phq9(patient, actor, values=MINIMAL, *, mode=Mode.PAPER, answered_on=ANSWERED_ON):
    return services.record_answers(
        actor=actor, patient=patient, instrument_code="PHQ-9", answers=answered(values),
        mode=mode, answered_on=answered_on,
    )


def export_measures(patient) -> list[dict]:
    return measures_section(patient)


def of_type(found: list[dict], resource_type: str) -> list[dict]:
    return [resource for resource in found if resource["resourceType"] == resource_type]


# --- QuestionnaireResponse -------------------------------------------------------------------


def test_a_completed_phq9_is_a_valid_questionnaire_response_with_coded_scored_answers(
    patient_record, clinician
):
    administration = record_phq9(patient_record, clinician)

    (response,) = of_type(export_measures(patient_record), "QuestionnaireResponse")

    validate_resource(response)
    assert response["questionnaire"] == "https://openiop.org/fhir/Questionnaire/phq-9|1.0.0"
    assert response["status"] == "completed"
    # Entered from a paper form dated earlier: authored is the day the answers were given.
    assert response["authored"] == administration.answered_on.isoformat()
    assert [item["linkId"] for item in response["item"]] == [str(n) for n in range(1, 10)]
    third = response["item"][2]["answer"][0]["valueCoding"]
    assert third["system"] == "http://loinc.org"
    assert third["code"] == PHQ9.item("3").option_for(2).coding.code
    assert third["extension"] == [{"url": ORDINAL_VALUE_URL, "valueDecimal": 2}]


def test_paper_answers_name_the_staff_member_as_author_and_the_patient_as_source(
    patient_record, clinician
):
    record_phq9(patient_record, clinician)

    (response,) = of_type(export_measures(patient_record), "QuestionnaireResponse")

    assert response["author"] == {"type": "Practitioner", "display": clinician.display_name}
    assert response["source"]["type"] == "Patient"
    assert response["subject"] == response["source"]


def test_portal_answers_name_the_patient_as_author(patient_record, patient_user):
    due = Administration.objects.get(patient=patient_record, instrument_code="PHQ-9")
    services.complete_administration(
        actor=patient_user, administration=due, answers=answered(MINIMAL), mode=Mode.PORTAL
    )

    (response,) = of_type(export_measures(patient_record), "QuestionnaireResponse")

    assert response["author"] == response["subject"]
    assert response["author"]["type"] == "Patient"


def test_plain_number_answers_are_exported_as_integers_when_they_have_no_code(patient_record, clinician):
    instrument = fhir_measures.placeholder_instrument(
        Administration(instrument_code="OLD-1", instrument_version="2", answers={"1": 3})
    )

    assert fhir_measures.response_answer(instrument.items[0], 3) == {"valueInteger": 3}


def test_an_entered_in_error_response_and_its_total_leave_with_that_status(patient_record, clinician):
    administration = record_phq9(patient_record, clinician)
    services.mark_entered_in_error(actor=clinician, administration=administration, reason="Wrong patient's form")

    found = export_measures(patient_record)

    (response,) = of_type(found, "QuestionnaireResponse")
    (total,) = of_type(found, "Observation")
    assert response["status"] == "entered-in-error"
    assert total["status"] == "entered-in-error"
    validate_resource(response)
    validate_resource(total)


def test_due_and_started_measures_are_not_exported(patient_record):
    assert Administration.objects.filter(patient=patient_record, status=Status.DUE).exists()

    assert export_measures(patient_record) == []


# --- Observation -----------------------------------------------------------------------------


def test_the_phq9_total_is_a_loinc_survey_observation_derived_from_the_response(
    patient_record, clinician
):
    record_phq9(patient_record, clinician)
    found = export_measures(patient_record)
    (response,) = of_type(found, "QuestionnaireResponse")

    (total,) = of_type(found, "Observation")

    validate_resource(total)
    assert total["status"] == "final"
    assert total["category"][0]["coding"][0]["code"] == "survey"
    assert total["code"]["coding"][0]["system"] == "http://loinc.org"
    assert total["code"]["coding"][0]["code"] == "44261-6"
    assert total["valueInteger"] == 4
    assert total["interpretation"] == [{"text": "Minimal"}]
    assert total["effectiveDateTime"] == "2026-11-20"
    assert total["derivedFrom"] == [{"reference": full_url_of(response), "type": "QuestionnaireResponse"}]
    assert total["subject"] == response["subject"]


def test_gad7_total_carries_its_own_loinc_code(patient_record, clinician):
    services.record_answers(
        actor=clinician, patient=patient_record, instrument_code="GAD-7",
        answers={str(n): 1 for n in range(1, 8)}, mode=Mode.PAPER, answered_on=ANSWERED_ON,
    )

    (total,) = of_type(export_measures(patient_record), "Observation")

    assert total["code"]["coding"][0]["code"] == "70274-6"


def test_a_safety_answer_is_a_note_on_the_total(patient_record, clinician):
    record_phq9(patient_record, clinician, WITH_ITEM_9)

    (total,) = of_type(export_measures(patient_record), "Observation")

    assert any(note["text"].startswith("suicide_risk: ") for note in total["note"])


def test_a_total_without_a_loinc_code_is_coded_in_openiops_system(patient_record, clinician):
    services.record_answers(
        actor=clinician, patient=patient_record, instrument_code="Craving", answers={"1": 6},
        mode=Mode.PAPER, answered_on=ANSWERED_ON,
    )

    (total,) = of_type(export_measures(patient_record), "Observation")

    validate_resource(total)
    assert total["code"]["coding"][0]["system"] == fhir_measures.MEASURE_TOTAL_SYSTEM
    assert total["code"]["coding"][0]["code"] == "Craving"
    assert total["valueInteger"] == 6


def test_subscales_are_components_of_the_total(patient_record, clinician):
    pcl5 = builtin_instruments()["PCL-5"]
    services.record_answers(
        actor=clinician, patient=patient_record, instrument_code="PCL-5",
        answers={item.link_id: 2 for item in pcl5.items}, mode=Mode.PAPER, answered_on=ANSWERED_ON,
    )

    (total,) = of_type(export_measures(patient_record), "Observation")

    validate_resource(total)
    assert len(total["component"]) == len(pcl5.subscales)
    first = total["component"][0]
    assert first["code"]["coding"][0]["system"] == fhir_measures.MEASURE_SUBSCALE_SYSTEM
    assert isinstance(first["valueInteger"], int)


# --- Questionnaire ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(builtin_instruments()))
def test_every_built_in_instrument_is_a_valid_questionnaire(code):
    questionnaire = fhir_measures.to_fhir_questionnaire(builtin_instruments()[code])

    validate_resource(questionnaire)


def test_the_questionnaire_is_the_definition_with_a_bundle_id(patient_record, clinician):
    record_phq9(patient_record, clinician)

    (questionnaire,) = of_type(export_measures(patient_record), "Questionnaire")

    assert questionnaire["url"] == PHQ9.url
    assert questionnaire["item"] == PHQ9.questionnaire["item"]
    assert questionnaire["extension"] == PHQ9.questionnaire["extension"]
    assert questionnaire["id"] != "phq-9"
    assert PHQ9.questionnaire["id"] == "phq-9"  # the definition itself is not changed


# --- security labels -------------------------------------------------------------------------


def test_a_part2_patients_responses_and_totals_carry_the_part2_labels(patient_record, clinician):
    record_phq9(patient_record, clinician)

    found = export_measures(patient_record)

    for resource in of_type(found, "QuestionnaireResponse") + of_type(found, "Observation"):
        assert security(resource) == PART2_ENTRY_LABELS
    (questionnaire,) = of_type(found, "Questionnaire")
    assert "meta" not in questionnaire or not questionnaire["meta"].get("security")


def test_a_mental_health_patients_responses_are_labelled_normal_behavioural_health(
    mental_health_patient, outsider
):
    record_phq9(mental_health_patient, outsider)

    for resource in export_measures(mental_health_patient):
        if resource["resourceType"] != "Questionnaire":
            assert set(security(resource)) == {"N", "BH"}


# --- the patient Bundle ----------------------------------------------------------------------


def test_the_patient_bundle_includes_measures_and_every_reference_resolves(patient_record, clinician):
    record_phq9(patient_record, clinician, answered_on=dt.date(2026, 10, 1))
    record_phq9(patient_record, clinician, WITH_ITEM_9)

    bundle = build_patient_bundle(patient_record)

    validate_bundle(bundle)
    assert len(resources(bundle, "Questionnaire")) == 1
    assert len(resources(bundle, "QuestionnaireResponse")) == 2
    totals = [r for r in resources(bundle, "Observation") if r["code"]["coding"][0]["code"] == "44261-6"]
    assert [total["valueInteger"] for total in totals] == [4, 8]
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] in ("QuestionnaireResponse", "Observation"):
            assert set(references_in(entry["resource"])) <= full_urls


@pytest.mark.parametrize("count", [1, 5])
def test_the_measures_section_uses_the_same_queries_for_1_and_5_administrations(
    patient_record, clinician, count
):
    for day in range(count):
        record_phq9(patient_record, clinician, answered_on=ANSWERED_ON - dt.timedelta(days=7 * day))
    measures_section(patient_record)  # warm the imported-instrument cache

    with CaptureQueriesContext(connection) as captured:
        found = measures_section(patient_record)

    # The administrations (with patient and who entered them) and the organization's imports.
    assert len(captured) == 2
    assert len(of_type(found, "QuestionnaireResponse")) == count
