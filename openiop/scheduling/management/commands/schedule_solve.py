"""`openiop schedule solve --instance FILE --out FILE [--seconds N] [--workers N] [--seed N]`.

Reads a one-week instance (docs/scheduling.md), builds the schedule with CP-SAT, re-checks it
with the independent validator and writes the schedule JSON with the violation count, e.g.

    $ openiop schedule solve --instance week.json --out schedule.json
    41 of 42 patients meet their plan (bound 42); 12.3 s; 0 violations; written to schedule.json

Nothing is stored in the database and nothing is audited: the files are the whole input and
output.
"""

import json
from pathlib import Path

from django.core.management.base import CommandError

from openiop.lib.commands import BAD_INPUT, PlainErrorCommand
from openiop.scheduling import validator
from openiop.scheduling.instance import Instance, InstanceError, load_instance

# Bad input (an unreadable file, an instance with errors): exit 2, like argparse.


class Command(PlainErrorCommand):
    help = (
        "Build a week's schedule from a JSON instance with the CP-SAT solver, check it with the "
        "validator and write it as JSON. Prints one line: patients meeting their plan, seconds, "
        "violations."
    )
    failure_summary = "scheduling failed"

    def add_arguments(self, parser):
        parser.add_argument("--instance", metavar="FILE", required=True, help="The week to schedule (JSON).")
        parser.add_argument("--out", metavar="FILE", required=True, help="Where to write the schedule (JSON).")
        parser.add_argument("--seconds", type=float, default=30, help="Time limit for the solver (default 30).")
        parser.add_argument("--workers", type=int, default=2, help="Solver threads (default 2).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed, for repeatable runs (default 0).")
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        from openiop.scheduling.solver import solve

        if options["seconds"] <= 0 or options["workers"] < 1:
            raise bad_input("--seconds must be above 0 and --workers at least 1.")
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
