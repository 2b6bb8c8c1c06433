"""`openiop plans check [--date]`: the nightly tasks for overdue treatment plans."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from openiop import cli
from openiop.audit.models import AuditEvent
from openiop.worklist.models import Task

ADMITTED = dt.date(2026, 10, 1)  # patient_record's admission; the plan is due 7 days later


def run(*args) -> str:
    stdout = io.StringIO()
    call_command("plans_check", *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def test_an_unsigned_plan_past_its_due_day_puts_one_task_on_the_clinicians_list(patient_record, clinician):
    assert run("--date", "2026-10-09") == "Created 1 plan task as of 2026-10-09.\n"
    task = Task.objects.get(assignee=clinician, patient=patient_record, done_at__isnull=True)
    assert task.title == "Treatment plan overdue"


def test_running_it_again_creates_nothing_new(patient_record, clinician):
    run("--date", "2026-10-09")
    assert run("--date", "2026-10-09") == "Created 0 plan tasks as of 2026-10-09.\n"
    assert run("--date", "2026-10-10") == "Created 0 plan tasks as of 2026-10-10.\n"
    assert Task.objects.filter(assignee=clinician, patient=patient_record).count() == 1


def test_nothing_is_due_before_the_due_day(patient_record, clinician):
    assert run("--date", "2026-10-08") == "Created 0 plan tasks as of 2026-10-08.\n"
    assert not Task.objects.filter(patient=patient_record).exists()


def test_without_a_date_it_checks_as_of_today(patient_record, clinician):
    # Today (2026-11-29 in these machines' clocks or later) is long past the 2026-10-08 due day.
    assert run() == "Created 1 plan task.\n"


def test_the_tasks_are_audited_as_the_command(patient_record, clinician):
    run("--date", "2026-10-09")
    event = AuditEvent.objects.filter(patient=patient_record, object_type="worklist.task").get()
    assert event.path == "openiop plans check" and event.username.startswith("cli:")


def test_a_date_that_is_not_a_date_is_refused_plainly(db):
    with pytest.raises(CommandError, match="write it as YYYY-MM-DD") as error:
        run("--date", "09/10/2026")
    assert error.value.returncode == 2


def test_the_command_is_grouped_under_plans():
    assert cli.GROUPED_COMMANDS[("plans", "check")] == "plans_check"
