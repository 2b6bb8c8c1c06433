"""The weekly solve in the background: a SolveRun queued, run by the task, its progress kept."""

import datetime as dt

import pytest
import time_machine

from openiop.scheduling import tasks, weeks
from openiop.scheduling.models import Session, SolveRun, SolveStatus
from tests.scheduling import week_clinic
from tests.scheduling.week_clinic import WEEK


@pytest.fixture(autouse=True)
def _before_the_week():
    with time_machine.travel(week_clinic.BEFORE_THE_WEEK, tick=True):
        yield


@pytest.fixture
def setup(clinic, clinician, patient_record):
    return week_clinic.build(clinic, clinician, patient_record)


def test_a_queued_solve_runs_to_done_with_its_result(setup, clinician, monkeypatch):
    stages = []
    real = weeks.solve_week

    def watched(*args, progress, **kwargs):
        def spy(percent, stage):
            stages.append((percent, stage))
            progress(percent, stage)
            # The run's row shows the progress while it runs.
            assert SolveRun.objects.get().progress == percent

        return real(*args, progress=spy, **kwargs)

    monkeypatch.setattr(tasks, "solve_week", watched)
    run = tasks.start_solve(setup["organization"], WEEK, by=clinician, seconds=3)
    assert run.status == SolveStatus.DONE and run.progress == 100 and run.stage == "Done"
    assert run.finished_at is not None and run.error == ""
    assert run.requested_by == clinician and not run.repair
    assert run.result["violations"] == 0 and run.result["patients"] == 4
    assert run.result["unmet"][setup["patients"]["casey"].mrn]
    assert [p for p, _ in stages] == sorted(p for p, _ in stages) and stages[-1][0] == 100
    assert Session.objects.exists()


def test_a_repair_run_places_only_its_patients(setup, clinician):
    tasks.start_solve(setup["organization"], WEEK, by=clinician, seconds=3)
    devon = setup["patients"]["devon"]
    run = tasks.start_solve(setup["organization"], WEEK, by=clinician, repair_patients=[devon], seconds=3)
    assert run.repair and list(run.patients.all()) == [devon]
    assert run.status == SolveStatus.DONE, run.error
    assert run.result["mode"] == "repair" and run.result["patients"] == 1


def test_a_solve_that_cannot_be_saved_fails_with_the_reason_in_plain_words(setup, clinician, monkeypatch):
    def refused(*args, **kwargs):
        raise weeks.ScheduleRefused(["rule 1: patient M0000001 is booked twice at once: a and b."])

    monkeypatch.setattr(tasks, "solve_week", refused)
    run = tasks.start_solve(setup["organization"], WEEK, by=clinician)
    assert run.status == SolveStatus.FAILED and run.finished_at is not None
    assert "nothing was saved" in run.error and "booked twice" in run.error


def test_an_unexpected_error_fails_the_run_without_details_on_screen(setup, clinician, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("secret detail")

    monkeypatch.setattr(tasks, "solve_week", broken)
    run = tasks.start_solve(setup["organization"], WEEK, by=clinician)
    assert run.status == SolveStatus.FAILED
    assert "unexpected error (KeyError)" in run.error and "secret" not in run.error


def test_a_week_not_starting_on_monday_is_refused_before_anything_is_queued(setup, clinician):
    with pytest.raises(weeks.WeekError, match="use 2026-11-30"):
        tasks.start_solve(setup["organization"], dt.date(2026, 12, 1), by=clinician)
    assert not SolveRun.objects.exists()
