"""Medications, reconciliation, drug screens, tasks and the recovery date, through the services."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from openiop.audit.models import AuditEvent
from openiop.medical import services
from openiop.medical.models import (
    DrugScreen,
    DrugScreenResult,
    ImmutableRecordError,
    Medication,
    RecoveryDate,
)
from openiop.medical.rules import Interpretation
from openiop.worklist.models import Task, TaskKind
from tests.medical.helpers import NOW, buprenorphine, cup, frozen, make_prescriber

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


@pytest.fixture
def prescriber(clinic):
    return make_prescriber(clinic)


def results_of(screen):
    return {r.substance: r for r in DrugScreenResult.objects.filter(screen=screen)}


# --- medications -----------------------------------------------------------------------------


def test_it_labels_a_medication_of_the_substance_use_program_with_part2(clinician, patient_record, prescriber):
    medication = buprenorphine(clinician, patient_record, prescriber)
    assert medication.is_part2
    assert medication.episode.program.is_part2
    assert AuditEvent.objects.filter(action="create", object_type="medical.medication").count() == 1


def test_it_labels_an_outside_medication_without_episode_from_the_patients_program(clinician, patient_record):
    medication = services.add_medication(
        actor=clinician, patient=patient_record, name="Lisinopril", dose="10 mg", frequency="once daily",
        source="outside", prescriber_name="Dr. Primary Care", episode=None)
    assert medication.is_part2  # the current SUD episode is used when none is given
    outside = Medication(patient=patient_record, name="x", dose="1", frequency="1")
    services._label(outside, episode=None, patient=patient_record)
    assert "42CFRPart2" in outside.security_labels


def test_it_asks_for_the_opioid_treatment_program_for_methadone(clinician, patient_record):
    with pytest.raises(ValidationError) as error:
        services.add_medication(actor=clinician, patient=patient_record, name="Methadone", dose="80 mg",
                                frequency="daily", moud="methadone", source="outside")
    assert "otp_name" in error.value.message_dict


def test_it_keeps_the_old_dose_when_the_dose_changes(clinician, patient_record, prescriber):
    first = buprenorphine(clinician, patient_record, prescriber)
    second = services.change_dose(actor=clinician, medication=first, dose="12 mg/3 mg",
                                  changed_on=dt.date(2026, 11, 10), reason="cravings")
    first.refresh_from_db()
    assert first.stopped_on == dt.date(2026, 11, 10) and "12 mg/3 mg" in first.stop_reason
    assert second.replaces == first and second.is_active


def test_it_never_edits_or_deletes_a_medication(clinician, patient_record, prescriber):
    medication = buprenorphine(clinician, patient_record, prescriber)
    medication.dose = "16 mg"
    with pytest.raises(ImmutableRecordError):
        medication.save()
    with pytest.raises(ImmutableRecordError):
        Medication.objects.get(pk=medication.pk).delete()
    services.stop_medication(actor=clinician, medication=medication, stopped_on=dt.date(2026, 11, 1),
                             reason="side effects")
    stopped = Medication.objects.get(pk=medication.pk)
    stopped.stopped_on = dt.date(2026, 11, 2)
    with pytest.raises(ImmutableRecordError):
        stopped.save()


def test_it_marks_a_row_entered_in_error_and_keeps_it(clinician, patient_record, prescriber):
    medication = buprenorphine(clinician, patient_record, prescriber)
    services.mark_medication_entered_in_error(actor=clinician, medication=medication, reason="wrong patient")
    medication.refresh_from_db()
    assert medication.status == "entered-in-error"


def test_it_asks_why_a_dose_was_missed(clinician, patient_record, prescriber):
    medication = buprenorphine(clinician, patient_record, prescriber)
    with pytest.raises(ValidationError) as error:
        services.write_adherence_note(actor=clinician, medication=medication, adherence="missed_doses")
    assert "text" in error.value.message_dict
    note = services.write_adherence_note(actor=clinician, medication=medication, adherence="as_prescribed")
    with pytest.raises(ImmutableRecordError):
        note.save()


# --- reconciliation --------------------------------------------------------------------------


def test_it_reconciles_every_current_medication_once(clinician, patient_record, prescriber):
    bup = buprenorphine(clinician, patient_record, prescriber)
    sleep = services.add_medication(actor=clinician, patient=patient_record, name="Trazodone", dose="50 mg",
                                    frequency="at bedtime", source="outside", prescriber_name="Dr. Lee")
    episode = bup.episode
    with pytest.raises(ValidationError) as error:
        services.reconcile_medications(actor=clinician, episode=episode, kind="admission",
                                       decisions={bup.pk: ("continue", "")})
    assert "Trazodone" in error.value.message_dict["decisions"][0]
    reconciliation = services.reconcile_medications(
        actor=clinician, episode=episode, kind="admission",
        decisions={bup.pk: ("continue", ""), sleep.pk: ("stop", "no longer needed")})
    assert reconciliation.lines.count() == 2 and reconciliation.is_part2
    sleep.refresh_from_db()
    assert sleep.stopped_on == NOW.date()
    with pytest.raises(ValidationError):
        services.reconcile_medications(actor=clinician, episode=episode, kind="admission", decisions={bup.pk: ("continue", "")})


# --- drug screens ----------------------------------------------------------------------------


def test_it_interprets_a_screen_against_the_medications_of_the_collection_day(clinician, patient_record, prescriber):
    buprenorphine(clinician, patient_record, prescriber)
    screen = cup(clinician, patient_record, buprenorphine="positive")
    found = results_of(screen)
    assert found["buprenorphine"].interpretation == Interpretation.EXPECTED_POSITIVE
    assert found["buprenorphine"].explained_by.name == "Buprenorphine/naloxone"
    assert found["cocaine"].interpretation == Interpretation.EXPECTED_NEGATIVE
    assert screen.service_code == "80305" and screen.is_part2
    assert not Task.objects.filter(kind=TaskKind.DRUG_SCREEN).exists()


def test_a_stopped_medication_no_longer_explains_a_positive_after_its_stop_date(clinician, patient_record):
    lorazepam = services.add_medication(actor=clinician, patient=patient_record, name="Lorazepam", dose="1 mg",
                                        frequency="as needed", source="outside", prescriber_name="Dr. Lee",
                                        started_on=dt.date(2026, 10, 1))
    services.stop_medication(actor=clinician, medication=lorazepam, stopped_on=dt.date(2026, 11, 20),
                             reason="tapered off")
    on_stop_day = cup(clinician, patient_record, when=NOW - dt.timedelta(days=11), benzodiazepines="positive")
    after = cup(clinician, patient_record, benzodiazepines="positive")
    assert results_of(on_stop_day)["benzodiazepines"].interpretation == Interpretation.EXPECTED_POSITIVE
    assert results_of(after)["benzodiazepines"].interpretation == Interpretation.UNEXPECTED_POSITIVE


def test_a_later_medication_change_does_not_rewrite_a_stored_interpretation(clinician, patient_record, prescriber):
    screen = cup(clinician, patient_record, buprenorphine="positive")
    buprenorphine(clinician, patient_record, prescriber, started_on=dt.date(2026, 10, 2))
    assert results_of(screen)["buprenorphine"].interpretation == Interpretation.UNEXPECTED_POSITIVE


def test_an_unexpected_positive_creates_one_task_for_the_primary_clinician(clinician, patient_record):
    screen = cup(clinician, patient_record, cocaine="positive", thc="positive")
    tasks = Task.objects.filter(kind=TaskKind.DRUG_SCREEN)
    assert [(t.assignee, t.urgent, t.topic) for t in tasks] == [(clinician, False, f"medical:screen:{screen.pk}")]
    task = tasks.get()
    assert "Cocaine" in task.detail and "Cannabis" in task.detail
    assert "not a reason for discharge" in task.detail


def test_a_fentanyl_positive_creates_an_urgent_task(clinician, patient_record):
    services.record_drug_screen(actor=clinician, patient=patient_record, specimen="urine",
                                collected_at=NOW, observed=False, panel="fentanyl_strip",
                                results={"fentanyl": "positive"})
    task = Task.objects.get(kind=TaskKind.DRUG_SCREEN)
    assert task.urgent and "naloxone" in task.detail


def test_a_buprenorphine_negative_reaches_the_clinician_and_the_prescriber(clinician, patient_record, prescriber):
    buprenorphine(clinician, patient_record, prescriber)
    cup(clinician, patient_record)
    assert set(Task.objects.filter(kind=TaskKind.DRUG_SCREEN).values_list("assignee__username", flat=True)) == {
        "clinician", "prescriber"}


def test_tasks_about_a_screen_are_not_created_twice(clinician, patient_record):
    screen = cup(clinician, patient_record, cocaine="positive")
    rows = list(DrugScreenResult.objects.filter(screen=screen))
    services._tasks_for(actor=clinician, screen=screen, rows=rows, medications=[])
    assert Task.objects.filter(topic=f"medical:screen:{screen.pk}").count() == 1


def test_a_laboratory_screen_is_interpreted_when_its_results_come(clinician, patient_record):
    screen = services.record_drug_screen(actor=clinician, patient=patient_record, specimen="urine",
                                         collected_at=NOW, observed=True, panel="lab_uds", lab="Quest Lab")
    assert screen.status == "collected" and screen.service_code == "80307"
    results = {code: "negative" for code in services.rules.PANELS["lab_uds"].substances} | {"fentanyl": "positive"}
    services.record_results(actor=clinician, screen=screen, results=results)
    screen.refresh_from_db()
    assert screen.status == "resulted"
    assert Task.objects.get(kind=TaskKind.DRUG_SCREEN).urgent
    with pytest.raises(ValidationError):
        services.record_results(actor=clinician, screen=screen, results=results)


def test_it_codes_only_one_presumptive_test_per_date_of_service(clinician, patient_record):
    first = cup(clinician, patient_record)
    second = cup(clinician, patient_record)
    assert first.service_code == "80305"
    assert second.service_code == "" and "one presumptive drug test code per date of service" in second.billing_note


def test_a_correction_is_a_new_screen_and_the_first_stays(clinician, patient_record):
    screen = cup(clinician, patient_record, cocaine="positive")
    with pytest.raises(ImmutableRecordError):
        DrugScreen.objects.get(pk=screen.pk).save()
    corrected = services.amend_drug_screen(actor=clinician, screen=screen, results={code: "negative" for code in services.rules.CUP_12}, reason="Read the wrong line")
    assert corrected.amends == screen and results_of(screen)["cocaine"].result == "positive"
    assert results_of(corrected)["cocaine"].result == "negative" and corrected.service_code == ""


def test_a_screen_needs_every_result_of_its_panel(clinician, patient_record):
    with pytest.raises(ValidationError) as error:
        services.record_drug_screen(actor=clinician, patient=patient_record, specimen="urine", collected_at=NOW,
                                    observed=True, panel="cup12", results={"cocaine": "negative"})
    assert "results" in error.value.message_dict


# --- recovery date ---------------------------------------------------------------------------


def test_a_positive_screen_never_changes_the_recovery_date(clinician, patient_record, patient_user):
    services.set_recovery_date(actor=patient_user, patient=patient_record, date=dt.date(2026, 9, 15),
                               source="portal")
    cup(clinician, patient_record, cocaine="positive", opiates="positive")
    services.record_drug_screen(actor=clinician, patient=patient_record, specimen="breath", collected_at=NOW,
                                observed=True, panel="breath", results={"alcohol": "positive"},
                                values={"alcohol": "0.040"})
    assert list(RecoveryDate.objects.values_list("recovery_date", flat=True)) == [dt.date(2026, 9, 15)]


def test_only_the_patient_sets_the_date_in_the_portal_and_staff_say_the_patient_asked(
        clinician, patient_record, other_patient_user):
    with pytest.raises(ValidationError):
        services.set_recovery_date(actor=other_patient_user, patient=patient_record, date=dt.date(2026, 9, 1),
                                   source="portal")
    with pytest.raises(ValidationError) as error:
        services.set_recovery_date(actor=clinician, patient=patient_record, date=dt.date(2026, 9, 1), source="clinic")
    assert "note" in error.value.message_dict
    row = services.set_recovery_date(actor=clinician, patient=patient_record, date=dt.date(2026, 9, 1),
                                     source="clinic", note="Asked in session today")
    cleared = services.clear_recovery_date(actor=clinician, patient=patient_record, source="clinic",
                                           note="Asked to clear it")
    assert row.is_part2 and cleared.recovery_date is None and RecoveryDate.objects.count() == 2
