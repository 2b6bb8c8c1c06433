import json

import pytest

from openiop.audit.models import AuditEvent
from openiop.fhir.export import build_patient_bundle
from openiop.fhir.security import DISPLAY_EXTENSION_URL, SecurityLabelError, security_coding
from openiop.privacy.labels import (
    ACT_CODE_SYSTEM,
    CONFIDENTIALITY_SYSTEM,
    PART2_SHORT_NOTICE,
    SEC_LABEL_BASIS_URL,
)
from tests.fhir.fhir_helpers import (
    PART2_ENTRY_LABELS,
    resources,
    security,
    the,
    validate_bundle,
)

pytestmark = pytest.mark.django_db



def test_it_labels_every_part2_entry_with_the_redisclosure_refrain(patient_record):
    bundle = build_patient_bundle(patient_record)

    validate_bundle(bundle)
    for resource in resources(bundle):
        assert security(resource) == PART2_ENTRY_LABELS, resource["resourceType"]
        assert all(coding["display"] for coding in resource["meta"]["security"])


def test_it_names_42_cfr_part_2_as_the_basis_of_each_restricted_label(patient_record):
    bundle = build_patient_bundle(patient_record)

    for resource in resources(bundle):
        (restricted,) = [c for c in resource["meta"]["security"] if c["code"] == "R"]
        (basis,) = restricted["extension"]
        assert basis["url"] == SEC_LABEL_BASIS_URL
        assert (basis["valueCoding"]["system"], basis["valueCoding"]["code"]) == (
            ACT_CODE_SYSTEM, "42CFRPart2",
        )


def test_it_labels_the_bundle_with_the_high_water_mark_only(patient_record):
    bundle = build_patient_bundle(patient_record)

    assert security(bundle) == {"R": CONFIDENTIALITY_SYSTEM, "42CFRPart2": ACT_CODE_SYSTEM}


def test_it_carries_the_part2_notice_where_a_receiver_renders_it(patient_record):
    bundle = build_patient_bundle(patient_record)

    notice = {"url": DISPLAY_EXTENSION_URL, "valueAnnotation": {"text": PART2_SHORT_NOTICE}}
    assert bundle["meta"]["extension"] == [notice]
    for resource in resources(bundle):
        assert resource["meta"]["extension"] == [notice]
    narrative = the(bundle, "Patient")["text"]
    assert narrative["status"] == "additional"
    assert narrative["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
    assert PART2_SHORT_NOTICE in narrative["div"]


def test_it_labels_a_mental_health_record_normal_without_part2_codes_or_notice(
    mental_health_patient,
):
    bundle = build_patient_bundle(mental_health_patient)

    validate_bundle(bundle)
    for resource in resources(bundle):
        assert security(resource) == {"N": CONFIDENTIALITY_SYSTEM, "BH": ACT_CODE_SYSTEM}
    assert security(bundle) == {"N": CONFIDENTIALITY_SYSTEM}
    assert "text" not in the(bundle, "Patient")
    assert PART2_SHORT_NOTICE not in json.dumps(bundle)
    assert "42CFRPart2" not in json.dumps(bundle)


def test_one_part2_record_makes_the_bundle_restricted_and_carry_the_notice(mixed_patient):
    bundle = build_patient_bundle(mixed_patient)

    validate_bundle(bundle)
    assert security(the(bundle, "Patient")) == {"N": CONFIDENTIALITY_SYSTEM, "BH": ACT_CODE_SYSTEM}
    mental_health_episode, part2_episode = resources(bundle, "EpisodeOfCare")
    assert "42CFRPart2" not in security(mental_health_episode)
    assert security(part2_episode) == PART2_ENTRY_LABELS
    assert security(bundle) == {"R": CONFIDENTIALITY_SYSTEM, "42CFRPart2": ACT_CODE_SYSTEM}
    assert PART2_SHORT_NOTICE in the(bundle, "Patient")["text"]["div"]
    assert bundle["meta"]["extension"][0]["valueAnnotation"]["text"] == PART2_SHORT_NOTICE


def test_it_refuses_to_guess_a_code_system_for_an_unknown_label():
    with pytest.raises(SecurityLabelError, match="XYZ"):
        security_coding("XYZ")


def test_it_stops_the_export_of_a_record_without_a_confidentiality_label(patient_record):
    # Labels are set at creation and not editable; this stands for a row written around the
    # services (a bad import, a hand edit in the database).
    patient_record.diagnoses.update(security_labels=["SUD"])

    with pytest.raises(SecurityLabelError, match="care.diagnosis"):
        build_patient_bundle(patient_record)

    assert not AuditEvent.objects.filter(action="export").exists()
