"""Each mapper on its own: the resource validates with fhir.resources R4B and says what the
record says."""

import datetime as dt

import pytest

from openiop.care import services as care_services
from openiop.fhir.mappers import (
    full_url,
    to_fhir_care_team,
    to_fhir_condition,
    to_fhir_coverage,
    to_fhir_episode_of_care,
    to_fhir_patient,
)
from openiop.patients import services as patient_services
from tests.factories.clinic import make_patient
from tests.fhir.fhir_helpers import validate_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def detailed_patient(clinic):
    return make_patient(
        organization=clinic["organization"], program=clinic["mh"],
        legal_first_name="Samuel", legal_middle_name="J", legal_last_name="Okafor",
        preferred_name="Sam", pronouns="they/them", gender_identity="Non-binary",
        sex_assigned_at_birth="Male", language="Spanish", interpreter_needed=True,
        phone="555-0142", email="sam@example.org", preferred_contact="email",
        address_line="12 Elm St", city="Springfield", state="IL", postal_code="62701",
        emergency_contact_name="Ada Okafor", emergency_contact_relationship="parent",
        emergency_contact_phone="555-0143",
    )


def test_it_maps_the_patient_with_mrn_legal_and_preferred_names(detailed_patient):
    resource = to_fhir_patient(detailed_patient)

    validate_resource(resource)
    (identifier,) = resource["identifier"]
    assert (identifier["system"], identifier["value"]) == ("urn:openiop:mrn", detailed_patient.mrn)
    assert identifier["type"]["coding"][0]["code"] == "MR"
    official, usual = resource["name"]
    assert official == {
        "use": "official", "text": "Samuel J Okafor", "family": "Okafor", "given": ["Samuel", "J"],
    }
    assert (usual["use"], usual["given"]) == ("usual", ["Sam"])
    assert resource["birthDate"] == "1988-04-12"


def test_it_maps_contact_details_language_and_emergency_contact(detailed_patient):
    resource = to_fhir_patient(detailed_patient)

    assert resource["telecom"] == [
        {"system": "phone", "value": "555-0142"},
        {"system": "email", "value": "sam@example.org", "rank": 1},
    ]
    assert resource["address"] == [{
        "use": "home", "line": ["12 Elm St"], "city": "Springfield", "state": "IL",
        "postalCode": "62701",
    }]
    (communication,) = resource["communication"]
    assert communication["language"]["coding"][0]["code"] == "es"
    assert communication["preferred"] is True
    (contact,) = resource["contact"]
    assert contact["relationship"][0]["coding"][0]["code"] == "C"
    assert contact["relationship"][1] == {"text": "Parent"}
    assert contact["name"] == {"text": "Ada Okafor"}
    assert contact["telecom"] == [{"system": "phone", "value": "555-0143"}]


def test_it_keeps_gender_identity_pronouns_and_interpreter_need_in_extensions(detailed_patient):
    resource = to_fhir_patient(detailed_patient)
    extensions = {e["url"].rsplit("/", 1)[1]: e for e in resource["extension"]}

    assert extensions["patient-genderIdentity"]["valueCodeableConcept"] == {"text": "Non-binary"}
    assert extensions["individual-pronouns"]["extension"] == [
        {"url": "value", "valueCodeableConcept": {"text": "they/them"}}
    ]
    assert extensions["patient-interpreterRequired"]["valueBoolean"] is True
    assert extensions["us-core-birthsex"]["valueCode"] == "M"


@pytest.mark.parametrize(
    ("gender_identity", "sex_assigned_at_birth", "gender"),
    [
        ("Woman", "Female", "female"),
        ("Man", "Male", "male"),
        ("Transgender woman", "Male", "female"),
        ("Transgender man", "Female", "male"),
        ("Non-binary", "Female", None),
        ("", "Female", "female"),
        ("", "", None),
    ],
)
def test_it_maps_administrative_gender_only_where_it_maps(
    clinic, gender_identity, sex_assigned_at_birth, gender
):
    patient = make_patient(
        organization=clinic["organization"], program=clinic["mh"],
        gender_identity=gender_identity, sex_assigned_at_birth=sex_assigned_at_birth,
    )
    resource = to_fhir_patient(patient)

    validate_resource(resource)
    assert resource.get("gender") == gender


def test_it_keeps_an_unknown_language_as_text(clinic):
    patient = make_patient(
        organization=clinic["organization"], program=clinic["mh"], language="Klingon"
    )

    (communication,) = to_fhir_patient(patient)["communication"]
    assert communication["language"] == {"text": "Klingon"}


def test_it_maps_the_episode_with_status_type_period_and_organization(clinic, patient_record):
    episode = patient_record.episodes.get()
    care_services.discharge_patient(
        actor=None, episode=episode, discharged_on=dt.date(2026, 11, 20), reason="completed"
    )
    resource = to_fhir_episode_of_care(episode)

    validate_resource(resource)
    assert resource["status"] == "finished"
    assert resource["period"] == {"start": "2026-10-01", "end": "2026-11-20"}
    episode_type, level = resource["type"]
    assert episode_type["coding"][0]["code"] == "sud"
    assert episode_type["text"] == "Adult substance-use IOP"
    assert level["coding"] == [{
        "system": "urn:openiop:level-of-care", "code": "iop", "display": "Intensive outpatient (IOP)",
    }]
    assert resource["managingOrganization"] == {
        "type": "Organization", "display": clinic["organization"].name,
    }
    assert resource["patient"]["reference"] == full_url("Patient", patient_record)


