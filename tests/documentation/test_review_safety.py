"""What a second pair of eyes tried to break: a signer who may see only some members, a member
marked absent after their part was written, two clinicians on one group note, deletes that skip
the model's `delete()`."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from openiop.attendance import services as attendance
from openiop.care import services as care_services
from openiop.documentation import services
from openiop.documentation.models import Note, NoteStatus, SignedNoteError
from tests.documentation.helpers import (
    ATTEST,
    individual_note,
    one_to_one_session,
    part,
    shared,
    write_group_note,
)
from tests.factories.clinic import UserFactory, admit, make_patient
from tests.scheduling.screens_clinic import seat

pytestmark = pytest.mark.django_db




def _url(group):
    return f"/clinic/schedule/sessions/{group['session'].pk}/note/"


def _co_facilitator(clinic, group, *, sees=None, username="cofac"):
    """A clinician staffing the session; in no program, so they see only the patients whose care
    team they are on (`sees`), or every member when `sees` is None (then in the SUD program)."""
    user = UserFactory(username=username, role="clinician", organization=clinic["organization"])
    if sees is None:
        user.programs.set([clinic["sud"]])
    for patient in sees or ():
        episode = patient.episodes.get(status="active")
        care_services.assign_care_team_member(actor=None, episode=episode, user=user, role="facilitator",
                                              start_date=dt.date(2026, 10, 1))
    group["session"].staff.add(user)
    return user


def _fields(prefix, values):
    return {f"{prefix}-{key}": value for key, value in values.items() if key != "objectives"}


def _versions(text):
    return dict(re.findall(r'<input type="hidden" name="([\w-]*version)" value="([^"]*)"', text))


def test_signing_never_names_nor_signs_the_part_of_a_member_the_signer_may_not_see(
        group, clinic, clinician, patient_record, login):
    partial = _co_facilitator(clinic, group, sees=[patient_record])
    note = services.start_group_note(actor=clinician, session=group["session"])
    services.save_member_part(actor=clinician, group_note=note, attendance=group["dana"], **part(risk_observed=""))
    response = login(partial).post(_url(group), {
        **shared(module=""), "action": "sign", "attest": "on",
        **_fields(f"m{group['avery'].pk}", part())})
    assert response.status_code == 302, response.text
    text = login(partial).get(_url(group)).text
    assert "Dana" not in text and "Okafor" not in text
    avery = Note.objects.get(patient=patient_record)
    dana = Note.objects.get(patient=group["second"])
    assert avery.status == NoteStatus.SIGNED and avery.signed_by == partial
    # Dana's part, unseen by the signer, waits for its own author.
    assert dana.status == NoteStatus.DRAFT


def test_the_service_error_for_an_incomplete_part_names_no_patient(group, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    services.save_group_note(actor=clinician, group_note=note, **shared())
    services.save_member_part(actor=clinician, group_note=note, attendance=group["dana"], **part(risk_observed=""))
    with pytest.raises(ValidationError) as error:
        services.sign_group_note(actor=clinician, group_note=note, attestation=ATTEST)
    assert "Okafor" not in str(error.value.message_dict) and "Dana" not in str(error.value.message_dict)


def test_a_member_marked_absent_after_their_part_was_written_gets_no_signed_note(group, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    services.save_group_note(actor=clinician, group_note=note, **shared())
    services.save_member_part(actor=clinician, group_note=note, attendance=group["avery"], **part())
    dana = services.save_member_part(actor=clinician, group_note=note, attendance=group["dana"], **part())
    attendance.record_attendance(actor=clinician, attendee=group["dana"].attendee, status="absent_unexcused")
    services.sign_group_note(actor=clinician, group_note=note, attestation=ATTEST)
    dana.refresh_from_db()
    assert dana.status == NoteStatus.VOIDED
    assert not Note.objects.filter(patient=group["second"], status=NoteStatus.SIGNED).exists()
    assert Note.objects.get(patient=group["patient"]).status == NoteStatus.SIGNED


def test_a_one_to_one_note_is_not_signed_once_the_patient_is_marked_absent(group, clinician, patient_record):
    session, record = one_to_one_session(group, patient_record, day=dt.date(2026, 11, 30))
    note = individual_note(clinician, patient_record, session=session)
    attendance.record_attendance(actor=clinician, attendee=record.attendee, status="absent_unexcused")
    with pytest.raises(ValidationError) as error:
        services.sign_note(actor=clinician, note=note, attestation=ATTEST)
    assert "attendance" in error.value.message_dict


def test_a_clinicians_save_never_wipes_a_part_a_colleague_saved_meanwhile(group, clinic, clinician, login):
    colleague = _co_facilitator(clinic, group)
    opened = login(clinician).get(_url(group))
    versions = _versions(opened.text)
    assert f"m{group['dana'].pk}-version" in versions and "version" in versions
    # The colleague writes the shared part and Dana's part while the page is open.
    note = services.start_group_note(actor=colleague, session=group["session"])
    services.save_group_note(actor=colleague, group_note=note, **shared(summary="Colleague's summary."))
    services.save_member_part(actor=colleague, group_note=note, attendance=group["dana"],
                              **part(participation="Colleague's words about Dana's participation."))
    # The clinician writes only Avery's part; the rest of the page is as it was opened.
    avery_prefix, dana_prefix = f"m{group['avery'].pk}", f"m{group['dana'].pk}"
    data = {"topic": "Triggers", "module": str(group["modules"][0].pk), "interventions": "", "summary": "",
            "action": "save", **versions}
    data.update(_fields(avery_prefix, part()))
    data.update({f"{dana_prefix}-{key}": "" for key in part() if key != "objectives"})
    response = login(clinician).post(_url(group), data)
    assert response.status_code == 302, response.text
    note.refresh_from_db()
    assert note.summary == "Colleague's summary."
    dana = Note.objects.get(patient=group["second"])
    assert dana.body["participation"] == "Colleague's words about Dana's participation."
    assert Note.objects.get(patient=group["patient"]).body["participation"] == part()["participation"]


def test_a_clinicians_edit_over_a_colleagues_newer_text_is_refused_and_kept(group, clinic, clinician, login):
    colleague = _co_facilitator(clinic, group)
    opened = login(clinician).get(_url(group))
    versions = _versions(opened.text)
    note = services.start_group_note(actor=colleague, session=group["session"])
    services.save_member_part(actor=colleague, group_note=note, attendance=group["dana"],
                              **part(participation="Colleague's words."))
    dana_prefix = f"m{group['dana'].pk}"
    data = {"topic": "Triggers", "module": str(group["modules"][0].pk), "interventions": "", "summary": "",
            "action": "save", "version": versions["version"], f"{dana_prefix}-version": versions[f"{dana_prefix}-version"]}
    data.update(_fields(dana_prefix, part(participation="My own words.")))
    response = login(clinician).post(_url(group), data)
    assert response.status_code == 400
    assert "Someone else saved Dana Okafor" in response.text
    assert "My own words." in response.text
    assert Note.objects.get(patient=group["second"]).body["participation"] == "Colleague's words."
    # Saving again (the page now carries the newer version) replaces it, deliberately.
    again = _versions(response.text)
    data[f"{dana_prefix}-version"] = again[f"{dana_prefix}-version"]
    assert login(clinician).post(_url(group), data).status_code == 302
    assert Note.objects.get(patient=group["second"]).body["participation"] == "My own words."


def test_a_draft_note_is_never_deleted_even_through_a_queryset(group, clinician, patient_record):
    note = individual_note(clinician, patient_record)
    with pytest.raises(SignedNoteError), transaction.atomic():
        Note.objects.filter(pk=note.pk).delete()
    assert Note.objects.filter(pk=note.pk).exists()


def test_a_member_who_joins_after_the_shared_part_was_saved_is_not_named_in_anyones_chart(group, clinic, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    services.save_group_note(actor=clinician, group_note=note, **shared(summary="Casey's story led the group."))
    services.save_member_part(actor=clinician, group_note=note, attendance=group["avery"],
                              **part(participation="Supported Casey."))
    casey = make_patient(organization=clinic["organization"], program=clinic["sud"], legal_first_name="Casey",
                         legal_last_name="Moss", date_of_birth=dt.date(1990, 2, 2))
    admit(patient=casey, program=clinic["sud"], clinician=clinician)
    seat(group["session"], casey)
    with pytest.raises(ValidationError) as error:
        services.sign_group_note(actor=clinician, group_note=note, attestation=ATTEST)
    problems = error.value.message_dict
    assert "summary" in problems
    assert any(key.startswith("participation-") for key in problems)
    assert not Note.objects.filter(status=NoteStatus.SIGNED).exists()


def test_an_addendum_to_a_members_note_cannot_name_another_member(group, clinician):
    _, avery, _ = write_group_note(clinician, group)
    with pytest.raises(ValidationError) as error:
        services.add_addendum(actor=clinician, note=avery, text="Later told Dana Okafor about it.", attestation=ATTEST)
    assert "Okafor" in error.value.message_dict["text"][0]
    assert not avery.addenda.exists()
