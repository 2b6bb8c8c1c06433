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
