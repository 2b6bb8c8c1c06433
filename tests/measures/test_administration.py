"""Scheduling, answering and alerting: the measures services, about the persona patient."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from openiop.audit.models import AuditEvent
from openiop.care import services as care_services
from openiop.measures import services
from openiop.measures.models import Administration, MeasureSchedule, Mode, Occasion, Status
from openiop.measures.scoring import AnswerError
from openiop.programs.models import OnCallShift
from openiop.worklist.models import Task, TaskKind
from tests.factories.clinic import UserFactory
from tests.measures.conftest import phq9

ADMITTED = dt.date(2026, 10, 1)


def due(patient, code="PHQ-9"):
    return Administration.objects.get(patient=patient, instrument_code=code, status=Status.DUE)


def test_admission_creates_the_programs_admission_measures_as_due(patient_record):
    administrations = Administration.objects.filter(patient=patient_record)
    assert {a.instrument_code for a in administrations} == {"PHQ-9", "GAD-7", "AUDIT-C", "Craving"}
    assert {a.occasion for a in administrations} == {Occasion.ADMISSION}
    assert {a.due_on for a in administrations} == {ADMITTED}
    # Part 2 program: the records carry the Part 2 labels from the start.
    assert all("42CFRPart2" in a.security_labels for a in administrations)


def test_the_schedule_is_idempotent_and_asks_weekly_after_the_admission_score(patient_record, clinician):
    admission = due(patient_record)
    services.complete_administration(actor=clinician, administration=admission, answers=phq9(2, 2, 2, 2, 1, 1, 1, 1, 0),
                                     mode=Mode.PAPER, answered_on=ADMITTED)
    today = ADMITTED + dt.timedelta(days=9)
    first = services.schedule_due_measures(today=today)
    again = services.schedule_due_measures(today=today)
    routine = Administration.objects.get(patient=patient_record, instrument_code="PHQ-9", occasion=Occasion.ROUTINE)
    assert routine.due_on == ADMITTED + dt.timedelta(days=7)
    assert first >= 1 and again == 0


def test_an_unanswered_routine_measure_is_marked_missed_when_the_next_falls_due(patient_record, clinician):
    services.complete_administration(actor=clinician, administration=due(patient_record),
                                     answers=phq9(1, 1, 1, 1, 1, 1, 1, 1, 0), mode=Mode.PAPER, answered_on=ADMITTED)
    services.schedule_due_measures(today=ADMITTED + dt.timedelta(days=7))
    services.schedule_due_measures(today=ADMITTED + dt.timedelta(days=14))
    routine = Administration.objects.filter(patient=patient_record, instrument_code="PHQ-9",
                                            occasion=Occasion.ROUTINE).order_by("due_on")
    assert [(a.due_on, a.status) for a in routine] == [
        (ADMITTED + dt.timedelta(days=7), Status.MISSED), (ADMITTED + dt.timedelta(days=14), Status.DUE)]


def test_a_programs_own_schedule_replaces_the_defaults(clinic, clinician):
    from tests.factories.clinic import admit, make_patient

    MeasureSchedule.objects.create(program=clinic["mh"], instrument_code="PHQ-9", every_days=14, follow_up_days=[30])
    patient = make_patient(organization=clinic["organization"], program=clinic["mh"])
    admit(patient=patient, program=clinic["mh"], clinician=clinician)
    assert list(Administration.objects.filter(patient=patient).values_list("instrument_code", flat=True)) == ["PHQ-9"]


def test_a_patients_cadence_overrides_the_programs(patient_record, clinician):
    episode = patient_record.episodes.get()
    with pytest.raises(ValidationError) as error:
        services.set_patient_schedule(actor=clinician, episode=episode, instrument_code="PHQ-9", every_days=3, reason="")
    assert "reason" in error.value.message_dict
    services.set_patient_schedule(actor=clinician, episode=episode, instrument_code="PHQ-9", every_days=3,
                                  reason="Closer monitoring after a safety event")
    services.complete_administration(actor=clinician, administration=due(patient_record),
                                     answers=phq9(1, 1, 1, 1, 1, 1, 1, 1, 0), mode=Mode.PAPER, answered_on=ADMITTED)
    services.schedule_due_measures(today=ADMITTED + dt.timedelta(days=3))
    assert due(patient_record).due_on == ADMITTED + dt.timedelta(days=3)


def test_partial_answers_are_kept_and_missing_ones_are_named(patient_record, patient_user):
    administration = due(patient_record)
    services.save_answers(actor=patient_user, administration=administration, answers={"1": "2", "2": "1"}, mode=Mode.PORTAL)
    with pytest.raises(AnswerError) as error:
        services.complete_administration(actor=patient_user, administration=administration,
                                         answers={"3": "1"}, mode=Mode.PORTAL)
    assert "4" in error.value.errors and "Question 4 is not answered." == error.value.errors["4"]
    administration.refresh_from_db()
    assert administration.status == Status.IN_PROGRESS
    assert administration.answers == {"1": 2, "2": 1, "3": 1}


def test_a_completed_administration_cannot_be_changed(patient_record, clinician):
    administration = services.complete_administration(
        actor=clinician, administration=due(patient_record), answers=phq9(0, 0, 0, 0, 0, 0, 0, 0, 0),
        mode=Mode.PAPER, answered_on=ADMITTED)
    with pytest.raises(ValidationError):
        services.save_answers(actor=clinician, administration=administration, answers={"1": 3}, mode=Mode.PAPER)
    administration.refresh_from_db()
    assert administration.answers["1"] == 0 and administration.total == 0


def test_item_9_creates_urgent_tasks_for_the_primary_and_on_call_clinicians(clinic, patient_record, patient_user,
                                                                              clinician):
    from django.utils import timezone

    on_call = UserFactory(username="oncall", role="clinician", organization=clinic["organization"])
    OnCallShift.objects.create(program=clinic["sud"], clinician=on_call, starts_at=timezone.now() - dt.timedelta(hours=1),
                               ends_at=timezone.now() + dt.timedelta(hours=8))
    administration = services.complete_administration(
        actor=patient_user, administration=due(patient_record), answers=phq9(0, 0, 0, 0, 0, 0, 0, 0, 1),
        mode=Mode.PORTAL)
    assert administration.total == 1 and administration.safety_flags == ["suicide_risk"]
    tasks = Task.objects.filter(patient=patient_record, kind=TaskKind.SAFETY, urgent=True, done_at__isnull=True)
    assert {task.assignee for task in tasks} == {clinician, on_call}
    assert "Several days" in tasks[0].detail


def test_item_9_alerts_the_directors_when_nobody_is_primary_or_on_call(clinic, director):
    from tests.factories.clinic import admit, make_patient

    patient = make_patient(organization=clinic["organization"], program=clinic["mh"])
    admit(patient=patient, program=clinic["mh"])
    services.record_answers(actor=director, patient=patient, instrument_code="PHQ-9", answers=phq9(0, 0, 0, 0, 0, 0, 0, 0, 2),
                            mode=Mode.PAPER, answered_on=dt.date(2026, 11, 2))
    assert Task.objects.get(patient=patient, kind=TaskKind.SAFETY).assignee == director


def test_reliable_deterioration_asks_the_primary_clinician_to_review_the_plan_once(patient_record, clinician):
    services.complete_administration(actor=clinician, administration=due(patient_record),
                                     answers=phq9(1, 1, 1, 1, 1, 1, 0, 0, 0), mode=Mode.PAPER, answered_on=ADMITTED)
    for week, answers in ((1, phq9(2, 2, 2, 2, 2, 1, 1, 0, 0)), (2, phq9(3, 2, 2, 2, 2, 1, 1, 1, 0))):
        services.record_answers(actor=clinician, patient=patient_record, instrument_code="PHQ-9", answers=answers,
                                mode=Mode.PAPER, answered_on=ADMITTED + dt.timedelta(days=7 * week))
    reviews = Task.objects.filter(patient=patient_record, kind=TaskKind.REVIEW)
    assert reviews.count() == 1
    assert reviews.get().assignee == clinician and "reliably worse" in reviews.get().detail


def test_no_reliable_improvement_after_the_review_period_asks_for_a_plan_review(patient_record, clinician):
    services.complete_administration(actor=clinician, administration=due(patient_record),
                                     answers=phq9(2, 2, 2, 2, 1, 1, 1, 1, 0), mode=Mode.PAPER, answered_on=ADMITTED)
    services.record_answers(actor=clinician, patient=patient_record, instrument_code="PHQ-9",
                            answers=phq9(2, 2, 2, 1, 1, 1, 1, 1, 0), mode=Mode.PAPER,
                            answered_on=ADMITTED + dt.timedelta(days=21))
    assert not Task.objects.filter(patient=patient_record, kind=TaskKind.REVIEW).exists()
    services.record_answers(actor=clinician, patient=patient_record, instrument_code="PHQ-9",
                            answers=phq9(2, 2, 1, 1, 1, 1, 1, 1, 0), mode=Mode.PAPER,
                            answered_on=ADMITTED + dt.timedelta(days=28))
    assert "No reliable improvement" in Task.objects.get(patient=patient_record, kind=TaskKind.REVIEW).detail


def test_reliable_improvement_creates_no_review_task(patient_record, clinician):
    services.complete_administration(actor=clinician, administration=due(patient_record),
                                     answers=phq9(3, 3, 2, 2, 2, 1, 1, 1, 0), mode=Mode.PAPER, answered_on=ADMITTED)
    services.record_answers(actor=clinician, patient=patient_record, instrument_code="PHQ-9",
                            answers=phq9(1, 1, 1, 1, 1, 0, 0, 0, 0), mode=Mode.PAPER,
                            answered_on=ADMITTED + dt.timedelta(days=35))
    assert not Task.objects.filter(patient=patient_record, kind=TaskKind.REVIEW).exists()


def test_entered_in_error_needs_a_reason_and_keeps_the_record(patient_record, clinician):
    administration = services.complete_administration(
        actor=clinician, administration=due(patient_record), answers=phq9(1, 1, 1, 1, 1, 1, 1, 1, 0),
        mode=Mode.PAPER, answered_on=ADMITTED)
    with pytest.raises(ValidationError):
        services.mark_entered_in_error(actor=clinician, administration=administration, reason=" ")
    services.mark_entered_in_error(actor=clinician, administration=administration, reason="Another patient's form")
    administration.refresh_from_db()
    assert administration.status == Status.ENTERED_IN_ERROR and administration.total == 8
    assert AuditEvent.objects.filter(patient=patient_record, reason="Another patient's form").exists()


def test_paper_answers_cannot_be_dated_in_the_future_and_leave_nothing_behind(patient_record, clinician):
    before = Administration.objects.count()
    with pytest.raises(ValidationError) as error:
        services.record_answers(actor=clinician, patient=patient_record, instrument_code="GAD-7",
                                answers={}, mode=Mode.PAPER, answered_on=dt.date(2099, 1, 1))
    assert "answered_on" in error.value.message_dict
    with pytest.raises(AnswerError):
        services.record_answers(actor=clinician, patient=patient_record, instrument_code="GAD-7",
                                answers={"1": 9}, mode=Mode.PAPER, answered_on=ADMITTED)
    assert Administration.objects.count() == before


def test_discharge_asks_the_discharge_measures_and_follow_ups_fall_due_later(patient_record, clinician):
    episode = patient_record.episodes.get()
    care_services.discharge_patient(actor=clinician, episode=episode, discharged_on=dt.date(2026, 11, 20),
                                    reason="completed")
    discharge = Administration.objects.filter(patient=patient_record, occasion=Occasion.DISCHARGE)
    assert {a.instrument_code for a in discharge} == {"PHQ-9", "GAD-7", "AUDIT-C", "Craving"}
    # The admission measures never answered are no longer wanted.
    assert not Administration.objects.filter(patient=patient_record, occasion=Occasion.ADMISSION,
                                             status=Status.DUE).exists()
    services.schedule_due_measures(today=dt.date(2026, 12, 20))
    follow_ups = Administration.objects.filter(patient=patient_record, occasion=Occasion.FOLLOW_UP)
    assert {(a.follow_up_day, a.due_on) for a in follow_ups} == {(30, dt.date(2026, 12, 20))}
