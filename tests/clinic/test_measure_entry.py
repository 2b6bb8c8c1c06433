"""Staff typing in a paper questionnaire."""

import datetime as dt

import pytest
from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.measures.models import Administration, Mode, Status
from openiop.worklist.models import Task, TaskKind

pytestmark = pytest.mark.django_db

PHQ9_MILD = {f"q{n}": v for n, v in enumerate(["1", "1", "1", "1", "1", "1", "0", "0", "0"], start=1)}


def enter_url(patient):
    return f"/clinic/patients/{patient.mrn}/measures/enter/"


def test_the_clinician_chooses_a_questionnaire_then_sees_its_questions(login, clinician, patient_record):
    client = login(clinician)
    choose = client.get(enter_url(patient_record))
    assert choose.status_code == 200
    assert "Patient Health Questionnaire-9 (PHQ-9)" in choose.text
    questions = client.get(enter_url(patient_record), {"instrument": "PHQ-9"})
    assert questions.text.count("<fieldset") == 10
    assert "Date the form was filled in" in questions.text
    assert "entered from paper by" in questions.text


def test_a_clinician_enters_a_paper_form(login, clinician, patient_record):
    client = login(clinician)
    filled_in = timezone.localdate() - dt.timedelta(days=2)
    response = client.post(enter_url(patient_record), {
        "instrument": "PHQ-9", "answered_on": filled_in.isoformat(), "action": "save", **PHQ9_MILD})
    assert response.status_code == 302
    assert response["Location"] == f"/clinic/patients/{patient_record.mrn}/measures/"
    administration = Administration.objects.get(patient=patient_record, instrument_code="PHQ-9",
                                                status=Status.COMPLETED)
    assert administration.mode == Mode.PAPER
    assert administration.entered_by == clinician
    assert administration.answered_on == filled_in
    assert administration.total == 6
    assert AuditEvent.objects.filter(patient=patient_record, username="clinician", action="create",
                                     detail__mode="paper").exists()


def test_the_success_message_says_who_entered_it_from_paper(login, clinician, patient_record):
    client = login(clinician)
    response = client.post(enter_url(patient_record), {
        "instrument": "PHQ-9", "answered_on": timezone.localdate().isoformat(), **PHQ9_MILD}, follow=True)
    assert f"entered from paper by {clinician.display_name}" in response.text


def test_a_due_measure_is_completed_from_paper(login, clinician, patient_record):
    client = login(clinician)
    due = Administration.objects.get(patient=patient_record, instrument_code="GAD-7")
    url = f"/clinic/patients/{patient_record.mrn}/measures/{due.pk}/enter/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"answered_on": "2026-10-02", **{f"q{n}": "2" for n in range(1, 8)}})
    assert response.status_code == 302
    due.refresh_from_db()
    assert due.status == Status.COMPLETED and due.total == 14 and due.mode == Mode.PAPER
    assert due.answered_on == dt.date(2026, 10, 2)


def test_errors_keep_what_was_entered_and_name_the_question(login, clinician, patient_record):
    client = login(clinician)
    answers = dict(PHQ9_MILD)
    del answers["q5"]
    response = client.post(enter_url(patient_record), {
        "instrument": "PHQ-9", "answered_on": "2026-11-01", **answers})
    assert response.status_code == 200
    assert "Question 5 is not answered." in response.text
    assert "Poor appetite or overeating" in response.text
    assert 'id="id_q1_1" checked' in response.text
    assert 'value="2026-11-01"' in response.text
    assert not Administration.objects.filter(patient=patient_record, status=Status.COMPLETED).exists()


def test_a_date_in_the_future_is_refused_and_the_answers_kept(login, clinician, patient_record):
    client = login(clinician)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(enter_url(patient_record), {
        "instrument": "PHQ-9", "answered_on": tomorrow.isoformat(), **PHQ9_MILD})
    assert response.status_code == 200
    assert "cannot be in the future" in response.text
    assert 'id="id_q6_1" checked' in response.text
    assert not Administration.objects.filter(patient=patient_record, status=Status.COMPLETED).exists()


def test_a_paper_safety_answer_creates_an_urgent_task(login, clinician, director, patient_record):
    client = login(director)
    client.post(enter_url(patient_record), {
        "instrument": "PHQ-9", "answered_on": timezone.localdate().isoformat(), **dict(PHQ9_MILD, q9="2")})
    assert Task.objects.filter(assignee=clinician, kind=TaskKind.SAFETY, urgent=True).exists()


def test_a_measure_already_completed_is_not_entered_twice(login, clinician, patient_record):
    client = login(clinician)
    due = Administration.objects.get(patient=patient_record, instrument_code="GAD-7")
    url = f"/clinic/patients/{patient_record.mrn}/measures/{due.pk}/enter/"
    client.post(url, {"answered_on": "2026-10-02", **{f"q{n}": "0" for n in range(1, 8)}})
    response = client.post(url, {"answered_on": "2026-10-02", **{f"q{n}": "3" for n in range(1, 8)}})
    assert response["Location"] == enter_url(patient_record)
    due.refresh_from_db()
    assert due.total == 0


@pytest.mark.parametrize("persona_name", ["front_desk", "biller", "intake", "privacy_officer", "patient_user"])
def test_non_clinical_staff_cannot_enter_answers(login, persona, persona_name, patient_record):
    client = login(persona(persona_name))
    due = Administration.objects.get(patient=patient_record, instrument_code="GAD-7")
    assert client.get(enter_url(patient_record)).status_code == 404
    response = client.post(enter_url(patient_record), {
        "instrument": "PHQ-9", "answered_on": "2026-11-01", **PHQ9_MILD})
    assert response.status_code == 404
    url = f"/clinic/patients/{patient_record.mrn}/measures/{due.pk}/enter/"
    assert client.post(url, {"answered_on": "2026-10-02", **{f"q{n}": "0" for n in range(1, 8)}}).status_code == 404
    assert not Administration.objects.filter(patient=patient_record, status=Status.COMPLETED).exists()


def test_an_outsider_cannot_enter_answers_for_the_patient(login, outsider, patient_record):
    client = login(outsider)
    assert client.get(enter_url(patient_record)).status_code == 404
    due = Administration.objects.get(patient=patient_record, instrument_code="GAD-7")
    url = f"/clinic/patients/{patient_record.mrn}/measures/{due.pk}/enter/"
    assert client.get(url).status_code == 404


def test_another_patients_measure_is_not_entered_through_this_patients_page(login, clinician, director,
                                                                            patient_record, other_patient_user):
    client = login(director)
    theirs = Administration.objects.filter(patient=other_patient_user.patient).first()
    url = f"/clinic/patients/{patient_record.mrn}/measures/{theirs.pk}/enter/"
    response = client.post(url, {"answered_on": "2026-10-02", **{f"q{n}": "0" for n in range(1, 10)}})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == Status.DUE
