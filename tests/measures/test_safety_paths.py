"""Paths a review found unsafe: every way answers are stored raises the safety alert, nothing
stays due for ever, the tablet never shows saved answers, completed records stay completed."""
import datetime as dt

import pytest
import time_machine

from openiop.audit.models import AuditEvent
from openiop.care import services as care_services
from openiop.measures import services
from openiop.measures.models import Administration, Mode, Occasion, Status
from openiop.measures.scoring import AnswerError
from openiop.worklist.models import Task, TaskKind

pytestmark = pytest.mark.django_db
ADMITTED = dt.date(2026, 10, 1)


def phq9_of(patient):
    return Administration.objects.get(patient=patient, instrument_code="PHQ-9", occasion=Occasion.ADMISSION)


def form(*values, action="send"):
    data = {f"q{n}": str(v) for n, v in enumerate(values, start=1) if v is not None}
    data["action"] = action
    return data


# --- 1. item 9 answered but never a task --------------------------------------------------

def test_saving_item_9_for_later_alerts_and_shows_crisis_help(login, patient_user, patient_record):
    administration = phq9_of(patient_record)
    client = login(patient_user)
    # Only item 9 answered ("nearly every day"), then "Save and finish later".
    r = client.post(f"/portal/check-ins/{administration.pk}/", form(None, None, None, None, None, None, None, None, 3, action="save"))
    assert r.status_code == 200 and "988" in r.text
    administration.refresh_from_db()
    assert administration.answers.get("9") == 3
    assert Task.objects.filter(kind=TaskKind.SAFETY).exists(), "item 9 = 3 is stored, yet no safety task exists"


def test_sending_incomplete_answers_with_item_9_still_alerts(login, patient_user, patient_record):
    administration = phq9_of(patient_record)
    client = login(patient_user)
    # Send with question 1 skipped: error shown, answers kept (status in-progress).
    r = client.post(f"/portal/check-ins/{administration.pk}/", form(None, 1, 1, 1, 1, 1, 1, 1, 3))
    assert r.status_code == 200
    administration.refresh_from_db()
    assert administration.status == Status.IN_PROGRESS and administration.answers.get("9") == 3
    assert Task.objects.filter(kind=TaskKind.SAFETY).exists(), "item 9 = 3 is stored, yet no safety task exists"


def test_finishing_the_kiosk_early_with_item_9_still_alerts(client, clinician, patient_record):
    client.force_login(clinician)
    client.post(f"/clinic/patients/{patient_record.mrn}/measures/kiosk/")
    first = Administration.objects.filter(patient=patient_record, status=Status.DUE).order_by("due_on", "id").first()
    assert first.instrument_code == "PHQ-9"
    client.post("/kiosk/answer/", {"administration": first.pk, "action": "finish", "q9": "3"})
    first.refresh_from_db()
    assert first.answers.get("9") == 3
    assert Task.objects.filter(kind=TaskKind.SAFETY).exists(), "item 9 = 3 stored via kiosk, no safety task"


# --- 2. never-ending due items ------------------------------------------------------------

def test_unanswered_follow_ups_expire_and_stop_being_reminded(patient_record, patient_user, clinician, mailoutbox):
    episode = patient_record.episodes.get()
    Administration.objects.filter(patient=patient_record).update(status=Status.MISSED)
    care_services.discharge_patient(actor=clinician, episode=episode, discharged_on=ADMITTED + dt.timedelta(days=40),
                                    reason="completed") if False else None
    # discharge through the model to avoid guessing the service signature
    episode.status = "finished"; episode.discharged_on = ADMITTED + dt.timedelta(days=40); episode.save()
    services.schedule_after_discharge(episode, today=episode.discharged_on)
    services.schedule_due_measures(today=episode.discharged_on + dt.timedelta(days=30))
    services.schedule_due_measures(today=episode.discharged_on + dt.timedelta(days=90))
    a_year_later = episode.discharged_on + dt.timedelta(days=500)
    services.schedule_due_measures(today=a_year_later)
    still_open = Administration.objects.filter(patient=patient_record, status__in=[Status.DUE, Status.IN_PROGRESS])
    print([(a.instrument_code, a.occasion, a.due_on, a.status) for a in still_open])
    with time_machine.travel(dt.datetime(2028, 3, 1, 12, tzinfo=dt.UTC)):
        sent = services.send_due_reminders(portal_url="https://x/portal/")
    assert not still_open.exists(), f"{still_open.count()} measures still due >1 year after discharge; reminders sent: {sent}"


def test_a_half_answered_routine_measure_is_superseded_by_the_next(patient_record, clinician):
    admission = phq9_of(patient_record)
    services.complete_administration(actor=clinician, administration=admission,
                                     answers={str(i): 1 for i in range(1, 10)}, mode=Mode.PAPER, answered_on=ADMITTED)
    services.schedule_due_measures(today=ADMITTED + dt.timedelta(days=7))
    routine = Administration.objects.get(patient=patient_record, instrument_code="PHQ-9", occasion=Occasion.ROUTINE)
    services.save_answers(actor=None, administration=routine, answers={"1": 1}, mode=Mode.PORTAL)
    for week in range(2, 6):
        services.schedule_due_measures(today=ADMITTED + dt.timedelta(days=7 * week))
    open_ones = Administration.objects.filter(patient=patient_record, instrument_code="PHQ-9",
                                              status__in=[Status.DUE, Status.IN_PROGRESS]).order_by("due_on")
    print([(a.due_on, a.status) for a in open_ones])
    assert open_ones.count() == 1, "the started week-1 PHQ-9 stays open for ever beside each new one"


