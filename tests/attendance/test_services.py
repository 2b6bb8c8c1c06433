"""Recording attendance: each status and its defaults, the checks on the times (errors name
the field), corrections with their audit trail, and the outreach and repeated-absence tasks."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from openiop.attendance import services
from openiop.attendance.models import OUTCOME_CORRECTED, Attendance
from openiop.audit.models import Action, AuditEvent
from openiop.worklist.models import Task, TaskKind
from tests.attendance.helpers import local, record, session_at
from tests.factories.clinic import admit, make_patient
from tests.scheduling.screens_clinic import TODAY, frozen

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


@pytest.fixture
def group(clinic, clinician, patient_record):
    """Monday 30 November 2026, 18:00-21:00, with Avery on the roster."""
    session, (row,) = session_at(clinic["sud"], clinician, local(MONDAY, 18), local(MONDAY, 21),
                                 patients=[patient_record])
    return session, row


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_it_records_present_with_no_times_as_the_whole_session(group, clinician):
    session, row = group
    attendance = record(clinician, row, "present")
    assert (attendance.checked_in_at, attendance.checked_out_at) == (session.starts_at, session.ends_at)
    assert attendance.minutes == 180
    assert attendance.attended and attendance.security_labels[:2] == ["R", "42CFRPart2"]


def test_it_clips_an_early_arrival_and_a_late_stay_to_the_session(group, clinician):
    attendance = record(clinician, group[1], "present", checked_in_at=local(MONDAY, 17, 40),
                        checked_out_at=local(MONDAY, 21, 15))
    assert attendance.minutes == 180


def test_it_defaults_a_late_arrival_to_stay_until_the_end(group, clinician):
    attendance = record(clinician, group[1], "late", checked_in_at=local(MONDAY, 18, 17))
    assert attendance.checked_out_at == group[0].ends_at
    assert attendance.minutes == 163


def test_it_defaults_an_early_departure_to_have_come_at_the_start(group, clinician):
    attendance = record(clinician, group[1], "left_early", checked_out_at=local(MONDAY, 20, 35))
    assert attendance.checked_in_at == group[0].starts_at
    assert attendance.minutes == 155


def test_it_counts_partial_attendance_late_and_leaving_early_exactly(group, clinician):
    attendance = record(clinician, group[1], "late", checked_in_at=local(MONDAY, 18, 17),
                        checked_out_at=local(MONDAY, 20, 35))
    assert attendance.minutes == 180 - 17 - 25


def test_it_drops_seconds_rather_than_rounding_up(group, clinician):
    arrival = local(MONDAY, 18, 17) + dt.timedelta(seconds=59)
    attendance = record(clinician, group[1], "late", checked_in_at=arrival)
    assert attendance.minutes == 162


def test_it_records_absences_with_no_times_and_no_minutes(group, clinician):
    attendance = record(clinician, group[1], "absent_excused", absence_reason="Called in sick")
    assert (attendance.minutes, attendance.checked_in_at, attendance.checked_out_at) == (0, None, None)
    assert not attendance.attended and attendance.absence_reason == "Called in sick"


def test_it_records_telehealth_attendance(clinic, clinician, patient_record):
    _session, (row,) = session_at(clinic["sud"], clinician, local(MONDAY, 10), local(MONDAY, 11),
                                 kind="individual", telehealth=True, patients=[patient_record])
    attendance = record(clinician, row, "present", by_telehealth=True)
    assert attendance.by_telehealth and attendance.minutes == 60


@pytest.mark.parametrize(("status", "fields", "field", "words"), [
    ("late", {}, "checked_in_at", "time the patient arrived"),
    ("left_early", {}, "checked_out_at", "time the patient left"),
    ("late", {"checked_in_at": (18, 0)}, "checked_in_at", "after the start"),
    ("left_early", {"checked_out_at": (21, 0)}, "checked_out_at", "before the end"),
    ("present", {"checked_in_at": (19, 0), "checked_out_at": (18, 30)}, "checked_out_at", "before check-in"),
    ("present", {"checked_in_at": (13, 0)}, "checked_in_at", "far outside"),
    ("present", {"checked_out_at": (23, 30)}, "checked_out_at", "far outside"),
    ("late", {"checked_in_at": (21, 10)}, "checked_in_at", "record an absence"),
    ("absent_unexcused", {"checked_in_at": (18, 0)}, "checked_in_at", "no check-in"),
    ("absent_excused", {}, "absence_reason", "why the absence is excused"),
    ("maybe", {}, "status", "Choose present"),
])
def test_it_names_the_field_that_is_wrong(group, clinician, status, fields, field, words):
    times = {name: local(MONDAY, *value) for name, value in fields.items()}
    with pytest.raises(ValidationError) as excinfo:
        record(clinician, group[1], status, **times)
    assert words in " ".join(errors_of(excinfo)[field])
    assert not Attendance.objects.exists()


def test_it_refuses_attendance_for_a_cancelled_session(clinic, clinician, patient_record):
    _, (row,) = session_at(clinic["sud"], clinician, local(MONDAY, 18), local(MONDAY, 21), status="cancelled",
                           patients=[patient_record])
    with pytest.raises(ValidationError) as excinfo:
        record(clinician, row, "present")
    assert "cancelled" in errors_of(excinfo)["status"][0]


def test_only_an_excused_absence_may_be_recorded_before_the_session_starts(clinic, clinician, patient_record):
    _, (row,) = session_at(clinic["sud"], clinician, local(TODAY, 18), local(TODAY, 21), patients=[patient_record])
    with pytest.raises(ValidationError) as excinfo:
        record(clinician, row, "present")
    assert "not started" in errors_of(excinfo)["status"][0]
    attendance = record(clinician, row, "absent_excused", absence_reason="Court date, called ahead")
    assert attendance.status == "absent_excused"
    assert not Task.objects.exists()


def test_a_check_in_in_the_future_is_refused_while_a_session_is_under_way(clinic, clinician, patient_record):
    _, (row,) = session_at(clinic["sud"], clinician, local(TODAY, 8, 30), local(TODAY, 11, 30),
                           patients=[patient_record])
    with pytest.raises(ValidationError) as excinfo:
        record(clinician, row, "late", checked_in_at=local(TODAY, 9, 30))
    assert "future" in errors_of(excinfo)["checked_in_at"][0]
    # Taken at the start of the group, "present" expects the patient to stay to the end.
    assert record(clinician, row, "present").minutes == 180


def test_a_correction_is_audited_with_the_values_before_and_after(group, clinician, director):
    record(clinician, group[1], "present")
    attendance = record(director, group[1], "left_early", checked_out_at=local(MONDAY, 20))
    assert attendance.minutes == 120 and attendance.updated_by == director
    assert attendance.recorded_by == clinician
    change = AuditEvent.objects.get(action=Action.CHANGE, object_type="attendance.attendance")
    assert change.detail["before"]["status"] == "present" and change.detail["before"]["minutes"] == 180
    assert change.detail["after"]["status"] == "left_early" and change.detail["after"]["minutes"] == 120
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="attendance.attendance").count() == 1


def test_saving_the_same_values_again_changes_nothing(group, clinician):
    record(clinician, group[1], "present")
    record(clinician, group[1], "present")
    assert Attendance.objects.count() == 1
    assert not AuditEvent.objects.filter(action=Action.CHANGE, object_type="attendance.attendance").exists()


def test_an_unexcused_absence_asks_the_primary_clinician_to_call_today(clinic, patient_record, clinician, director):
    _session, (row,) = session_at(clinic["sud"], director, local(MONDAY, 18), local(MONDAY, 21),
                                 patients=[patient_record])
    attendance = record(director, row, "absent_unexcused")
    task = Task.objects.get(kind=TaskKind.OUTREACH)
    assert task.assignee == clinician and task.patient == patient_record
    assert task.due_on == TODAY and not task.urgent
    assert task.topic == f"attendance:outreach:{attendance.pk}"
    assert "Avery" in task.title or "Ave" in task.title


def test_without_a_primary_clinician_the_call_goes_to_the_session_staff(clinic, clinician):
    patient = make_patient(organization=clinic["organization"], program=clinic["sud"], legal_first_name="Jordan",
                           legal_last_name="Reyes", date_of_birth=dt.date(1988, 1, 1))
    admit(patient=patient, program=clinic["sud"])
    _, (row,) = session_at(clinic["sud"], clinician, local(MONDAY, 18), local(MONDAY, 21), patients=[patient])
    record(clinician, row, "absent_unexcused")
    assert Task.objects.get(kind=TaskKind.OUTREACH).assignee == clinician


def test_repeated_absences_raise_one_task_for_the_clinician(clinic, clinician, patient_record, settings):
    settings.OPENIOP_REPEATED_ABSENCES = 2
    settings.OPENIOP_REPEATED_ABSENCES_DAYS = 14
    days = [dt.date(2026, 11, 2), dt.date(2026, 11, 23), dt.date(2026, 11, 24), MONDAY]
    rows = [session_at(clinic["sud"], clinician, local(day, 18), local(day, 21), patients=[patient_record])[1][0]
            for day in days]
    record(clinician, rows[0], "absent_unexcused")
    record(clinician, rows[1], "absent_unexcused")
    # 2 November is 21 days before 23 November: one absence within 14 days so far.
    assert not Task.objects.filter(kind=TaskKind.ABSENCES).exists()
    record(clinician, rows[2], "absent_unexcused")
    assert Task.objects.filter(kind=TaskKind.ABSENCES).count() == 1
    record(clinician, rows[3], "absent_unexcused")
    absences = Task.objects.filter(kind=TaskKind.ABSENCES)
    assert absences.count() == 1
    assert absences.get().assignee == clinician
    assert Task.objects.filter(kind=TaskKind.OUTREACH).count() == 4


def test_correcting_an_absence_to_present_closes_its_outreach_call(group, clinician, front_desk):
    attendance = record(front_desk, group[1], "absent_unexcused")
    record(front_desk, group[1], "late", checked_in_at=local(MONDAY, 18, 40))
    task = Task.objects.get(topic=f"attendance:outreach:{attendance.pk}")
    assert task.done_at is not None and task.done_by == front_desk
    assert task.outcome == OUTCOME_CORRECTED and "corrected to late" in task.resolution
    # Marking the absence again starts a new call.
    record(front_desk, group[1], "absent_unexcused")
    assert Task.objects.open().filter(kind=TaskKind.OUTREACH).count() == 1


def test_recording_the_call_completes_the_task_with_its_outcome(group, clinician):
    record(clinician, group[1], "absent_unexcused")
    task = Task.objects.get(kind=TaskKind.OUTREACH)
    services.record_outreach(actor=clinician, task=task, outcome="left_message", note="Asked to call back")
    task.refresh_from_db()
    assert task.done_at is not None and task.outcome == "left_message"
    assert task.resolution == "Left a message. Asked to call back"
    with pytest.raises(ValidationError) as excinfo:
        services.record_outreach(actor=clinician, task=task, outcome="reached")
    assert "already" in errors_of(excinfo)["outcome"][0]


def test_an_outreach_outcome_must_be_one_of_the_choices(group, clinician):
    record(clinician, group[1], "absent_unexcused")
    task = Task.objects.get(kind=TaskKind.OUTREACH)
    with pytest.raises(ValidationError) as excinfo:
        services.record_outreach(actor=clinician, task=task, outcome="shrug")
    assert "outcome" in errors_of(excinfo)


def test_a_roster_is_saved_whole_or_not_at_all(clinic, clinician, patient_record, other_patient_user):
    other = make_patient(organization=clinic["organization"], program=clinic["sud"], legal_first_name="Dana",
                         legal_last_name="Okafor", date_of_birth=dt.date(1992, 3, 4))
    admit(patient=other, program=clinic["sud"], clinician=clinician)
    session, rows = session_at(clinic["sud"], clinician, local(MONDAY, 18), local(MONDAY, 21),
                               patients=[patient_record, other])
    bad = [{"attendee": rows[0], "status": "present"}, {"attendee": rows[1], "status": "late"}]
    with pytest.raises(services.RosterError) as excinfo:
        services.take_roster(actor=clinician, session=session, entries=bad)
    assert list(excinfo.value.rows) == [rows[1].pk]
    assert "checked_in_at" in excinfo.value.rows[rows[1].pk]
    assert not Attendance.objects.exists()
    good = [{"attendee": rows[0], "status": "present"},
            {"attendee": rows[1], "status": "late", "checked_in_at": local(MONDAY, 18, 5)}]
    saved = services.take_roster(actor=clinician, session=session, entries=good)
    assert [a.minutes for a in saved] == [180, 175]
    assert Attendance.objects.count() == 2

