"""`openiop schedule check --week YYYY-MM-DD`: re-check the clinic's week as it stands.

Converts the week on the calendar (solved, edited by hand, or both) back into an instance and a
schedule and runs the independent validator on it, one line per broken rule, e.g.

    $ openiop schedule check --week 2026-11-30
    rule 3: staff member mbell is not working at Tue 18:00–21:00 (session s512): outside their ...

Exits 1 when there is any violation, 0 when there is none (and says so), 2 for bad input. The
patients named in the printed lines are audited (LIST, as the operator `cli:<user>`).
"""

import re

from django.core.management.base import CommandError

from openiop.audit import services as audit
from openiop.audit.context import command_context
from openiop.audit.models import Action
from openiop.lib.commands import PlainErrorCommand
from openiop.scheduling.management.commands.schedule_solve import organization_from, week_from
from openiop.scheduling.management.commands.schedule_validate import VIOLATIONS_FOUND


class Command(PlainErrorCommand):
    help = (
        "Check the clinic's week on the calendar against every hard scheduling rule and print each "
        "violation on its own line. Exits 1 when there are violations, 0 when there are none."
    )
    failure_summary = "the check failed"

    def add_arguments(self, parser):
        parser.add_argument("--week", metavar="YYYY-MM-DD", required=True, help="The Monday of the week.")
        parser.add_argument("--organization", type=int, metavar="ID", help="Needed when there are several.")
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        from openiop.patients.models import Patient
        from openiop.scheduling.exports import check_week

        organization = organization_from(options["organization"])
        week_start = week_from(options["week"])
        with command_context("schedule check"):
            found = check_week(organization, week_start)
            mrns = {mrn for line in found for mrn in re.findall(r"patient '?([^\s',]+)", line)}
            named = list(Patient.objects.filter(organization=organization, mrn__in=mrns).order_by("mrn"))
            audit.record_many(user=None, action=Action.LIST, patients=named,
                              detail={"week": week_start.isoformat(), "check": "schedule"})
        for line in found:
            self.stdout.write(line)
        if found:
            raise CommandError(
                f"{len(found)} violation{'' if len(found) == 1 else 's'} in the week of {week_start.isoformat()}.",
                returncode=VIOLATIONS_FOUND,
            )
        self.stdout.write(f"The week of {week_start.isoformat()}: no violations.")