def test_it_ranks_the_primary_diagnosis_first(patient_record):
    episode = patient_record.episodes.get()
    secondary = care_services.add_diagnosis(
        actor=None, episode=episode, icd10_code="F12.20", description="Cannabis dependence",
        recorded_on=dt.date(2026, 9, 1),
    )
    primary = episode.diagnoses.get(is_primary=True)

    diagnoses = to_fhir_episode_of_care(episode)["diagnosis"]
    assert [(d["condition"]["reference"], d["rank"]) for d in diagnoses] == [
        (full_url("Condition", primary), 1), (full_url("Condition", secondary), 2),
    ]


def test_an_episode_without_a_care_team_points_to_no_team(mental_health_patient):
    resource = to_fhir_episode_of_care(mental_health_patient.episodes.get())

    validate_resource(resource)
    assert "team" not in resource
    assert "diagnosis" not in resource


def test_it_maps_a_care_team_with_each_member_role_and_period(patient_record, clinician):
    episode = patient_record.episodes.get()
    resource = to_fhir_care_team(episode)

    validate_resource(resource)
    assert resource["status"] == "active"
    assert resource["subject"]["reference"] == full_url("Patient", patient_record)
    (participant,) = resource["participant"]
    assert participant == {
        "role": [{"text": "Primary clinician"}],
        "member": {"type": "Practitioner", "display": clinician.display_name},
        "period": {"start": "2026-10-01"},
    }


def test_it_maps_a_diagnosis_to_an_icd10_condition(patient_record):
    diagnosis = patient_record.diagnoses.get()
    resource = to_fhir_condition(diagnosis)

    validate_resource(resource)
    assert resource["code"]["coding"] == [{
        "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F10.20",
        "display": "Alcohol dependence, uncomplicated",
    }]
    assert resource["clinicalStatus"]["coding"][0]["code"] == "active"
    assert resource["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert resource["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert resource["recordedDate"] == "2026-10-01"
    assert resource["subject"]["reference"] == full_url("Patient", patient_record)


def test_a_resolved_diagnosis_is_a_resolved_condition(patient_record, clinician):
    episode = patient_record.episodes.get()
    diagnosis = care_services.add_diagnosis(
        actor=clinician, episode=episode, icd10_code="F43.10", description="PTSD",
        recorded_on=dt.date(2026, 10, 2), onset_date=dt.date(2020, 1, 1),
    )
    diagnosis.resolved_on = dt.date(2026, 11, 1)
    resource = to_fhir_condition(diagnosis)

    validate_resource(resource)
    assert resource["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert resource["abatementDateTime"] == "2026-11-01"
    assert resource["onsetDateTime"] == "2020-01-01"
    assert resource["recorder"] == {"type": "Practitioner", "display": clinician.display_name}


def test_it_maps_medicaid_coverage_with_member_id_payer_and_order(patient_record):
    coverage = patient_record.coverages.get()
    resource = to_fhir_coverage(coverage)

    validate_resource(resource)
    assert resource["status"] == "active"
    assert resource["subscriberId"] == "MCD123456"
    assert resource["type"]["coding"][0]["code"] == "2"
    assert resource["type"]["text"] == "Medicaid"
    assert resource["payor"] == [{"type": "Organization", "display": "State Medicaid"}]
    assert resource["beneficiary"]["reference"] == full_url("Patient", patient_record)
    assert resource["relationship"]["coding"][0]["code"] == "self"
    assert resource["order"] == 1


def test_self_pay_coverage_is_paid_by_the_patient(patient_record):
    coverage = patient_services.add_coverage(
        actor=None, patient=patient_record, kind="self_pay", payer_name="Self", priority=2,
        start_date=dt.date(2026, 10, 1), end_date=dt.date(2026, 12, 31),
    )
    resource = to_fhir_coverage(coverage)

    validate_resource(resource)
    assert resource["payor"] == [
        {"reference": full_url("Patient", patient_record), "type": "Patient"}
    ]
    assert resource["type"]["coding"][0]["code"] == "pay"
    assert resource["period"] == {"start": "2026-10-01", "end": "2026-12-31"}


def test_a_subscriber_other_than_the_patient_is_named(patient_record):
    coverage = patient_services.add_coverage(
        actor=None, patient=patient_record, kind="commercial", payer_name="Aetna",
        subscriber_name="Robin Quinlan", group_number="G-77", priority=2,
    )
    resource = to_fhir_coverage(coverage)

    validate_resource(resource)
    assert resource["subscriber"] == {"display": "Robin Quinlan"}
    assert "relationship" not in resource
    assert resource["class"][0]["value"] == "G-77"


def test_an_installation_can_name_its_own_mrn_system(patient_record, settings):
    default_id = to_fhir_patient(patient_record)["id"]
    settings.OPENIOP_FHIR_MRN_SYSTEM = "urn:oid:2.16.840.1.113883.3.9999"

    resource = to_fhir_patient(patient_record)

    assert resource["identifier"][0]["system"] == "urn:oid:2.16.840.1.113883.3.9999"
    assert resource["id"] != default_id
