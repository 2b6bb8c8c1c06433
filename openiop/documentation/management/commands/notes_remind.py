"""`openiop notes remind [--now ISO]`: put overdue unsigned notes on their authors' worklists.

A draft note (or a draft group note) still unsigned OPENIOP_UNSIGNED_NOTE_HOURS (default 24)
after its session gets one "note not signed" task for its author, once; tasks about notes
signed or voided since are closed, and so are co-signature tasks already done. Run it hourly
from a timer, e.g.

    $ openiop notes remind
    Unsigned notes: 3 new tasks.

`--now` pretends it is another moment (for trying it out); a time without an offset is the
clinic's local time.
"""

from openiop.audit.context import command_context
from openiop.lib.commands import PlainErrorCommand
from openiop.scheduling.management.commands.schedule_remind import parse_moment


class Command(PlainErrorCommand):
    help = "Create a task for each note left unsigned past the limit (once each) and print how many."
    failure_summary = "checking unsigned notes failed"

    def add_arguments(self, parser):
        parser.add_argument("--now", metavar="ISO", help="Act as if it were this moment, e.g. 2026-11-30T08:00.")
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        from django.utils import timezone

        from openiop.documentation.services import flag_unsigned_notes

        now = parse_moment(options["now"]) if options["now"] else timezone.now()
        with command_context("notes remind"):
            created = flag_unsigned_notes(now=now)
        self.stdout.write(f"Unsigned notes: {created} new task{'' if created == 1 else 's'}.")