# --- 3. privacy ---------------------------------------------------------------------------

def test_the_tablet_never_shows_answers_saved_earlier(client, login, patient_user, patient_record, front_desk):
    administration = phq9_of(patient_record)
    login(patient_user).post(f"/portal/check-ins/{administration.pk}/",
                             form(None, None, None, None, None, None, None, None, 3, action="save"))
    client.logout()
    client.force_login(front_desk)
    # Front desk has no clinical section ...
    assert client.get(f"/clinic/patients/{patient_record.mrn}/measures/{administration.pk}/").status_code == 404
    # ... but may start the tablet and look at it before handing it over.
    assert client.post(f"/clinic/patients/{patient_record.mrn}/measures/kiosk/").status_code == 302
    page = client.get("/kiosk/answer/").text
    import re
    checked = re.findall(r'<input[^>]*name="q9"[^>]*value="3"[^>]*checked|<input[^>]*name="q9"[^>]*checked[^>]*value="3"', page)
    assert not checked, "front desk sees the patient's saved item-9 answer ('nearly every day') on the tablet"


# --- 4. completed record edited in place ------------------------------------------------------

def test_an_incomplete_send_cannot_reopen_a_record_completed_meanwhile(patient_record, patient_user, clinician, monkeypatch):
    administration = phq9_of(patient_record)
    real_score = services.score

    def other_tab_completes_first(instrument, answers, **kw):
        # Tab A completes while tab B (this call) is being scored.
        monkeypatch.setattr(services, "score", real_score)
        services.complete_administration(actor=clinician, administration=administration,
                                         answers={str(i): 0 for i in range(1, 10)}, mode=Mode.PAPER,
                                         answered_on=ADMITTED)
        return real_score(instrument, answers, **kw)  # raises AnswerError (question 1 missing)

    monkeypatch.setattr(services, "score", other_tab_completes_first)
    with pytest.raises(AnswerError):
        services.complete_administration(actor=patient_user, administration=administration,
                                         answers={"2": 3, "9": 3}, mode=Mode.PORTAL)
    administration.refresh_from_db()
    assert administration.status == Status.COMPLETED and administration.answers["9"] == 0, \
        "the completed, scored record was re-opened and its answers changed in place"


def test_answers_kept_after_an_error_are_audited(login, patient_user, patient_record):
    administration = phq9_of(patient_record)
    before = AuditEvent.objects.filter(patient=patient_record, action="change").count()
    login(patient_user).post(f"/portal/check-ins/{administration.pk}/", form(None, 1, 1, 1, 1, 1, 1, 1, 3))
    administration.refresh_from_db()
    assert administration.status == Status.IN_PROGRESS
    after = AuditEvent.objects.filter(patient=patient_record, action="change").count()
    assert after > before, "answers written to the record without an audit event"


# --- 5. schedule / on-track -----------------------------------------------------------------

def test_an_admission_entered_late_keeps_its_full_week(clinic, clinician):
    from tests.factories.clinic import admit, make_patient
    with time_machine.travel(dt.datetime(2026, 10, 11, 12, tzinfo=dt.UTC)):
        patient = make_patient(organization=clinic["organization"], program=clinic["mh"])
        admit(patient=patient, program=clinic["mh"], clinician=clinician, admitted_on=dt.date(2026, 10, 1))
        services.schedule_due_measures(today=dt.date(2026, 10, 12))
    admission = Administration.objects.get(patient=patient, instrument_code="PHQ-9", occasion=Occasion.ADMISSION)
    assert admission.status == Status.DUE, f"baseline {admission.status} one night after the admission was recorded"


def test_a_patient_who_starts_below_caseness_is_not_flagged_for_no_improvement(patient_record, clinician):
    admission = phq9_of(patient_record)
    services.complete_administration(actor=clinician, administration=admission,
                                     answers={**{str(i): 0 for i in range(1, 10)}, "1": 1, "2": 1}, mode=Mode.PAPER,
                                     answered_on=ADMITTED)  # total 2: minimal
    later = services.add_measure(actor=clinician, patient=patient_record, instrument_code="PHQ-9")
    services.complete_administration(actor=clinician, administration=later,
                                     answers={str(i): 0 for i in range(1, 10)}, mode=Mode.PAPER,
                                     answered_on=ADMITTED + dt.timedelta(days=29))  # total 0
    tasks = Task.objects.filter(kind=TaskKind.REVIEW, topic__contains="not-on-track")
    print([t.detail for t in tasks])
    assert not tasks.exists(), "a patient scoring 2 -> 0 is told 'not on track: review the treatment plan'"


def test_a_readmitted_patient_gets_no_follow_ups_from_the_old_episode(clinic, clinician):
    from tests.factories.clinic import admit, make_patient
    patient = make_patient(organization=clinic["organization"], program=clinic["mh"])
    first = admit(patient=patient, program=clinic["mh"], clinician=clinician, admitted_on=dt.date(2026, 9, 1))
    Administration.objects.filter(patient=patient).update(status=Status.MISSED)
    first.status = "finished"; first.discharged_on = dt.date(2026, 9, 20); first.save()
    with time_machine.travel(dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC)):
        admit(patient=patient, program=clinic["mh"], clinician=clinician, admitted_on=dt.date(2026, 10, 1))
    services.schedule_due_measures(today=dt.date(2026, 10, 20))  # 30 days after the first discharge
    open_phq9 = Administration.objects.filter(patient=patient, instrument_code="PHQ-9", status=Status.DUE)
    print([(a.episode_id, a.occasion, a.due_on) for a in open_phq9])
    assert open_phq9.count() == 1
