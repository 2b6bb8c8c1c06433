"""`openiop measures schedule [--date YYYY-MM-DD]`: create the measures that fall due.

Run nightly by the timer. Safe to run again: what already exists is not created twice.
"""

from openiop.audit.context import command_context
from openiop.lib.commands import PlainErrorCommand, parse_day
from openiop.measures import services


class Command(PlainErrorCommand):
    help = (
        "Create the measures that fall due by today (or --date) from each program's schedule, "
        "and mark missed the ones no longer wanted. Safe to run more than once. (Whether a "
        "patient is on track is checked each time a score is recorded.)"
    )
    failure_summary = "scheduling failed"

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", metavar="YYYY-MM-DD", help="Schedule as of this day (default: today)."
        )
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        today = parse_day(options["date"])
        with command_context("measures schedule"):
            created = services.schedule_due_measures(today=today, actor=None)
        as_of = f" as of {today.isoformat()}" if today else ""
        noun = "measure" if created == 1 else "measures"
        self.stdout.write(f"Created {created} due {noun}{as_of}.")

