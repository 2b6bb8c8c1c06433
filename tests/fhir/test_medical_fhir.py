"""Medications as MedicationStatement and drug-screen results as Observation, validated with R4B."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openiop.fhir.medications import (
    INTERPRETATION_SYSTEM,
    SUBSTANCE_SYSTEM,
    drug_screens_section,
    medication_statements_section,
)
from openiop.medical import services
from tests.fhir.fhir_helpers import PART2_ENTRY_LABELS, security, validate_resource
from tests.medical.helpers import NOW, buprenorphine, cup, frozen, make_prescriber

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


@pytest.fixture
def prescriber(clinic):
    return make_prescriber(clinic)


def by_name(statements):
    return {s["medicationCodeableConcept"]["text"]: s for s in statements}


def test_medications_export_as_valid_medication_statements(clinician, patient_record, prescriber, patient_user):
    bup = buprenorphine(clinician, patient_record, prescriber)
    services.write_adherence_note(actor=clinician, medication=bup, adherence="missed_doses", text="Ran out Sunday")
    services.add_medication(actor=clinician, patient=patient_record, name="Methadone", dose="80 mg",
                            frequency="once daily", moud="methadone", otp_name="Harbor OTP", source="outside")
    trazodone = services.add_medication(actor=clinician, patient=patient_record, name="Trazodone", dose="50 mg",
                                        frequency="at bedtime", source="patient", started_on=dt.date(2026, 9, 1),
                                        reason="Sleep")
    services.stop_medication(actor=clinician, medication=trazodone, stopped_on=dt.date(2026, 11, 1),
                             reason="Sleeping well")
    wrong = services.add_medication(actor=clinician, patient=patient_record, name="Sertraline", dose="50 mg",
                                    frequency="daily", prescriber=prescriber)
    services.mark_medication_entered_in_error(actor=clinician, medication=wrong, reason="Wrong patient")
    statements = medication_statements_section(patient_record)
    for statement in statements:
        validate_resource(statement)
        assert PART2_ENTRY_LABELS.keys() - {"RedisclosureProhibitionMark"} <= security(statement).keys()
    found = by_name(statements)
    assert found["Buprenorphine/naloxone"]["status"] == "active"
    assert found["Buprenorphine/naloxone"]["informationSource"]["display"] == prescriber.display_name
    assert found["Buprenorphine/naloxone"]["dosage"][0]["route"]["text"] == "Sublingual"
    assert "Ran out Sunday" in found["Buprenorphine/naloxone"]["note"][1]["text"]
    assert found["Methadone"]["informationSource"] == {"type": "Organization", "display": "Harbor OTP"}
    assert found["Trazodone"]["status"] == "completed"
    assert found["Trazodone"]["effectivePeriod"] == {"start": "2026-09-01", "end": "2026-11-01"}
    assert found["Trazodone"]["informationSource"]["type"] == "Patient"
    assert found["Trazodone"]["reasonCode"] == [{"text": "Sleep"}]
    assert found["Sertraline"]["status"] == "entered-in-error"
    assert "coding" not in found["Sertraline"]["medicationCodeableConcept"]


def test_drug_screen_results_export_as_valid_laboratory_observations(clinician, patient_record, prescriber):
    buprenorphine(clinician, patient_record, prescriber)
    cup(clinician, patient_record, when=NOW - dt.timedelta(days=2), buprenorphine="positive", cocaine="positive")
    services.record_drug_screen(actor=clinician, patient=patient_record, specimen="breath", collected_at=NOW,
                                observed=True, panel="breath", results={"alcohol": "positive"},
                                values={"alcohol": "0.020"})
    observations = drug_screens_section(patient_record)
    assert len(observations) == 13
    for observation in observations:
        validate_resource(observation)
        assert observation["category"][0]["coding"][0]["code"] == "laboratory"
        assert PART2_ENTRY_LABELS.keys() - {"RedisclosureProhibitionMark"} <= security(observation).keys()
    by_code = {o["code"]["coding"][0]["code"]: o for o in observations}
    assert by_code["cocaine"]["code"]["coding"][0]["system"] == SUBSTANCE_SYSTEM
    assert by_code["cocaine"]["valueCodeableConcept"]["coding"][0]["code"] == "10828004"
    assert by_code["cocaine"]["interpretation"][0]["coding"][0] == {
        "system": INTERPRETATION_SYSTEM, "code": "unexpected_positive", "display": "Unexpected positive"}
    assert by_code["buprenorphine"]["interpretation"][0]["coding"][0]["code"] == "expected_positive"
    assert "Buprenorphine/naloxone" in by_code["buprenorphine"]["note"][0]["text"]
    assert by_code["thc"]["valueCodeableConcept"]["coding"][0]["code"] == "260385009"
    assert by_code["alcohol"]["valueQuantity"] == {"value": 0.02, "unit": "g/dL", "system": "http://unitsofmeasure.org",
                                                   "code": "g/dL"}
    assert dt.datetime.fromisoformat(by_code["alcohol"]["effectiveDateTime"]) == NOW
    assert "observed collection" in by_code["cocaine"]["specimen"]["display"]
    assert by_code["cocaine"]["performer"][0]["display"] == clinician.display_name


def test_a_corrected_screen_exports_both_result_sets_marked(clinician, patient_record):
    screen = cup(clinician, patient_record, cocaine="positive")
    services.amend_drug_screen(actor=clinician, screen=screen, results={c: "negative" for c in services.rules.CUP_12},
                               reason="Read the wrong line")
    cocaine = [o for o in drug_screens_section(patient_record) if o["code"]["coding"][0]["code"] == "cocaine"]
    assert [o["status"] for o in cocaine] == ["final", "corrected"]
    assert "corrected later" in cocaine[0]["note"][-1]["text"]


def test_a_mental_health_medication_carries_no_part2_label(clinic, clinician):
    from tests.factories.clinic import admit, make_patient

    patient = make_patient(organization=clinic["organization"], program=clinic["mh"], legal_first_name="Rory")
    admit(patient=patient, program=clinic["mh"], clinician=clinician)
    services.add_medication(actor=clinician, patient=patient, name="Sertraline", dose="50 mg", frequency="daily",
                            source="outside", prescriber_name="Dr. Lee")
    (statement,) = medication_statements_section(patient)
    assert "42CFRPart2" not in security(statement) and "N" in security(statement)


def test_the_sections_cost_the_same_for_one_and_many_records(clinician, patient_record, prescriber):
    bup = buprenorphine(clinician, patient_record, prescriber)
    services.write_adherence_note(actor=clinician, medication=bup, adherence="as_prescribed")
    cup(clinician, patient_record, buprenorphine="positive")
    with CaptureQueriesContext(connection) as one:
        medication_statements_section(patient_record)
        drug_screens_section(patient_record)
    for n in range(3):
        medication = services.add_medication(actor=clinician, patient=patient_record, name=f"Med {n}", dose="1 mg",
                                             frequency="daily", prescriber=prescriber)
        services.write_adherence_note(actor=clinician, medication=medication, adherence="as_prescribed")
        cup(clinician, patient_record, when=NOW - dt.timedelta(days=n + 1), buprenorphine="positive")
    with CaptureQueriesContext(connection) as many:
        medication_statements_section(patient_record)
        drug_screens_section(patient_record)
    assert len(many) == len(one)


def test_the_sections_are_in_a_valid_patient_bundle_with_the_part2_notice(clinician, patient_record, prescriber):
    from openiop.fhir import export
    from tests.fhir.fhir_helpers import resources, validate_bundle

    assert {medication_statements_section, drug_screens_section} <= set(export.EXPORT_SECTIONS)
    buprenorphine(clinician, patient_record, prescriber)
    cup(clinician, patient_record, buprenorphine="positive")
    bundle = export.build_patient_bundle(patient_record)
    validate_bundle(bundle)
    assert len(resources(bundle, "MedicationStatement")) == 1
    assert export.bundle_contains_part2(bundle)
