"""Group notes: the shared part written once, each present member's own part, nothing of
another member in anyone's chart."""

import pytest
from django.core.exceptions import ValidationError

from openiop.documentation import rules, services
from openiop.documentation.models import GroupNote, Note, NoteSignature, NoteStatus
from openiop.patients import services as patient_services
from tests.documentation.helpers import (
    ATTEST,
    part,
    shared,
    signed_objectives,
    write_group_note,
)

pytestmark = pytest.mark.django_db




def test_it_gives_each_present_member_a_complete_note_of_their_own(group, clinician, patient_record):
    note, avery, dana = write_group_note(clinician, group)
    assert note.status == NoteStatus.SIGNED
    assert avery.status == dana.status == NoteStatus.SIGNED
    assert avery.patient == patient_record and dana.patient == group["second"]
    avery_text = rules.note_text(avery)
    assert "The group mapped personal triggers" in avery_text
    assert "Led the check-in." in avery_text
    assert "Quiet, answered when asked." not in avery_text
    assert "Dana" not in avery_text and "Okafor" not in avery_text
    dana_text = rules.note_text(dana)
    assert "Led the check-in." not in dana_text and "Avery" not in dana_text and "Quinlan" not in dana_text


def test_it_gives_absent_members_no_note(group, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    with pytest.raises(ValidationError) as error:
        services.save_member_part(actor=clinician, group_note=note, attendance=group["jordan"], **part())
    assert "attendance" in error.value.message_dict
    assert "absent members get no note" in error.value.message_dict["attendance"][0]
    write_group_note(clinician, group)
    assert not Note.objects.filter(patient=group["third"]).exists()


def test_it_refuses_a_shared_part_that_names_a_member(group, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    with pytest.raises(ValidationError) as error:
        services.save_group_note(actor=clinician, group_note=note,
                                 **shared(summary="Ave and the others mapped triggers; jordan was missed."))
    message = error.value.message_dict["summary"][0]
    assert message.startswith("The summary names a group member (")
    assert "Ave" in message and "Jordan" in message
    note.refresh_from_db()
    assert note.summary == ""


def test_it_refuses_a_member_part_naming_another_member_but_not_their_own_name(group, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    with pytest.raises(ValidationError) as error:
        services.save_member_part(actor=clinician, group_note=note, attendance=group["avery"],
                                  **part(participation="Gave OKAFOR supportive feedback."))
    assert "Okafor" in error.value.message_dict["participation"][0]
    own = services.save_member_part(actor=clinician, group_note=note, attendance=group["avery"],
                                    **part(participation="Avery led the check-in."))
    assert own.body["participation"] == "Avery led the check-in."


def test_whole_words_only_count_as_names(group, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    saved = services.save_group_note(actor=clinician, group_note=note,
                                     **shared(summary="Averyone shared; the pikes were discussed as metaphors? No: "
                                                      "avenues of support."))
    assert "avenues" in saved.summary


def test_adding_a_member_part_never_touches_another_members_note(group, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    services.save_group_note(actor=clinician, group_note=note, **shared())
    avery = services.save_member_part(actor=clinician, group_note=note, attendance=group["avery"], **part())
    before = Note.objects.filter(pk=avery.pk).values().get()
    services.save_member_part(actor=clinician, group_note=note, attendance=group["dana"], **part(mood_affect="Flat."))
    services.sign_group_note(actor=clinician, group_note=note, attestation=ATTEST)
    after_sign = Note.objects.filter(pk=avery.pk).values().get()
    # Signing changes the signing fields of each part, nothing else.
    changed = {key for key in before if before[key] != after_sign[key]}
    assert changed <= {"status", "signed_by_id", "signed_at", "attestation", "cosign_required"}
    # A late part after signing: Avery's note stays exactly as signed.
    from openiop.attendance import services as attendance
    from openiop.scheduling.models import Attendee
    from tests.factories.clinic import admit, make_patient

    late = make_patient(organization=group["organization"], program=group["sud"], legal_first_name="Lee",
                        legal_last_name="Marsh")
    admit(patient=late, program=group["sud"])
    episode = late.episodes.get()
    row = Attendee(session=group["session"], patient=late, episode=episode)
    row.label_for_program(group["sud"])
    row.save()
    record = attendance.record_attendance(actor=clinician, attendee=row, status="present")
    services.save_member_part(actor=clinician, group_note=note, attendance=record, **part())
    assert Note.objects.filter(pk=avery.pk).values().get() == after_sign


def test_it_signs_the_shared_part_and_every_written_part_at_once(group, clinician):
    note, avery, dana = write_group_note(clinician, group)
    assert NoteSignature.objects.filter(group_note=note, role="author", signer=clinician).exists()
    assert NoteSignature.objects.filter(note__in=[avery, dana], role="author").count() == 2
    assert avery.signed_at == dana.signed_at == note.signed_at
    assert avery.attestation == ATTEST


def test_it_refuses_to_sign_while_a_written_part_is_incomplete(group, clinician):
    note, _, _ = write_group_note(clinician, group, sign=False, avery_part=part(risk_observed=""))
    with pytest.raises(ValidationError) as error:
        services.sign_group_note(actor=clinician, group_note=note, attestation=ATTEST)
    assert any("Risk observed".lower() in m.lower() for m in error.value.messages)
    assert GroupNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT


def test_it_needs_the_attestation_to_sign(group, clinician):
    note, _, _ = write_group_note(clinician, group, sign=False)
    with pytest.raises(ValidationError) as error:
        services.sign_group_note(actor=clinician, group_note=note, attestation="")
    assert "attestation" in error.value.message_dict


def test_a_part_written_after_signing_is_signed_on_its_own(group, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    services.save_group_note(actor=clinician, group_note=note, **shared())
    avery = services.save_member_part(actor=clinician, group_note=note, attendance=group["avery"], **part())
    with pytest.raises(ValidationError) as error:
        services.sign_note(actor=clinician, note=avery, attestation=ATTEST)
    assert "group_note" in error.value.message_dict
    services.sign_group_note(actor=clinician, group_note=note, attestation=ATTEST)
    dana = services.save_member_part(actor=clinician, group_note=note, attendance=group["dana"], **part())
    assert dana.status == NoteStatus.DRAFT
    services.sign_note(actor=clinician, note=dana, attestation=ATTEST)
    dana.refresh_from_db()
    assert dana.is_signed


def test_member_parts_link_only_the_members_own_plan_objectives(group, clinician, patient_record):
    mine = signed_objectives(patient_record, clinician)
    theirs = signed_objectives(group["second"], clinician, texts=("Sleep 7 hours",))
    note = services.start_group_note(actor=clinician, session=group["session"])
    with pytest.raises(ValidationError) as error:
        services.save_member_part(actor=clinician, group_note=note, attendance=group["avery"],
                                  **part(objectives=[theirs[0].pk]))
    assert "objectives" in error.value.message_dict
    saved = services.save_member_part(actor=clinician, group_note=note, attendance=group["avery"],
                                      **part(objectives=[mine[0].pk]))
    assert list(saved.objectives.all()) == [mine[0]]


def test_member_parts_take_times_and_a_group_code_from_attendance_and_coverage(group, clinician):
    patient_services.add_coverage(actor=None, patient=group["second"], kind="medicare", payer_name="Medicare",
                                  member_id="1EG4TE5MK73")
    _, avery, dana = write_group_note(clinician, group, sign=False)
    assert avery.minutes == 180 and avery.suggested_code == "90853"      # Medicaid (conftest)
    assert dana.minutes == 160 and dana.suggested_code == "G0410"        # checked in 18:20
    assert dana.service_code == "G0410"


def test_the_group_note_defaults_to_the_sessions_module(group, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    assert note.module == group["modules"][0]
    assert note.topic == "Triggers"
    assert note.security_labels[:2] == ["R", "42CFRPart2"]
    assert services.start_group_note(actor=clinician, session=group["session"]) == note


def test_only_clinical_staff_write_group_notes(group, front_desk):
    with pytest.raises(ValidationError):
        services.start_group_note(actor=front_desk, session=group["session"])
