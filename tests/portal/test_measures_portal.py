"""The patient's check-ins in the portal: answering, saving for later, safety, progress."""

import datetime as dt

import pytest

from openiop.audit.models import AuditEvent
from openiop.measures import services
from openiop.measures.models import Administration, Mode, Status
from openiop.worklist.models import Task, TaskKind

pytestmark = pytest.mark.django_db


def phq9(patient):
    return Administration.objects.get(patient=patient, instrument_code="PHQ-9")


def answers(*values, action="send"):
    data = {f"q{number}": str(value) for number, value in enumerate(values, start=1) if value is not None}
    data["action"] = action
    return data


def test_it_lists_the_patients_own_due_check_ins_in_plain_language(login, patient_user, patient_record,
                                                                  other_patient_user):
    response = login(patient_user).get("/portal/check-ins/")
    assert response.status_code == 200
    assert "Mood check-in (PHQ-9)" in response.text
    assert "due 1 Oct" in response.text
    assert "Craving check-in" in response.text
    theirs = Administration.objects.filter(patient=other_patient_user.patient).first()
    assert f"/portal/check-ins/{theirs.pk}/" not in response.text


def test_it_records_which_check_ins_the_patient_was_shown(login, patient_user, patient_record):
    login(patient_user).get("/portal/check-ins/")
    assert AuditEvent.objects.filter(action="list", patient=patient_record, role="patient").count() == 4


def test_another_patient_gets_not_found_for_someone_elses_check_in(login, other_patient_user, patient_record):
    client = login(other_patient_user)
    administration = phq9(patient_record)
    assert client.get(f"/portal/check-ins/{administration.pk}/").status_code == 404
    assert client.post(f"/portal/check-ins/{administration.pk}/", answers(0, 0, 0, 0, 0, 0, 0, 0, 0)).status_code == 404
    assert client.get(f"/portal/check-ins/{administration.pk}/sent/").status_code == 404
    assert phq9(patient_record).status == Status.DUE


@pytest.mark.parametrize("url", ["/portal/check-ins/", "/portal/progress/"])
def test_family_members_see_no_measures(login, family_user, patient_record, url):
    assert login(family_user).get(url).status_code == 404
    home = login(family_user).get("/portal/")
    assert "Check-ins to do" not in home.text


def test_family_members_cannot_open_a_check_in(login, family_user, patient_record):
    response = login(family_user).get(f"/portal/check-ins/{phq9(patient_record).pk}/")
    assert response.status_code == 404


def test_the_home_page_links_the_patient_to_their_check_ins(login, patient_user):
    response = login(patient_user).get("/portal/")
    assert "Check-ins to do" in response.text
    assert "/portal/check-ins/" in response.text


def test_it_shows_every_question_with_a_fieldset_and_legend(login, patient_user, patient_record):
    response = login(patient_user).get(f"/portal/check-ins/{phq9(patient_record).pk}/")
    assert response.text.count("<fieldset") == 10
    assert "<legend>9. Thoughts that you would be better off dead" in response.text
    assert "the last 2 weeks" in response.text
    assert 'value="3"' in response.text and "Nearly every day" in response.text
    assert "Save and finish later" in response.text


def test_saving_for_later_keeps_the_answers(login, patient_user, patient_record):
    client = login(patient_user)
    administration = phq9(patient_record)
    response = client.post(f"/portal/check-ins/{administration.pk}/", answers(2, 1, None, 3, action="save"))
    assert response.status_code == 302
    administration.refresh_from_db()
    assert administration.status == Status.IN_PROGRESS
    assert administration.answers == {"1": 2, "2": 1, "4": 3}
    page = client.get(f"/portal/check-ins/{administration.pk}/")
    assert 'name="q4" value="3" required' not in page.text  # optional at the form level
    assert 'value="3" id="id_q4_3" checked' in page.text or 'id="id_q4_3" checked' in page.text


def test_missing_answers_name_the_question_and_keep_the_rest(login, patient_user, patient_record):
    client = login(patient_user)
    administration = phq9(patient_record)
    response = client.post(f"/portal/check-ins/{administration.pk}/", answers(1, 1, 1, None, 1, 1, 1, 1, 0))
    assert response.status_code == 200
    assert "One question needs an answer" in response.text
    assert "Question 4 is not answered." in response.text
    assert "Feeling tired or having little energy" in response.text
    assert 'href="#id_q4_0"' in response.text
    administration.refresh_from_db()
    assert administration.status == Status.IN_PROGRESS
    assert administration.answers["9"] == 0 and "4" not in administration.answers
    assert 'id="id_q1_1" checked' in response.text


def test_sending_complete_answers_thanks_the_patient_with_their_score(login, patient_user, patient_record):
    client = login(patient_user)
    administration = phq9(patient_record)
    response = client.post(f"/portal/check-ins/{administration.pk}/", answers(1, 1, 1, 1, 1, 1, 0, 0, 0), follow=True)
    administration.refresh_from_db()
    assert administration.status == Status.COMPLETED
    assert administration.mode == Mode.PORTAL
    assert administration.entered_by == patient_user
    assert "Your score was <strong>6</strong> out of 27" in response.text
    assert "“mild”" in response.text
    assert "My progress" in response.text
    assert not Task.objects.filter(kind=TaskKind.SAFETY).exists()


