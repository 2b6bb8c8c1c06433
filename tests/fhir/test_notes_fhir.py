"""Clinical notes in FHIR: one DocumentReference per signed note, carrying only this patient's
note (a group note's shared part and their own part), addenda that append to it, Part 2 labels;
drafts never leave."""

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openiop.documentation import services
from openiop.fhir.export import EXPORT_SECTIONS
from openiop.fhir.mappers import full_url_of
from openiop.fhir.notes import notes_section
from tests.documentation.helpers import (
    ATTEST,
    build_group,
    individual_note,
    signed_objectives,
    write_group_note,
)
from tests.fhir.fhir_helpers import PART2_ENTRY_LABELS, references_in, security, validate_resource
from tests.scheduling.screens_clinic import frozen

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


@pytest.fixture
def group(clinic, clinician, patient_record):
    return build_group(clinic, clinician, patient_record)


def _text(resource) -> str:
    return base64.b64decode(resource["content"][0]["attachment"]["data"]).decode("utf-8")


def test_a_signed_group_note_is_a_document_reference_with_only_this_patients_part(group, clinician,
                                                                                    patient_record):
    objectives = signed_objectives(patient_record, clinician)
    from tests.documentation.helpers import part

    write_group_note(clinician, group, avery_part=part(participation="Led the check-in.",
                                                       objectives=[objectives[0].pk]))
    (resource,) = notes_section(patient_record)
    validate_resource(resource)
    assert resource["resourceType"] == "DocumentReference"
    assert resource["status"] == "current" and resource["docStatus"] == "final"
    assert resource["type"]["coding"][0]["code"] == "11506-3"
    assert resource["subject"]["reference"].startswith("urn:uuid:")
    assert resource["author"] == [{"type": "Practitioner", "display": clinician.display_name}]
    assert resource["context"]["period"]["start"].startswith("2026-11-25T")
    text = _text(resource)
    assert "The group mapped personal triggers" in text and "Led the check-in." in text
    assert "Attend 90% of groups" in text
    assert "Quiet, answered when asked." not in text
    for name in ("Dana", "Okafor", "Jordan", "Pike"):
        assert name not in text
    assert security(resource).items() >= PART2_ENTRY_LABELS.items()


def test_drafts_never_leave(clinician, patient_record):
    individual_note(clinician, patient_record)
    assert notes_section(patient_record) == []


def test_an_addendum_appends_to_its_note(clinician, patient_record):
    note = individual_note(clinician, patient_record, sign=True)
    services.add_addendum(actor=clinician, note=note, text="Called back: sleeping better.", attestation=ATTEST)
    note_resource, addendum = notes_section(patient_record)
    validate_resource(addendum)
    assert addendum["relatesTo"] == [{"code": "appends", "target": {"reference": full_url_of(note_resource),
                                                                     "type": "DocumentReference"}}]
    assert "Called back: sleeping better." in _text(addendum)
    assert "Called back: sleeping better." in _text(note_resource)
    assert addendum["id"] != note_resource["id"]


def test_a_cosigned_note_names_the_supervisor_as_authenticator(clinic, director, patient_record):
    from tests.factories.clinic import UserFactory

    associate = UserFactory(username="associate", role="clinician", organization=clinic["organization"],
                            requires_cosignature=True, supervisor=director)
    associate.programs.set([clinic["sud"]])
    note = individual_note(associate, patient_record, sign=True)
    services.cosign_note(actor=director, note=note, attestation="I co-sign")
    (resource,) = notes_section(patient_record)
    assert resource["authenticator"]["display"] == director.display_name


def test_every_reference_resolves_in_a_bundle_with_the_notes(group, clinician, patient_record):
    write_group_note(clinician, group)
    notes = notes_section(patient_record)
    assert notes[0]["context"]["encounter"] and notes[0]["context"]["related"]
    entries = [resource for section in EXPORT_SECTIONS for resource in section(patient_record)]
    entries += [note for note in notes if note["id"] not in {resource["id"] for resource in entries}]
    urls = {full_url_of(resource) for resource in entries}
    for resource in entries:
        assert set(references_in(resource)) <= urls


def test_the_section_costs_the_same_for_one_and_many_notes(clinician, patient_record):
    individual_note(clinician, patient_record, sign=True)

    def count():
        with CaptureQueriesContext(connection) as captured:
            notes_section(patient_record)
        return len(captured)

    one = count()
    for _ in range(3):
        note = individual_note(clinician, patient_record, sign=True)
        services.add_addendum(actor=clinician, note=note, text="More.", attestation=ATTEST)
    assert count() == one
