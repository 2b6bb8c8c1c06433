import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openiop.audit.models import AuditEvent
from openiop.care import services as care_services
from openiop.fhir.export import EXPORT_SECTIONS, build_patient_bundle
from openiop.patients import services as patient_services
from tests.fhir.fhir_helpers import references_in, resources, the, validate_bundle

pytestmark = pytest.mark.django_db


def test_it_exports_a_valid_r4_collection_bundle(patient_record):
    bundle = build_patient_bundle(patient_record)

    validate_bundle(bundle)
    assert bundle["type"] == "collection"
    assert bundle["timestamp"] == bundle["meta"]["lastUpdated"]
    assert all(entry["fullUrl"].startswith("urn:uuid:") for entry in bundle["entry"])


def test_it_includes_every_record_of_the_patient_patient_first(patient_record):
    bundle = build_patient_bundle(patient_record)

    assert [r["resourceType"] for r in resources(bundle)] == [
        "Patient", "EpisodeOfCare", "CareTeam", "Condition", "Coverage",
    ]


def test_it_includes_every_episode_diagnosis_and_coverage_in_a_fixed_order(
    clinic, patient_record, clinician
):
    episode = patient_record.episodes.get()
    care_services.discharge_patient(
        actor=None, episode=episode, discharged_on=dt.date(2026, 11, 1), reason="step_down"
    )
    care_services.admit_patient(
        actor=None, patient=patient_record, program=clinic["mh"], admitted_on=dt.date(2026, 11, 2)
    )
    care_services.add_diagnosis(
        actor=clinician, episode=episode, icd10_code="F41.1",
        description="Generalized anxiety disorder", recorded_on=dt.date(2026, 10, 5),
    )
    patient_services.add_coverage(
        actor=None, patient=patient_record, kind="commercial", payer_name="Aetna", priority=2,
    )

    first = build_patient_bundle(patient_record)
    second = build_patient_bundle(patient_record)

    validate_bundle(first)
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    assert [r["resourceType"] for r in resources(first)] == [
        "Patient", "EpisodeOfCare", "EpisodeOfCare", "CareTeam", "Condition", "Condition",
        "Coverage", "Coverage",
    ]
    episodes = resources(first, "EpisodeOfCare")
    assert [e["period"]["start"] for e in episodes] == ["2026-10-01", "2026-11-02"]
    assert [c["code"]["coding"][0]["code"] for c in resources(first, "Condition")] == [
        "F10.20", "F41.1",
    ]
    assert [c["order"] for c in resources(first, "Coverage")] == [1, 2]


def test_every_reference_resolves_to_an_entry_in_the_bundle(patient_record):
    bundle = build_patient_bundle(patient_record)

    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    references = references_in(bundle)
    assert references
    assert set(references) <= full_urls


def test_each_entry_is_found_at_the_full_url_made_from_its_id(patient_record):
    bundle = build_patient_bundle(patient_record)

    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"


def test_it_links_the_episode_to_its_diagnosis_and_care_team(patient_record):
    bundle = build_patient_bundle(patient_record)
    urls = {e["resource"]["resourceType"]: e["fullUrl"] for e in bundle["entry"]}

    episode = the(bundle, "EpisodeOfCare")
    assert episode["diagnosis"] == [
        {"condition": {"reference": urls["Condition"], "type": "Condition"}, "rank": 1}
    ]
    assert episode["team"] == [{"reference": urls["CareTeam"], "type": "CareTeam"}]
    assert episode["patient"]["reference"] == urls["Patient"]


def test_it_leaves_out_other_patients_records(patient_record, mental_health_patient):
    other = build_patient_bundle(mental_health_patient)
    bundle = build_patient_bundle(patient_record)

    other_urls = {entry["fullUrl"] for entry in other["entry"]}
    assert not other_urls & {entry["fullUrl"] for entry in bundle["entry"]}
    assert "Osei" not in str(bundle)


def test_it_writes_an_export_audit_event_naming_the_exporter(patient_record, clinician):
    bundle = build_patient_bundle(patient_record, user=clinician)

    event = AuditEvent.objects.get(action="export")
    assert (event.user, event.patient) == (clinician, patient_record)
    assert event.detail == {"format": "fhir-r4-json", "resources": len(bundle["entry"])}


def test_it_refuses_a_clinician_outside_the_care_team_and_audits_the_denial(
    patient_record, outsider
):
    with pytest.raises(PermissionDenied):
        build_patient_bundle(patient_record, user=outsider)

    assert not AuditEvent.objects.filter(action="export").exists()
    assert AuditEvent.objects.get(action="denied", patient=patient_record).user == outsider


def test_it_refuses_a_role_that_cannot_see_the_clinical_record_rather_than_leave_it_out(
    patient_record, front_desk
):
    with pytest.raises(PermissionDenied, match="clinical"):
        build_patient_bundle(patient_record, user=front_desk)

    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_patient_may_export_their_own_record(patient_user, patient_record):
    bundle = build_patient_bundle(patient_record, user=patient_user)

    assert the(bundle, "Patient")["identifier"][0]["value"] == patient_record.mrn


def test_it_reads_the_same_number_of_queries_however_many_records(patient_record, clinician):
    def queries_for_export():
        with CaptureQueriesContext(connection) as captured:
            build_patient_bundle(patient_record)
        return len(captured)

    with_one_each = queries_for_export()
    episode = patient_record.episodes.get()
    for code in ("F41.1", "F32.1", "F43.10"):
        care_services.add_diagnosis(
            actor=None, episode=episode, icd10_code=code, description="Another diagnosis",
            recorded_on=dt.date(2026, 10, 2),
        )
    patient_services.add_coverage(
        actor=None, patient=patient_record, kind="self_pay", payer_name="Self", priority=2,
    )

    assert queries_for_export() == with_one_each


def test_each_section_returns_a_list_of_resources_for_the_patient(patient_record):
    for section in EXPORT_SECTIONS:
        found = section(patient_record)
        assert isinstance(found, list)
        assert all("resourceType" in resource and "id" in resource for resource in found)
