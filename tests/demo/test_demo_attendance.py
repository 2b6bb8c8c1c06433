"""The demo's attendance step on a small clinic (the whole demo is tested in test_demo_clinic):
every past roster row gets attendance, rates are plausible, older outreach calls have an
outcome, and two builds from the same seed are the same."""

import datetime as dt

import pytest

from openiop.attendance.models import Attendance
from openiop.demo.attendance import build_attendance
from openiop.demo.loader import new_context
from openiop.worklist.models import Task, TaskKind
from tests.factories.clinic import admit, make_patient
from tests.scheduling.screens_clinic import (
    TODAY,
    WEEK,
    at,
    build_setup,
    frozen,
    make_series,
    series_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


@pytest.fixture
def small_clinic(clinic, clinician, patient_record, director):
    setup = build_setup(clinic, clinician, patient_record)
    patients = [patient_record, setup["second"]]
    for i in range(8):
        extra = make_patient(organization=clinic["organization"], program=clinic["sud"], legal_first_name=f"Sam{i}",
                             legal_last_name="Demo", date_of_birth=dt.date(1990, 1, 1))
        admit(patient=extra, program=clinic["sud"], clinician=clinician)
        patients.append(extra)
    series = make_series(setup, weekday=0, start=dt.time(18), starts_on=dt.date(2026, 9, 7))
    for back in range(9):
        series_session(series, WEEK - dt.timedelta(weeks=back), patients=patients)
    future = series_session(series, WEEK + dt.timedelta(weeks=1), patients=patients)
    ctx = new_context(seed=7, with_passwords=False)
    ctx.organization, ctx.staff, ctx.today = clinic["organization"], {"director": director}, TODAY
    return {"ctx": ctx, "future": future, "rows": 9 * len(patients), "setup": setup}


def test_every_past_roster_row_gets_attendance_and_the_rates_are_plausible(small_clinic):
    build_attendance(small_clinic["ctx"])
    assert Attendance.objects.count() == small_clinic["rows"] == 90
    assert not Attendance.objects.filter(session=small_clinic["future"]).exists()
    present = Attendance.objects.filter(status="present").count()
    assert present >= 60
    assert all(a.minutes == 180 for a in Attendance.objects.filter(status="present"))
    partial = Attendance.objects.filter(status__in=("late", "left_early"))
    assert all(0 < a.minutes < 180 for a in partial)
    assert Attendance.objects.filter(status="absent_excused").exclude(absence_reason="").count() == \
        Attendance.objects.filter(status="absent_excused").count()
    assert all(a.recorded_at == a.session.ends_at for a in Attendance.objects.select_related("session"))


def test_older_outreach_calls_have_an_outcome_and_this_weeks_are_open(small_clinic):
    build_attendance(small_clinic["ctx"])
    calls = Task.objects.filter(kind=TaskKind.OUTREACH)
    assert calls.exists()
    assert calls.count() == Attendance.objects.filter(status="absent_unexcused").count()
    for task in calls:
        if task.due_on < WEEK:
            assert task.done_at is not None and task.outcome
        else:
            assert task.done_at is None
    assert at(WEEK, 0) > min(t.created_at for t in calls)


def test_the_same_seed_builds_the_same_attendance(small_clinic):
    build_attendance(small_clinic["ctx"])
    first = list(Attendance.objects.order_by("attendee_id").values_list("attendee_id", "status", "minutes"))
    Task.objects.all().delete()
    Attendance.objects.all().delete()
    ctx = small_clinic["ctx"]
    ctx.rng.seed(7)
    build_attendance(ctx)
    second = list(Attendance.objects.order_by("attendee_id").values_list("attendee_id", "status", "minutes"))
    assert first == second
