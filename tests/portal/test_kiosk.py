"""The clinic tablet check-in: staff start it, the patient answers, nothing else is reachable."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.measures.models import Administration, KioskSession, Mode, Status
from openiop.worklist.models import Task, TaskKind

pytestmark = pytest.mark.django_db

ALL_ZERO = {
    "PHQ-9": {f"q{n}": "0" for n in range(1, 10)},
    "GAD-7": {f"q{n}": "0" for n in range(1, 8)},
    "AUDIT-C": {f"q{n}": "0" for n in range(1, 4)},
    "Craving": {"q1": "0"},
}


def start_kiosk(client, staff, patient):
    client.force_login(staff)
    return client.post(f"/clinic/patients/{patient.mrn}/measures/kiosk/")


def next_due(patient):
    return Administration.objects.filter(patient=patient, status__in=[Status.DUE, Status.IN_PROGRESS]).order_by(
        "due_on", "id").first()


def send(client, administration, answers, action="send"):
    return client.post("/kiosk/answer/", {"administration": administration.pk, "action": action, **answers})


def test_starting_the_kiosk_signs_the_staff_member_out(client, clinician, patient_record):
    response = start_kiosk(client, clinician, patient_record)
    assert response.status_code == 302 and response["Location"] == "/kiosk/"
    assert "_auth_user_id" not in client.session
    session = KioskSession.objects.get(patient=patient_record)
    assert session.started_by == clinician
    assert client.session["openiop_kiosk_session"] == session.pk


def test_the_kiosk_greets_the_patient_by_first_name_and_shows_nothing_else(client, clinician, patient_record):
    start_kiosk(client, clinician, patient_record)
    response = client.get("/kiosk/")
    assert "Hi Ave" in response.text
    assert "Mood check-in (PHQ-9)" in response.text
    assert patient_record.mrn not in response.text
    assert "Quinlan" not in response.text
    assert "1990" not in response.text and "05/17" not in response.text and "May 17" not in response.text
    assert "Sign in" not in response.text


@pytest.mark.parametrize("url", ["/clinic/", "/portal/", "/accounts/login/", "/admin/", "/"])
def test_every_other_page_sends_the_tablet_back_to_the_kiosk(client, clinician, patient_record, url):
    start_kiosk(client, clinician, patient_record)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == "/kiosk/"


def test_the_patient_answers_one_check_in_at_a_time(client, clinician, patient_record):
    start_kiosk(client, clinician, patient_record)
    first = next_due(patient_record)
    page = client.get("/kiosk/answer/")
    assert "Check-in 1 of 4" in page.text
    assert f'name="administration" value="{first.pk}"' in page.text
    response = send(client, first, ALL_ZERO[first.instrument_code])
    assert response.status_code == 302 and response["Location"] == "/kiosk/answer/"
    first.refresh_from_db()
    assert first.status == Status.COMPLETED and first.mode == Mode.KIOSK
    assert first.entered_by == clinician
    assert "Check-in 1 of 3" in client.get("/kiosk/answer/").text


def test_kiosk_answers_are_audited_as_the_staff_member_who_started_it(client, clinician, patient_record):
    start_kiosk(client, clinician, patient_record)
    first = next_due(patient_record)
    send(client, first, ALL_ZERO[first.instrument_code])
    event = AuditEvent.objects.get(patient=patient_record, object_id=str(first.pk), action="create",
                                   detail__completed=True)
    assert event.username == "clinician"
    assert event.detail["mode"] == "kiosk"


def test_missing_answers_on_the_kiosk_name_the_question(client, clinician, patient_record):
    start_kiosk(client, clinician, patient_record)
    first = next_due(patient_record)
    answers = dict(ALL_ZERO[first.instrument_code])
    answers.pop("q1")
    response = send(client, first, answers)
    assert response.status_code == 200
    assert "Question 1 is not answered." in response.text


def test_a_safety_answer_on_the_kiosk_asks_the_patient_to_tell_staff_now(client, clinician, patient_record):
    start_kiosk(client, clinician, patient_record)
    phq9 = Administration.objects.get(patient=patient_record, instrument_code="PHQ-9")
    answers = dict(ALL_ZERO["PHQ-9"], q9="1")
    response = send(client, phq9, answers)
    assert response.status_code == 200
    assert "Please tell a staff member now" in response.text
    assert 'href="tel:988"' in response.text
    assert Task.objects.filter(assignee=clinician, kind=TaskKind.SAFETY, urgent=True).exists()


def test_answering_everything_ends_the_kiosk(client, clinician, patient_record):
    start_kiosk(client, clinician, patient_record)
    while (administration := next_due(patient_record)) is not None:
        send(client, administration, ALL_ZERO[administration.instrument_code])
    response = client.get("/kiosk/answer/")
    assert "Please hand the tablet back to the staff" in response.text
    session = KioskSession.objects.get(patient=patient_record)
    assert session.ended_at is not None
    assert "openiop_kiosk_session" not in client.session
    assert client.get("/clinic/").status_code == 302
    assert client.get("/clinic/")["Location"].startswith("/accounts/login/")


def test_im_finished_ends_the_kiosk_and_keeps_partial_answers(client, clinician, patient_record):
    start_kiosk(client, clinician, patient_record)
    first = next_due(patient_record)
    response = send(client, first, {"q1": "2"}, action="finish")
    assert "Please hand the tablet back to the staff" in response.text
    first.refresh_from_db()
    assert first.answers == {"1": 2} and first.status == Status.IN_PROGRESS
    assert KioskSession.objects.get(patient=patient_record).ended_reason == "finished"
    assert client.get("/portal/")["Location"].startswith("/accounts/login/")


def test_the_finish_button_on_the_welcome_page_ends_the_kiosk(client, clinician, patient_record):
    start_kiosk(client, clinician, patient_record)
    response = client.post("/kiosk/finish/")
    assert "Please hand the tablet back to the staff" in response.text
    assert KioskSession.objects.get(patient=patient_record).ended_at is not None


def test_an_expired_kiosk_ends_and_tells_the_patient_to_hand_the_tablet_back(client, clinician, patient_record):
    start_kiosk(client, clinician, patient_record)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31), tick=False):
        response = client.get("/kiosk/")
        assert "This check-in has ended. Please hand the tablet back to the staff." in response.text
        assert KioskSession.objects.get(patient=patient_record).ended_reason == "expired"
        assert "openiop_kiosk_session" not in client.session
        first = next_due(patient_record)
        send(client, first, ALL_ZERO[first.instrument_code])
        first.refresh_from_db()
        assert first.status == Status.DUE


def test_the_kiosk_without_a_session_shows_the_ended_page(client):
    response = client.get("/kiosk/answer/")
    assert response.status_code == 200
    assert "Please hand the tablet back to the staff" in response.text


def test_an_outsider_cannot_start_a_kiosk_for_the_patient(client, outsider, patient_record):
    assert start_kiosk(client, outsider, patient_record).status_code == 404
    assert not KioskSession.objects.exists()
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize("persona_name", ["biller", "intake", "privacy_officer", "patient_user", "family_user"])
def test_only_clinical_staff_and_front_desk_start_a_kiosk(client, persona, persona_name, patient_record):
    assert start_kiosk(client, persona(persona_name), patient_record).status_code == 404
    assert not KioskSession.objects.exists()


@pytest.mark.parametrize("persona_name", ["front_desk", "director", "clinician"])
def test_front_desk_and_clinical_staff_may_start_a_kiosk(client, persona, persona_name, patient_record):
    response = start_kiosk(client, persona(persona_name), patient_record)
    assert response["Location"] == "/kiosk/"


def test_the_start_page_explains_the_sign_out(client, front_desk, patient_record):
    client.force_login(front_desk)
    response = client.get(f"/clinic/patients/{patient_record.mrn}/measures/kiosk/")
    assert "You will be signed out of this browser" in response.text
    assert "4 check-ins to answer" in response.text
    # Front desk sees no clinical content: how many are due, not which questionnaires.
    assert "PHQ-9" not in response.text and "AUDIT-C" not in response.text


def test_front_desk_reaches_the_tablet_check_in_from_the_chart(client, front_desk, patient_record):
    client.force_login(front_desk)
    chart = client.get(f"/clinic/patients/{patient_record.mrn}/")
    assert f'href="/clinic/patients/{patient_record.mrn}/measures/kiosk/"' in chart.text
    assert "Scores, trends" not in chart.text


def test_a_patient_with_nothing_due_cannot_get_a_kiosk(client, clinician, patient_record):
    Administration.objects.filter(patient=patient_record).update(status=Status.MISSED)
    response = start_kiosk(client, clinician, patient_record)
    assert response.status_code == 200
    assert "_auth_user_id" in client.session
    assert not KioskSession.objects.exists()
