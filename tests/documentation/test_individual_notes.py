"""Individual, family and medication-management notes: templates, times, objectives, codes,
signing, co-signing, addenda and voiding."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from openiop.documentation import services
from openiop.documentation.models import Addendum, Note, NoteSignature, NoteStatus
from openiop.worklist.models import Task, TaskKind
from tests.documentation.helpers import (
    ATTEST,
    individual_note,
    one_to_one_session,
    signed_objectives,
)
from tests.factories.clinic import UserFactory
from tests.scheduling.screens_clinic import at, build_setup

pytestmark = pytest.mark.django_db



@pytest.fixture
def setup(clinic, clinician, patient_record):
    return build_setup(clinic, clinician, patient_record)


def test_a_note_for_a_session_takes_its_times_and_suggests_a_code(setup, clinician, patient_record):
    session, _ = one_to_one_session(setup, patient_record, minutes=50)
    note = services.start_note(actor=clinician, patient=patient_record, kind="individual", template="soap",
                               session=session)
    assert (note.time_in, note.time_out) == (session.starts_at, session.ends_at)
    assert note.minutes == 50 and note.suggested_code == "90834" and note.service_code == "90834"
    assert note.attendance is not None and note.security_labels[:2] == ["R", "42CFRPart2"]


def test_a_session_gets_one_live_note(setup, clinician, patient_record):
    session, _ = one_to_one_session(setup, patient_record)
    note = services.start_note(actor=clinician, patient=patient_record, kind="individual", template="dap",
                               session=session)
    with pytest.raises(ValidationError) as error:
        services.start_note(actor=clinician, patient=patient_record, kind="individual", template="dap", session=session)
    assert "session" in error.value.message_dict
    services.void_draft(actor=clinician, note=note, reason="Wrong template")
    again = services.start_note(actor=clinician, patient=patient_record, kind="individual", template="birp",
                                session=session)
    assert again.pk != note.pk


def test_it_refuses_a_note_for_a_missed_session(setup, clinician, patient_record):
    session, _ = one_to_one_session(setup, patient_record, status="absent_unexcused")
    with pytest.raises(ValidationError) as error:
        services.start_note(actor=clinician, patient=patient_record, kind="individual", template="dap", session=session)
    assert "did not attend" in error.value.message_dict["session"][0]


def test_it_refuses_a_group_note_or_a_wrong_template_here(clinician, patient_record):
    with pytest.raises(ValidationError) as error:
        services.start_note(actor=clinician, patient=patient_record, kind="group", template="group")
    assert "kind" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.start_note(actor=clinician, patient=patient_record, kind="individual", template="group")
    assert "template" in error.value.message_dict


def test_saving_recomputes_minutes_and_the_suggestion(clinician, patient_record):
    note = services.start_note(actor=clinician, patient=patient_record, kind="individual", template="dap")
    assert note.suggested_code == "" and "times" in note.suggestion_reason
    day = dt.date(2026, 11, 30)
    saved = services.save_note(actor=clinician, note=note, body={"data": "d"}, time_in=at(day, 10),
                               time_out=at(day, 10, 12), objectives=[])
    assert saved.minutes == 12 and saved.suggested_code == "" and "under 16 minutes" in saved.suggestion_reason
    saved = services.save_note(actor=clinician, note=note, body={"data": "d"}, time_in=at(day, 10),
                               time_out=at(day, 11), objectives=[])
    assert saved.suggested_code == "90837" and saved.service_code == "90837"


def test_another_code_than_the_suggestion_needs_a_reason(clinician, patient_record):
    note = individual_note(clinician, patient_record)
    kwargs = {"actor": clinician, "note": note, "body": note.body, "time_in": note.time_in, "time_out": note.time_out,
              "objectives": []}
    with pytest.raises(ValidationError) as error:
        services.save_note(**kwargs, service_code="H0004")
    assert "code_reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.save_note(**kwargs, service_code="99999", code_reason="x")
    assert "service_code" in error.value.message_dict
    saved = services.save_note(**kwargs, service_code="H0004", code_reason="State Medicaid wants H-codes")
    assert (saved.suggested_code, saved.service_code, saved.code_reason) == ("90834", "H0004",
                                                                             "State Medicaid wants H-codes")


def test_it_refuses_times_out_before_times_in(clinician, patient_record):
    note = services.start_note(actor=clinician, patient=patient_record, kind="family", template="birp")
    day = dt.date(2026, 11, 30)
    with pytest.raises(ValidationError) as error:
        services.save_note(actor=clinician, note=note, body={}, time_in=at(day, 11), time_out=at(day, 10),
                           objectives=[])
    assert "time_out" in error.value.message_dict


def test_it_links_only_objectives_of_the_patients_signed_plan(clinician, patient_record, setup):
    mine = signed_objectives(patient_record, clinician)
    theirs = signed_objectives(setup["second"], clinician, texts=("Other's objective",))
    note = individual_note(clinician, patient_record)
    kwargs = {"actor": clinician, "note": note, "body": note.body, "time_in": note.time_in, "time_out": note.time_out}
    with pytest.raises(ValidationError) as error:
        services.save_note(**kwargs, objectives=[theirs[0]])
    assert "objectives" in error.value.message_dict
    services.save_note(**kwargs, objectives=[mine[1]])
    assert list(note.objectives.all()) == [mine[1]]


def test_signing_needs_every_section_and_the_times(clinician, patient_record):
    note = services.start_note(actor=clinician, patient=patient_record, kind="individual", template="dap")
    with pytest.raises(ValidationError) as error:
        services.sign_note(actor=clinician, note=note, attestation=ATTEST)
    assert {"data", "assessment", "plan", "time_in"} <= set(error.value.message_dict)


def test_signing_locks_the_note_with_attestation_and_time(clinician, patient_record):
    note = individual_note(clinician, patient_record, sign=True)
    assert note.status == NoteStatus.SIGNED and note.signed_by == clinician
    assert note.attestation == ATTEST and note.signed_at is not None
    assert NoteSignature.objects.get(note=note).role == "author"


def test_only_the_author_signs(clinician, patient_record, director):
    note = individual_note(clinician, patient_record)
    with pytest.raises(ValidationError):
        services.sign_note(actor=director, note=note, attestation=ATTEST)


@pytest.fixture
def associate(clinic, director):
    user = UserFactory(username="associate", role="clinician", organization=clinic["organization"],
                       requires_cosignature=True, supervisor=director)
    user.programs.set([clinic["sud"]])
    return user


def test_a_note_by_an_associate_waits_for_the_supervisors_cosignature(associate, director, clinician, patient_record):
    note = individual_note(associate, patient_record, sign=True)
    assert note.cosign_required and services.awaiting_cosign(note)
    task = Task.objects.get(topic=f"notes:cosign:{note.pk}")
    assert task.assignee == director and task.kind == TaskKind.COSIGN
    with pytest.raises(ValidationError):
        services.cosign_note(actor=clinician, note=note, attestation="I co-sign")
    before = Note.objects.filter(pk=note.pk).values().get()
    services.cosign_note(actor=director, note=note, attestation="I co-sign")
    assert not services.awaiting_cosign(note)
    assert Note.objects.filter(pk=note.pk).values().get() == before
    assert Task.objects.get(pk=task.pk).done_at is not None
    with pytest.raises(ValidationError):
        services.cosign_note(actor=director, note=note, attestation="again")


def test_a_licensed_clinicians_note_needs_no_cosignature(clinician, director, patient_record):
    note = individual_note(clinician, patient_record, sign=True)
    assert not note.cosign_required
    with pytest.raises(ValidationError):
        services.cosign_note(actor=director, note=note, attestation="x")


def test_an_addendum_goes_below_a_signed_note_and_changes_nothing(clinician, patient_record):
    draft = individual_note(clinician, patient_record)
    with pytest.raises(ValidationError):
        services.add_addendum(actor=clinician, note=draft, text="late info", attestation=ATTEST)
    note = individual_note(clinician, patient_record, sign=True)
    before = Note.objects.filter(pk=note.pk).values().get()
    with pytest.raises(ValidationError) as error:
        services.add_addendum(actor=clinician, note=note, text=" ", attestation=ATTEST)
    assert "text" in error.value.message_dict
    addendum = services.add_addendum(actor=clinician, note=note, text="Patient called: slept better.",
                                     attestation=ATTEST)
    assert Note.objects.filter(pk=note.pk).values().get() == before
    assert addendum.security_labels == note.security_labels and addendum.patient == patient_record
    with pytest.raises(ValidationError):
        addendum.text = "changed"
        addendum.save()
    with pytest.raises(ValidationError):
        Addendum.objects.get(pk=addendum.pk).delete()


def test_voiding_keeps_the_draft_with_its_reason(clinician, patient_record):
    note = individual_note(clinician, patient_record)
    with pytest.raises(ValidationError) as error:
        services.void_draft(actor=clinician, note=note, reason="")
    assert "reason" in error.value.message_dict
    services.void_draft(actor=clinician, note=note, reason="Wrong patient")
    note.refresh_from_db()
    assert note.status == NoteStatus.VOIDED and note.void_reason == "Wrong patient"
    with pytest.raises(ValidationError):
        services.save_note(actor=clinician, note=note, body={}, time_in=None, time_out=None, objectives=[])


def test_a_family_note_without_the_patient_suggests_90846(clinician, patient_record):
    note = services.start_note(actor=clinician, patient=patient_record, kind="family", template="dap")
    day = dt.date(2026, 11, 30)
    saved = services.save_note(actor=clinician, note=note, body={}, time_in=at(day, 10), time_out=at(day, 10, 50),
                               objectives=[], patient_present=False)
    assert saved.suggested_code == "90846"


def test_writes_are_audited(clinician, patient_record):
    from openiop.audit.models import AuditEvent

    note = individual_note(clinician, patient_record, sign=True)
    actions = list(AuditEvent.objects.filter(patient=patient_record, object_id=str(note.pk),
                                             object_type="documentation.note").values_list("action", flat=True))
    assert actions.count("create") == 1 and actions.count("change") >= 2
