"""`openiop schedule validate --instance FILE --schedule FILE`.

Re-checks every hard rule of docs/scheduling.md on a schedule, whoever made it (the solver,
the greedy baseline, a person), and prints each violation on its own line, e.g.

    $ openiop schedule validate --instance week.json --schedule schedule.json
    rule 1: patient p7 is booked twice at once: eve-mon (Mon 18:00–21:00) and ind-p7-1 (Mon 19:00–20:00).

Exits 1 when there is any violation, 0 when there is none (and says so), 2 for bad input.
"""

from pathlib import Path

from django.core.management.base import CommandError

from openiop.lib.commands import PlainErrorCommand
from openiop.scheduling import validator
from openiop.scheduling.instance import InstanceError, Schedule, session_from_json
from openiop.scheduling.management.commands.schedule_solve import (
    bad_input,
    instance_from_file,
    load_json,
)

VIOLATIONS_FOUND = 1


class Command(PlainErrorCommand):
    help = (
        "Check a schedule against its instance and print every broken hard rule, one per line. "
        "Exits 1 when there are violations, 0 when there are none."
    )
    failure_summary = "validation failed"

    def add_arguments(self, parser):
        parser.add_argument("--instance", metavar="FILE", required=True, help="The week (JSON).")
        parser.add_argument("--schedule", metavar="FILE", required=True, help="The schedule to check (JSON).")
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        instance = instance_from_file(Path(options["instance"]))
        path = Path(options["schedule"])
        schedule = Schedule(instance, sessions_from_file(path))
        found = validator.violations(instance, schedule)
        for violation in found:
            self.stdout.write(str(violation))
        if found:
            raise CommandError(
                f"{len(found)} violation{'' if len(found) == 1 else 's'} in {path}.", returncode=VIOLATIONS_FOUND
            )
        self.stdout.write(f"{path}: no violations.")


def sessions_from_file(path: Path):
    data = load_json(path)
    raw = data.get("sessions") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise bad_input(f"{path}: expected a schedule with a list of sessions.")
    sessions = []
    for index, item in enumerate(raw):
        try:
            sessions.append(session_from_json(item))
        except InstanceError as error:
            raise bad_input(f"{path}: {'; '.join(error.errors)}") from error
        except (KeyError, TypeError, AttributeError) as error:
            raise bad_input(f"{path}: sessions[{index}] is missing {error} or is not an object.") from error
    return sessions
