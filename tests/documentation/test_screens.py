"""The note screens: the group note editor, a patient's notes, the editor, the note page with
signing, co-signing and addenda, the queues; 404 for anyone outside the care team."""

import datetime as dt

import pytest

from openiop.documentation import services
from openiop.documentation.models import GroupNote, Note, NoteStatus
from tests.documentation.helpers import (
    ATTEST,
    individual_note,
    one_to_one_session,
    write_group_note,
)
from tests.factories.clinic import UserFactory

pytestmark = pytest.mark.django_db




def _group_url(group):
    return f"/clinic/schedule/sessions/{group['session'].pk}/note/"


def _member(group, key, **values):
    prefix = f"m{group[key].pk}"
    defaults = {"participation": "Engaged.", "mood_affect": "Bright.", "progress": "On track.",
                "risk_observed": "None observed.", "plan_next": "Keep the log."}
    defaults.update(values)
    return {f"{prefix}-{name}": value for name, value in defaults.items()}


def _shared(**values):
    data = {"topic": "Triggers", "module": "", "interventions": "Role play.", "summary": "Mapped triggers."}
    data.update(values)
    return data


def test_the_group_note_page_shows_present_members_cards_and_lists_absent_ones(group, login, clinician):
    response = login(clinician).get(_group_url(group))
    assert response.status_code == 200
    text = response.text
    assert f'name="m{group["avery"].pk}-participation"' in text
    assert f'name="m{group["dana"].pk}-participation"' in text
    assert f'name="m{group["jordan"].pk}-participation"' not in text
    assert "Jordan Pike: absent (not excused) (no note)" in text


def test_saving_and_signing_from_the_group_note_page(group, login, clinician):
    client = login(clinician)
    data = {**_shared(), **_member(group, "avery", participation="Led the check-in."),
            **_member(group, "dana", participation="Quiet today."), "action": "save"}
    response = client.post(_group_url(group), data)
    assert response.status_code == 302
    note = GroupNote.objects.get(session=group["session"])
    assert note.summary == "Mapped triggers." and note.member_notes.count() == 2
    response = client.post(_group_url(group), {**data, "action": "sign", "attest": "on"})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.is_signed and set(note.member_notes.values_list("status", flat=True)) == {NoteStatus.SIGNED}


def test_a_name_in_the_shared_part_is_refused_and_the_input_kept(group, login, clinician):
    client = login(clinician)
    data = {**_shared(summary="Dana opened the group."), **_member(group, "avery", participation="Typed text kept"),
            "action": "save"}
    response = client.post(_group_url(group), data)
    assert response.status_code == 400
    assert "names a group member (Dana)" in response.text
    assert "Typed text kept" in response.text and "Dana opened the group." in response.text
    assert not Note.objects.exists()
    assert not GroupNote.objects.exists()


def test_signing_without_the_attestation_is_refused(group, login, clinician):
    client = login(clinician)
    data = {**_shared(), **_member(group, "avery"), "action": "sign"}
    response = client.post(_group_url(group), data)
    assert response.status_code == 400
    assert "Confirm the attestation to sign." in response.text
    assert not GroupNote.objects.filter(status="signed").exists()


def test_a_late_member_part_is_saved_and_signed_on_its_own(group, login, clinician):
    note = services.start_group_note(actor=clinician, session=group["session"])
    services.save_group_note(actor=clinician, group_note=note, topic="T", module=None, interventions="I",
                             summary="S")
    services.sign_group_note(actor=clinician, group_note=note, attestation=ATTEST)
    client = login(clinician)
    response = client.post(_group_url(group), {**_member(group, "dana"), "member": str(group["dana"].pk),
                                               "action": "sign_member", "attest": "on"})
    assert response.status_code == 302
    assert Note.objects.get(attendance=group["dana"]).is_signed


def test_a_members_note_page_shows_the_shared_part_and_only_their_own_part(group, login, clinician):
    _, avery, _ = write_group_note(clinician, group)
    response = login(clinician).get(f"/clinic/notes/{avery.pk}/")
    assert response.status_code == 200
    assert "Led the check-in." in response.text and "The group mapped personal triggers" in response.text
    assert "Quiet, answered when asked." not in response.text
    assert "Okafor" not in response.text and "Dana" not in response.text
    assert "Signed by" in response.text and ATTEST in response.text


@pytest.mark.parametrize("who", ["outsider", "front_desk", "biller"])
def test_outsiders_get_404_on_every_note_page(group, login, clinician, patient_record, who, request):
    _, avery, _ = write_group_note(clinician, group)
    client = login(request.getfixturevalue(who))
    for url in (_group_url(group), f"/clinic/notes/{avery.pk}/", f"/clinic/notes/{avery.pk}/edit/",
                f"/clinic/patients/{patient_record.mrn}/notes/", f"/clinic/patients/{patient_record.mrn}/notes/new/"):
        assert client.get(url).status_code == 404, url
    for url in (f"/clinic/notes/{avery.pk}/addendum/", f"/clinic/notes/{avery.pk}/sign/"):
        assert client.post(url, {"text": "x", "attest": "on"}).status_code == 404, url


