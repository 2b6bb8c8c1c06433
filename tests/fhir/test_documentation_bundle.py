"""The whole patient export once attendance, notes, medications and drug screens exist: a valid
R4B Bundle, every reference resolving inside it, Part 2 labels on each new resource, and nothing
of the other group members in it (Dana Okafor was in the group; Jordan Pike missed it)."""

import json

import pytest
import time_machine

from openiop.fhir.export import build_patient_bundle, bundle_contains_part2
from openiop.fhir.security import is_part2
from tests.documentation.helpers import (
    build_group,
    individual_note,
    one_to_one_session,
    write_group_note,
)
from tests.fhir.fhir_helpers import references_in, resources, validate_bundle
from tests.medical.helpers import buprenorphine, cup, make_prescriber
from tests.scheduling.screens_clinic import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def documented(clinic, clinician, patient_record):
    with time_machine.travel(NOW, tick=False):
        group = build_group(clinic, clinician, patient_record)
        write_group_note(clinician, group)
        session, _ = one_to_one_session(group, patient_record)
        individual_note(clinician, patient_record, session=session, sign=True)
        prescriber = make_prescriber(clinic)
        buprenorphine(clinician, patient_record, prescriber)
        cup(clinician, patient_record, buprenorphine="positive")
    return group


def test_the_export_holds_each_new_kind_of_record_in_a_valid_bundle(documented, patient_record):
    bundle = build_patient_bundle(patient_record)
    validate_bundle(bundle)
    assert len(resources(bundle, "Encounter")) == 2          # the group and the individual session
    assert len(resources(bundle, "DocumentReference")) == 2  # their two signed notes
    assert len(resources(bundle, "MedicationStatement")) == 1
    assert resources(bundle, "Observation")
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    assert set(references_in(bundle)) <= full_urls


def test_every_new_resource_carries_the_part2_labels(documented, patient_record):
    bundle = build_patient_bundle(patient_record)
    assert bundle_contains_part2(bundle)
    for kind in ("Encounter", "DocumentReference", "MedicationStatement"):
        assert all(is_part2(resource) for resource in resources(bundle, kind)), kind


def test_nothing_of_the_other_group_members_is_in_the_export(documented, patient_record):
    text = json.dumps(build_patient_bundle(patient_record))
    for other in (documented["second"], documented["third"]):
        for detail in (other.legal_first_name, other.legal_last_name, other.mrn):
            assert detail not in text
    # Dana's own part of the group note stays in Dana's record.
    assert "Quiet, answered when asked." not in text
