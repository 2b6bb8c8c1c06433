"""`openiop schedule remind [--now ISO]`: send the appointment reminders that are due.

Each patient's reminder goes by their chosen channel, that many hours before the session, never
in their quiet hours and never twice (`openiop/scheduling/reminders.py`). Run it every few
minutes from a timer, e.g.

    $ openiop schedule remind
    Reminders: sent 12, skipped 1.

`--now` pretends it is another moment (for trying it out); a time without an offset is the
clinic's local time.
"""

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone

from openiop.audit.context import command_context
from openiop.lib.commands import BAD_INPUT, PlainErrorCommand


class Command(PlainErrorCommand):
    help = "Send the appointment reminders that are due now (each at most once), and print how many."
    failure_summary = "sending reminders failed"
    failure_advice = (
        "Reminders already sent are recorded and will not be sent again. "
        "Run it again with --verbose to see the traceback."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", metavar="ISO", help="Act as if it were this moment, e.g. 2026-11-30T08:00.")
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        from openiop.scheduling.reminders import send_due_reminders

        now = parse_moment(options["now"]) if options["now"] else timezone.now()
        with command_context("schedule remind"):
            counts = send_due_reminders(now=now)
        parts = ", ".join(f"{str(name).replace('_', ' ')} {number}" for name, number in (counts or {}).items())
        self.stdout.write(f"Reminders: {parts or 'nothing due'}.")


def parse_moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(
            f"--now {text!r} is not a moment: write it as YYYY-MM-DDTHH:MM, e.g. 2026-11-30T08:00.",
            returncode=BAD_INPUT,
        ) from error
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
