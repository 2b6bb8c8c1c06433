"""`openiop plans check [--date YYYY-MM-DD]`: tasks for treatment plans overdue for signing or review.

Run nightly by the timer. Safe to run again: a plan gets one open task per clinician until it is done.
"""

from openiop.audit.context import command_context
from openiop.lib.commands import PlainErrorCommand, parse_day
from openiop.plans import services


class Command(PlainErrorCommand):
    help = (
        "Put a task on the primary clinician's list for every treatment plan not signed by its due "
        "day or overdue for review, as of today (or --date). Safe to run more than once."
    )
    failure_summary = "checking plans failed"

    def add_arguments(self, parser):
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="Check as of this day (default: today).")
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        today = parse_day(options["date"])
        with command_context("plans check"):
            created = services.check_overdue(today=today, actor=None)
        as_of = f" as of {today.isoformat()}" if today else ""
        noun = "task" if created == 1 else "tasks"
        self.stdout.write(f"Created {created} plan {noun}{as_of}.")

