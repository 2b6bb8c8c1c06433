"""A signed note cannot be changed by any path: the services, the clinic's views, the Django
admin, or a direct save/delete in the shell. There is no JSON API app yet; when there is, its
writes call the same services and meet the same model guards tested here."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from openiop.documentation import services
from openiop.documentation.models import GroupNote, Note, NoteSignature, SignedNoteError
from tests.documentation.helpers import (
    ATTEST,
    build_group,
    individual_note,
    signed_objectives,
    write_group_note,
)

pytestmark = pytest.mark.django_db



@pytest.fixture
def signed(clinician, patient_record):
    return individual_note(clinician, patient_record, sign=True)


def _row(note):
    return Note.objects.filter(pk=note.pk).values().get()


def test_the_services_refuse_to_change_a_signed_note(signed, clinician):
    before = _row(signed)
    with pytest.raises(ValidationError):
        services.save_note(actor=clinician, note=signed, body={"data": "changed"}, time_in=None, time_out=None,
                           objectives=[])
    with pytest.raises(ValidationError):
        services.sign_note(actor=clinician, note=signed, attestation=ATTEST)
    with pytest.raises(ValidationError):
        services.void_draft(actor=clinician, note=signed, reason="oops")
    assert _row(signed) == before


def test_a_direct_save_or_delete_is_refused(signed):
    signed.body = {"data": "rewritten in the shell"}
    with pytest.raises(SignedNoteError):
        signed.save()
    with pytest.raises(SignedNoteError):
        Note.objects.get(pk=signed.pk).delete()
    assert Note.objects.get(pk=signed.pk).body["data"] == "Discussed the week."


def test_drafts_are_never_deleted_either(clinician, patient_record):
    draft = individual_note(clinician, patient_record)
    with pytest.raises(SignedNoteError):
        draft.delete()


def test_a_signed_notes_objectives_cannot_change(signed, clinician, patient_record):
    objective = signed_objectives(patient_record, clinician)[0]
    # Django's related manager writes without a savepoint: the refusal breaks the surrounding
    # transaction, so each attempt gets its own here.
    with pytest.raises(SignedNoteError), transaction.atomic():
        signed.objectives.add(objective)
    with pytest.raises(SignedNoteError), transaction.atomic():
        signed.objectives.clear()
    assert signed.objectives.count() == 0


def test_signatures_are_written_once(signed):
    signature = NoteSignature.objects.get(note=signed)
    signature.attestation = "something else"
    with pytest.raises(SignedNoteError):
        signature.save()
    with pytest.raises(SignedNoteError):
        signature.delete()


def test_a_signed_group_notes_shared_part_cannot_change(clinic, clinician, patient_record):
    group = build_group(clinic, clinician, patient_record)
    note, _, _ = write_group_note(clinician, group)
    with pytest.raises(ValidationError):
        services.save_group_note(actor=clinician, group_note=note, topic="x", module=None, interventions="x",
                                 summary="x")
    with pytest.raises(ValidationError):
        services.save_member_part(actor=clinician, group_note=note, attendance=group["avery"], participation="x",
                                  mood_affect="x", progress="x", objectives=[], risk_observed="x", plan_next="x")
    note.summary = "rewritten"
    with pytest.raises(SignedNoteError):
        note.save()
    with pytest.raises(SignedNoteError):
        GroupNote.objects.get(pk=note.pk).delete()
    assert GroupNote.objects.get(pk=note.pk).summary.startswith("The group mapped")


def test_the_clinic_views_cannot_change_a_signed_note(signed, login, clinician):
    client = login(clinician)
    before = _row(signed)
    response = client.post(f"/clinic/notes/{signed.pk}/edit/", {"data": "changed", "action": "save"})
    assert response.status_code == 302 and response["Location"] == f"/clinic/notes/{signed.pk}/"
    response = client.post(f"/clinic/notes/{signed.pk}/sign/", {"sign-attest": "on"})
    assert response.status_code == 400
    response = client.post(f"/clinic/notes/{signed.pk}/void/", {"reason": "undo"})
    assert response.status_code == 400
    assert _row(signed) == before


def test_the_clinic_group_note_page_cannot_change_a_signed_group_note(clinic, clinician, patient_record, login):
    group = build_group(clinic, clinician, patient_record)
    note, avery, _ = write_group_note(clinician, group)
    before = (_row(avery), GroupNote.objects.filter(pk=note.pk).values().get())
    client = login(clinician)
    prefix = f"m{group['avery'].pk}"
    client.post(f"/clinic/schedule/sessions/{group['session'].pk}/note/", {
        "topic": "changed", "summary": "changed", "interventions": "changed", "action": "sign",
        "member": str(group["avery"].pk), f"{prefix}-participation": "changed", "attest": "on"})
    assert (_row(avery), GroupNote.objects.filter(pk=note.pk).values().get()) == before


@pytest.fixture
def site_admin(admin_user):
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    return admin_user


def test_the_admin_cannot_change_or_delete_a_note(signed, login, site_admin):
    client = login(site_admin)
    before = _row(signed)
    response = client.post(f"/admin/documentation/note/{signed.pk}/change/", {"status": "draft", "kind": "family"})
    assert response.status_code == 403
    response = client.post(f"/admin/documentation/note/{signed.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert _row(signed) == before


def test_the_admin_shows_no_note_text_or_patient(signed, login, site_admin, patient_record):
    client = login(site_admin)
    response = client.get(f"/admin/documentation/note/{signed.pk}/change/")
    assert response.status_code == 200
    assert "Discussed the week" not in response.text
    assert patient_record.legal_last_name not in response.text
