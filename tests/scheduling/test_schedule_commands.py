"""`openiop schedule solve | validate`: files in, a schedule file and one line out."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from openiop import cli
from openiop.scheduling.management.commands import schedule_solve, schedule_validate
from tests.scheduling.test_solver import evening_section, patient, week


def run(command, *args):
    stdout, stderr = io.StringIO(), io.StringIO()
    # The command objects themselves, so the tests do not depend on the app list.
    call_command(command.Command(), *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def write_json(tmp_path, name, data) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def two_patients_one_seat():
    return week(patients=[patient("p1"), patient("p2")], rooms=[{"id": "group-a", "capacity": 2}])


def solve_to_file(tmp_path, data):
    instance = write_json(tmp_path, "week.json", data)
    out = str(tmp_path / "schedule.json")
    stdout, _ = run(schedule_solve, "--instance", instance, "--out", out, "--seconds", "5", "--workers", "1")
    return instance, out, stdout


def test_the_commands_are_reached_as_openiop_schedule_solve_and_validate():
    assert cli.GROUPED_COMMANDS["schedule", "solve"] == "schedule_solve"
    assert cli.GROUPED_COMMANDS["schedule", "validate"] == "schedule_validate"


def test_solve_writes_the_schedule_with_its_violation_count_and_prints_one_line(tmp_path):
    _, out, stdout = solve_to_file(tmp_path, two_patients_one_seat())
    written = json.loads((tmp_path / "schedule.json").read_text(encoding="utf-8"))
    assert written["violations"] == 0
    assert written["solver"]["status"] == "OPTIMAL"
    assert [p["meets_plan"] for p in written["patients"]].count(True) == 1
    assert stdout.startswith("1 of 2 patients meet their plan (bound 1); ")
    assert stdout.rstrip().endswith(f"0 violations; written to {out}")


def test_a_bad_instance_lists_every_problem_and_exits_2(tmp_path):
    data = week(patients=[patient("p1") | {"primary_clinician": "nobody"}],
                sections=[evening_section("eve-mon", 0) | {"start": "6pm"}])
    instance = write_json(tmp_path, "week.json", data)
    with pytest.raises(CommandError) as error:
        run(schedule_solve, "--instance", instance, "--out", str(tmp_path / "out.json"))
    assert error.value.returncode == 2
    message = str(error.value)
    assert "sections.eve-mon.start: '6pm' is not a time" in message
    assert "patients.p1.primary_clinician: unknown staff member 'nobody'." in message
    assert not (tmp_path / "out.json").exists()


def test_a_missing_instance_file_exits_2(tmp_path):
    with pytest.raises(CommandError) as error:
        run(schedule_solve, "--instance", str(tmp_path / "nope.json"), "--out", str(tmp_path / "out.json"))
    assert error.value.returncode == 2
    assert "no such file" in str(error.value)


def test_validate_passes_the_solvers_schedule(tmp_path):
    instance, out, _ = solve_to_file(tmp_path, two_patients_one_seat())
    stdout, _ = run(schedule_validate, "--instance", instance, "--schedule", out)
    assert stdout.strip() == f"{out}: no violations."


def test_validate_prints_each_violation_and_exits_1(tmp_path):
    instance, out, _ = solve_to_file(tmp_path, two_patients_one_seat())
    schedule = json.loads(Path(out).read_text(encoding="utf-8"))
    schedule["sessions"][0]["patients"] = ["p1", "p2"]          # two patients in a room for one
    edited = write_json(tmp_path, "edited.json", schedule)
    stdout = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command(schedule_validate.Command(), "--instance", instance, "--schedule", edited, stdout=stdout)
    assert error.value.returncode == 1
    lines = stdout.getvalue().splitlines()
    assert lines and all(line.startswith("rule ") for line in lines)
    assert any("seats 2" in line for line in lines)


def test_validate_refuses_a_file_that_is_not_a_schedule(tmp_path):
    instance = write_json(tmp_path, "week.json", two_patients_one_seat())
    with pytest.raises(CommandError) as error:
        run(schedule_validate, "--instance", instance, "--schedule", write_json(tmp_path, "x.json", [1, 2]))
    assert error.value.returncode == 2
    assert "expected a schedule with a list of sessions" in str(error.value)


# The clinic's week from the database: solve --week, export, check, remind ----------------------


@pytest.fixture
def week_setup(clinic, clinician, patient_record):
    import time_machine

    from tests.scheduling import week_clinic

    with time_machine.travel(week_clinic.BEFORE_THE_WEEK, tick=True):
        yield week_clinic.build(clinic, clinician, patient_record)


def solve_week(*args):
    return run(schedule_solve, "--week", "2026-11-30", "--seconds", "3", "--workers", "1", *args)


def refused(command, *args):
    with pytest.raises(CommandError) as error:
        run(command, *args)
    return error.value


def test_the_week_commands_are_reached_as_openiop_schedule_export_check_and_remind():
    assert cli.GROUPED_COMMANDS["schedule", "export"] == "schedule_export"
    assert cli.GROUPED_COMMANDS["schedule", "check"] == "schedule_check"
    assert cli.GROUPED_COMMANDS["schedule", "remind"] == "schedule_remind"


def test_solve_week_saves_the_week_and_prints_a_plain_summary(week_setup):
    from openiop.scheduling.models import Session

    stdout, _ = solve_week()
    lines = stdout.splitlines()
    assert lines[0].startswith("Week of 2026-11-30 (full solve): ")
    assert " of 4 patients meet their plan; " in lines[0] and lines[0].endswith(" s.")
    assert "; 0 violations; " in lines[0]
    casey = week_setup["patients"]["casey"].mrn
    assert any(line.startswith(f"  {casey}: ") and "group block" in line for line in lines[1:])
    assert Session.objects.filter(source="solver").exists()


def test_solve_week_prints_json_when_asked(week_setup):
    stdout, _ = solve_week("--json")
    summary = json.loads(stdout)
    assert summary["violations"] == 0 and summary["mode"] == "full" and summary["patients"] == 4


def test_solve_week_repairs_only_the_patients_named(week_setup):
    solve_week()
    devon = week_setup["patients"]["devon"].mrn
    stdout, _ = solve_week("--repair", devon, "--json")
    summary = json.loads(stdout)
    assert summary["mode"] == "repair" and summary["patients"] == 1


@pytest.mark.parametrize(("args", "message"), [
    (("--week", "2026-12-02"), "--week 2026-12-02 is a Wednesday; weeks start on Monday: use 2026-11-30."),
    (("--week", "30/11/2026"), "--week '30/11/2026' is not a date: write it as YYYY-MM-DD"),
    (("--week", "2026-11-30", "--organization", "999999"), "there is no organization 999999;"),
    (("--week", "2026-11-30", "--repair", "M9999999"), "no patient with MRN M9999999 in "),
    (("--week", "2026-11-30", "--instance", "x.json"), "give either --week YYYY-MM-DD"),
    (("--week", "2026-11-16"), "The week of 2026-11-16 is over"),
])
def test_solve_week_explains_bad_input_in_one_line_and_exits_2(week_setup, args, message):
    error = refused(schedule_solve, *args)
    assert error.returncode == 2
    assert message in str(error) and "\n" not in str(error)


def test_several_organizations_need_one_named(week_setup):
    from tests.factories.clinic import OrganizationFactory

    OrganizationFactory(name="Lakeside Recovery")
    error = refused(schedule_solve, "--week", "2026-11-30")
    assert error.returncode == 2
    assert "there are several organizations: pass --organization ID." in str(error)
    assert f"{week_setup['organization'].pk} = {week_setup['organization'].name}" in str(error)


def test_export_writes_json_and_audits_each_patient(week_setup, tmp_path):
    from openiop.audit.models import Action, AuditEvent
    from openiop.scheduling.management.commands import schedule_export

    solve_week()
    out = tmp_path / "week.json"
    stdout, _ = run(schedule_export, "--week", "2026-11-30", "--out", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert stdout.strip() == f"Wrote {len(data['sessions'])} sessions and 4 patients of the week of 2026-11-30 to {out}"
    events = AuditEvent.objects.filter(action=Action.EXPORT)
    assert sorted(events.values_list("patient_mrn", flat=True)) == sorted(p["mrn"] for p in data["patients"])
    assert {e.username for e in events} == {events.first().username} and events.first().username.startswith("cli:")


def test_export_writes_a_calendar_to_standard_output(week_setup):
    from icalendar import Calendar

    from openiop.scheduling.management.commands import schedule_export

    solve_week()
    stdout, _ = run(schedule_export, "--week", "2026-11-30", "--format", "ics")
    assert Calendar.from_ical(stdout).walk("VEVENT")


def test_export_refuses_a_week_that_does_not_start_on_monday(week_setup):
    from openiop.scheduling.management.commands import schedule_export

    error = refused(schedule_export, "--week", "2026-12-01")
    assert error.returncode == 2 and "use 2026-11-30" in str(error)


def test_check_passes_a_solved_week_and_exits_1_on_a_violation(week_setup):
    import datetime as dt

    from openiop.scheduling.management.commands import schedule_check
    from openiop.scheduling.models import Attendee, Session

    solve_week()
    stdout, _ = run(schedule_check, "--week", "2026-11-30")
    assert stdout.strip() == "The week of 2026-11-30: no violations."
    monday = Session.objects.get(series=week_setup["series"]["monday"])
    session = Session.objects.create(program=monday.program, kind="individual", starts_at=monday.starts_at,
                                      ends_at=monday.starts_at + dt.timedelta(minutes=60), fixed=True,
                                      room=week_setup["rooms"]["offices"][1])
    session.staff.set([week_setup["staff"]["tlee"]])
    avery = week_setup["patients"]["avery"]
    row = Attendee(session=session, patient=avery, episode=avery.episodes.get())
    row.label_for_program(monday.program)
    row.save()
    output = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command(schedule_check.Command(), "--week", "2026-11-30", stdout=output)
    assert error.value.returncode == 1
    assert any(line.startswith(f"rule 1: patient {avery.mrn} is booked twice") for line in output.getvalue().splitlines())
    from openiop.audit.models import Action, AuditEvent

    assert AuditEvent.objects.filter(action=Action.LIST, patient=avery, detail__check="schedule").exists()


def test_remind_sends_what_is_due_at_the_moment_given(monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from openiop.scheduling import reminders
    from openiop.scheduling.management.commands import schedule_remind

    seen = []

    def send_due_reminders(*, now=None):
        seen.append(now)
        return {"sent": 3, "skipped_quiet_hours": 1}

    monkeypatch.setattr(reminders, "send_due_reminders", send_due_reminders)
    stdout, _ = run(schedule_remind, "--now", "2026-11-30T08:00")
    assert stdout.strip() == "Reminders: sent 3, skipped quiet hours 1."
    assert seen == [timezone.make_aware(dt.datetime(2026, 11, 30, 8, 0))]
    error = refused(schedule_remind, "--now", "tomorrow")
    assert error.returncode == 2 and "is not a moment" in str(error)