def test_writing_an_individual_note_from_the_screens(group, login, clinician, patient_record):
    session, _ = one_to_one_session(group, patient_record)
    client = login(clinician)
    response = client.get(f"/clinic/patients/{patient_record.mrn}/notes/new/?session={session.pk}")
    assert response.status_code == 200
    response = client.post(f"/clinic/patients/{patient_record.mrn}/notes/new/",
                           {"kind": "individual", "template": "birp", "session": str(session.pk)})
    note = Note.objects.get(session=session)
    assert response.status_code == 302 and response["Location"] == f"/clinic/notes/{note.pk}/edit/"
    edit = f"/clinic/notes/{note.pk}/edit/"
    page = client.get(edit)
    assert page.status_code == 200 and "Suggested: <strong>90834</strong>" in page.text
    body = {"behavior": "Arrived on time.", "intervention": "MI.", "response": "Engaged.", "plan": "Next week.",
            "time_in": "2026-11-30T14:00", "time_out": "2026-11-30T13:00", "service_code": "suggested"}
    response = client.post(edit, {**body, "action": "save"})
    assert response.status_code == 400
    assert "The time out must be after the time in." in response.text and "Arrived on time." in response.text
    response = client.post(edit, {**body, "time_out": "2026-11-30T14:40", "action": "sign", "attest": "on"})
    assert response.status_code == 302 and response["Location"] == f"/clinic/notes/{note.pk}/"
    note.refresh_from_db()
    assert note.is_signed and note.service_code == "90834" and note.minutes == 40


def test_choosing_another_code_without_a_reason_is_refused_on_screen(group, login, clinician, patient_record):
    note = individual_note(clinician, patient_record)
    response = login(clinician).post(f"/clinic/notes/{note.pk}/edit/", {
        "data": "d", "assessment": "a", "plan": "p", "time_in": "2026-11-30T14:00", "time_out": "2026-11-30T14:50",
        "service_code": "H0004", "action": "save"})
    assert response.status_code == 400
    assert "Say why you chose H0004 rather than 90834." in response.text


def test_addendum_and_cosign_from_the_note_page(clinic, login, director, patient_record):
    associate = UserFactory(username="associate", role="clinician", organization=clinic["organization"],
                            requires_cosignature=True, supervisor=director)
    associate.programs.set([clinic["sud"]])
    note = individual_note(associate, patient_record, sign=True)
    client = login(director)
    page = client.get(f"/clinic/notes/{note.pk}/")
    assert "awaiting co-signature" in page.text and "Co-sign" in page.text
    assert client.post(f"/clinic/notes/{note.pk}/cosign/", {}).status_code == 400
    assert client.post(f"/clinic/notes/{note.pk}/cosign/", {"cosign-attest": "on"}).status_code == 302
    assert client.post(f"/clinic/notes/{note.pk}/addendum/", {"text": "Late lab result reviewed."}).status_code == 400
    response = client.post(f"/clinic/notes/{note.pk}/addendum/", {"text": "Late lab result reviewed.", "attest": "on"})
    assert response.status_code == 302
    page = client.get(f"/clinic/notes/{note.pk}/")
    assert "Late lab result reviewed." in page.text and "supervisor (co-signature)" in page.text


def test_the_queues_and_lists_render(group, login, clinician, director, patient_record):
    individual_note(clinician, patient_record, session=one_to_one_session(group, patient_record,
                                                                          day=dt.date(2026, 11, 27))[0])
    for user in (clinician, director):
        client = login(user)
        for url in ("/clinic/notes/cosign/", "/clinic/notes/unsigned/",
                    f"/clinic/patients/{patient_record.mrn}/notes/"):
            assert client.get(url).status_code == 200, url
    assert "Individual therapy note" in login(director).get("/clinic/notes/unsigned/").text


def test_the_chart_links_to_notes_only_for_clinical_roles(login, clinician, front_desk, patient_record):
    url = f"/clinic/patients/{patient_record.mrn}/"
    assert f"/clinic/patients/{patient_record.mrn}/notes/" in login(clinician).get(url).text
    assert f"/clinic/patients/{patient_record.mrn}/notes/" not in login(front_desk).get(url).text


def test_viewing_a_note_is_audited(login, clinician, patient_record):
    from openiop.audit.models import AuditEvent

    note = individual_note(clinician, patient_record)
    login(clinician).get(f"/clinic/notes/{note.pk}/")
    assert AuditEvent.objects.filter(patient=patient_record, action="view", object_id=str(note.pk)).exists()
