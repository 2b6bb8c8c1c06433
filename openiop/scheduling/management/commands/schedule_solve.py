"""`openiop schedule solve`: a week from a JSON file, or the clinic's week in the database.

From files (nothing stored, nothing audited: the files are the whole input and output):

    $ openiop schedule solve --instance week.json --out schedule.json
    41 of 42 patients meet their plan (bound 42); 12.3 s; 0 violations; written to schedule.json

From the database (`--week`, a Monday): builds the week's instance from tracks, group series,
availability and treatment plans, solves it, re-checks it with the independent validator and
saves it to the calendar, replacing the week's future sessions placed by the solver (sessions
placed by hand, fixed or already started stay). With `--repair MRN ...` every session stays and
only those patients are placed:

    $ openiop schedule solve --week 2026-11-30
    Week of 2026-11-30 (full solve): 40 of 42 patients meet their plan; 96 sessions made, 90 replaced;
    0 violations; 28.7 s.
      M0000012: 2 of 3 group blocks: ...

Writes are audited as the operator (`cli:<user>`). `--json` prints the summary as JSON.
"""

import json
from pathlib import Path

from django.core.management.base import CommandError

from openiop.audit.context import command_context
from openiop.lib.commands import BAD_INPUT, PlainErrorCommand, parse_day
from openiop.scheduling import validator
from openiop.scheduling.instance import Instance, InstanceError, load_instance

# Bad input (an unreadable file, an instance with errors): exit 2, like argparse.


class Command(PlainErrorCommand):
    help = (
        "Build a week's schedule with the CP-SAT solver and check it with the validator: from a "
        "JSON instance to a JSON file (--instance FILE --out FILE), or the clinic's week from the "
        "database, saved to the calendar (--week YYYY-MM-DD, optionally --repair MRN ...)."
    )
    failure_summary = "scheduling failed"

    def add_arguments(self, parser):
        parser.add_argument("--instance", metavar="FILE", help="The week to schedule (JSON).")
        parser.add_argument("--out", metavar="FILE", help="Where to write the schedule (JSON), with --instance.")
        parser.add_argument("--week", metavar="YYYY-MM-DD",
                            help="Solve the clinic's week starting this Monday and save it to the calendar.")
        parser.add_argument("--organization", type=int, metavar="ID",
                            help="The organization, with --week (needed when there are several).")
        parser.add_argument("--repair", nargs="+", metavar="MRN",
                            help="With --week: keep every session and place only these patients.")
        parser.add_argument("--json", action="store_true", help="With --week: print the summary as JSON.")
        parser.add_argument("--seconds", type=float, default=30, help="Time limit for the solver (default 30).")
        parser.add_argument("--workers", type=int, default=2, help="Solver threads (default 2).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed, for repeatable runs (default 0).")
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        if options["seconds"] <= 0 or options["workers"] < 1:
            raise bad_input("--seconds must be above 0 and --workers at least 1.")
        if bool(options["week"]) == bool(options["instance"]):
            raise bad_input("give either --week YYYY-MM-DD (the clinic's week) or --instance FILE --out FILE.")
        if options["week"]:
            if options["out"]:
                raise bad_input("--out goes with --instance; with --week the week is saved to the calendar.")
            self.solve_week(options)
            return
        if options["repair"] or options["json"] or options["organization"] is not None:
            raise bad_input("--repair, --json and --organization go with --week.")
        if not options["out"]:
            raise bad_input("--instance needs --out FILE (where to write the schedule).")
        self.solve_file(options)

    def solve_week(self, options) -> None:
        from openiop.scheduling.weeks import ScheduleRefused, WeekError, solve_week

        organization = organization_from(options["organization"])
        week_start = week_from(options["week"])
        repair = patients_from(organization, options["repair"]) if options["repair"] else None
        try:
            with command_context("schedule solve"):
                summary = solve_week(organization, week_start, repair_patients=repair, seconds=options["seconds"],
                                     workers=options["workers"])
        except WeekError as error:
            raise bad_input(str(error)) from error
        except ScheduleRefused as error:
            for line in error.violations:
                self.stderr.write(line, style_func=str)
            raise CommandError(str(error), returncode=1) from error
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
            return
        self.stdout.write(summary_line(summary))
        for mrn, reasons in sorted(summary["unmet"].items()):
            for reason in reasons:
                self.stdout.write(f"  {mrn}: {reason}")

    def solve_file(self, options) -> None:
        from openiop.scheduling.solver import solve

        instance = instance_from_file(Path(options["instance"]))
        schedule = solve(instance, seconds=options["seconds"], workers=options["workers"], seed=options["seed"])
        found = validator.violations(instance, schedule)
        result = schedule.to_json() | {"violations": len(found)}
        out = Path(options["out"])
        try:
            out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        except OSError as error:
            raise bad_input(f"cannot write {out}: {error.strerror or error}.") from error
        meeting = sum(1 for p in result["patients"] if p["meets_plan"])
        self.stdout.write(
            f"{meeting} of {len(instance.patients)} patients meet their plan "
            f"(bound {schedule.solver['patients_meeting_plan_bound']}); {schedule.solver['seconds']} s; "
            f"{len(found)} violation{'' if len(found) == 1 else 's'}; written to {out}"
        )
        for violation in found:
            self.stderr.write(str(violation), style_func=str)


def bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


def load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise bad_input(f"cannot read {path}: no such file.") from error
    except (OSError, UnicodeDecodeError) as error:
        raise bad_input(f"cannot read {path}: {getattr(error, 'strerror', None) or error}.") from error
    except json.JSONDecodeError as error:
        raise bad_input(f"{path} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}.") from error


def instance_from_file(path: Path) -> Instance:
    """The checked instance, or exit 2 listing every problem, one per line."""
    try:
        return load_instance(load_json(path))
    except InstanceError as error:
        lines = "\n".join(f"  {line}" for line in error.errors)
        raise bad_input(f"{path} is not a valid instance:\n{lines}") from error


def summary_line(summary: dict) -> str:
    mode = "repair" if summary["mode"] == "repair" else "full solve"
    patients = summary["patients"]
    line = (
        f"Week of {summary['week_start']} ({mode}): {summary['meeting_plan']} of {patients} "
        f"patient{'' if patients == 1 else 's'} meet their plan; {summary['sessions_created']} sessions made"
    )
    if summary["mode"] != "repair":
        line += f", {summary['sessions_removed']} replaced"
    return line + f"; {summary['violations']} violations; {summary['seconds']} s."


# Options naming the clinic's week (shared by `schedule solve --week`, `export`, `check`) ------


def organization_from(organization_id: int | None):
    """The organization named by --organization, or the only one there is."""
    from openiop.programs.models import Organization

    if organization_id is not None:
        organization = Organization.objects.filter(pk=organization_id).first()
        if organization is None:
            raise bad_input(f"there is no organization {organization_id}; {organizations_listed()}")
        return organization
    organizations = list(Organization.objects.order_by("pk")[:2])
    if not organizations:
        raise bad_input("there is no organization in this database yet.")
    if len(organizations) > 1:
        raise bad_input(f"there are several organizations: pass --organization ID. {organizations_listed()}")
    return organizations[0]


def organizations_listed() -> str:
    from openiop.programs.models import Organization

    listed = ", ".join(f"{o.pk} = {o.name}" for o in Organization.objects.order_by("pk")[:20])
    return f"Organizations: {listed}." if listed else "There is no organization yet."


def week_from(text: str):
    """The Monday given as --week; a clear error naming the Monday for any other day."""
    from openiop.scheduling.weeks import WeekError, check_week_start

    day = parse_day(text, option="--week")
    try:
        return check_week_start(day)
    except WeekError as error:
        raise bad_input(f"--week {error}") from error


def patients_from(organization, mrns: list[str]) -> list:
    from openiop.patients.models import Patient

    found = {p.mrn: p for p in Patient.objects.filter(organization=organization, mrn__in=mrns)}
    missing = [mrn for mrn in mrns if mrn not in found]
    if missing:
        raise bad_input(f"no patient with MRN {', '.join(missing)} in {organization.name}.")
    return [found[mrn] for mrn in dict.fromkeys(mrns)]