def test_a_thought_of_self_harm_shows_988_and_alerts_the_primary_clinician(login, patient_user, patient_record,
                                                                          clinician):
    client = login(patient_user)
    administration = phq9(patient_record)
    response = client.post(f"/portal/check-ins/{administration.pk}/", answers(0, 0, 0, 0, 0, 0, 0, 0, 1), follow=True)
    assert 'href="tel:988"' in response.text and 'href="sms:988"' in response.text
    assert 'href="tel:911"' in response.text
    assert "will contact you today" in response.text
    assert "Your score" not in response.text
    task = Task.objects.get(assignee=clinician, kind=TaskKind.SAFETY)
    assert task.urgent and task.patient == patient_record
    assert task.done_at is None


def test_the_safety_page_gives_the_programs_phone(login, patient_user, patient_record, clinic):
    site = clinic["site"]
    site.phone = "555-0199"
    site.save()
    client = login(patient_user)
    administration = phq9(patient_record)
    response = client.post(f"/portal/check-ins/{administration.pk}/", answers(0, 0, 0, 0, 0, 0, 0, 0, 2), follow=True)
    assert 'href="tel:555-0199"' in response.text


def test_a_sent_check_in_cannot_be_answered_again(login, patient_user, patient_record):
    client = login(patient_user)
    administration = phq9(patient_record)
    client.post(f"/portal/check-ins/{administration.pk}/", answers(0, 0, 0, 0, 0, 0, 0, 0, 0))
    response = client.post(f"/portal/check-ins/{administration.pk}/", answers(3, 3, 3, 3, 3, 3, 3, 3, 3))
    assert response.status_code == 302
    administration.refresh_from_db()
    assert administration.total == 0


def test_viewing_a_check_in_is_audited(login, patient_user, patient_record):
    administration = phq9(patient_record)
    login(patient_user).get(f"/portal/check-ins/{administration.pk}/")
    assert AuditEvent.objects.filter(action="view", patient=patient_record,
                                     object_id=str(administration.pk)).exists()


def complete(patient, code, values, answered_on, actor):
    administration = Administration.objects.filter(patient=patient, instrument_code=code,
                                                   status__in=[Status.DUE, Status.IN_PROGRESS]).first()
    if administration is None:
        administration = services.add_measure(actor=actor, patient=patient, instrument_code=code,
                                              due_on=answered_on)
    answers_by_item = {str(number): value for number, value in enumerate(values, start=1)}
    return services.complete_administration(actor=actor, administration=administration, answers=answers_by_item,
                                            mode=Mode.PAPER, answered_on=answered_on)


def test_progress_shows_a_chart_and_a_table_of_the_patients_scores(login, patient_user, patient_record, clinician):
    complete(patient_record, "PHQ-9", [2, 2, 2, 2, 2, 2, 1, 1, 0], dt.date(2026, 10, 1), clinician)
    complete(patient_record, "PHQ-9", [1, 1, 0, 1, 1, 0, 0, 0, 0], dt.date(2026, 11, 1), clinician)
    response = login(patient_user).get("/portal/progress/")
    assert response.status_code == 200
    assert "<svg" in response.text
    assert "Mood check-in (PHQ-9)" in response.text
    assert "<th scope=\"col\">What it means</th>" in response.text
    assert "Your starting point" in response.text or "(your starting point)" in response.text
    assert "Better than when you started" in response.text
    assert "reliable" in response.text
    assert AuditEvent.objects.filter(action="view", patient=patient_record, detail__page="portal progress").exists()


def test_progress_with_no_scores_says_so(login, patient_user):
    response = login(patient_user).get("/portal/progress/")
    assert "When you have sent your first check-in" in response.text


@pytest.mark.parametrize("count", [1, 4])
def test_the_check_in_list_uses_the_same_queries_for_1_and_many(login, patient_user, patient_record, clinician,
                                                                count, django_assert_num_queries):
    for administration in Administration.objects.filter(patient=patient_record)[count:]:
        administration.delete()
    client = login(patient_user)
    client.get("/portal/check-ins/")
    with django_assert_num_queries(6):
        response = client.get("/portal/check-ins/")
    assert response.text.count('class="check-in-link"') == count


@pytest.mark.parametrize("count", [1, 3])
def test_progress_uses_the_same_queries_for_1_and_many_scores(login, patient_user, patient_record, clinician,
                                                              count, django_assert_num_queries):
    for month in range(count):
        complete(patient_record, "PHQ-9", [1] * 9, dt.date(2026, 10 + month // 2, 1 + 10 * (month % 2)), clinician)
        complete(patient_record, "GAD-7", [1] * 7, dt.date(2026, 10 + month // 2, 1 + 10 * (month % 2)), clinician)
    client = login(patient_user)
    client.get("/portal/progress/")
    with django_assert_num_queries(8):
        client.get("/portal/progress/")
