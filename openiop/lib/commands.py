"""The shape of OpenIOP's long-running commands (demo, seed, imports)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

# Exit status for input the operator can fix (a bad date, an unknown instrument).
BAD_INPUT = 2


class PlainErrorCommand(BaseCommand):
    """A command whose unexpected failures print one line saying what went wrong and what to
    do next; `--verbose` shows the traceback instead. Subclasses implement `run(options)`."""

    failure_summary = "the command failed"
    failure_advice = "Run it again with --verbose to see the traceback."

    def handle(self, *args, **options):
        try:
            self.run(options)
        except CommandError:
            raise
        except Exception as error:
            if options.get("verbose"):
                raise
            raise CommandError(
                f"{self.failure_summary}: {type(error).__name__}: {error}. {self.failure_advice}"
            ) from error

    def run(self, options) -> None:
        raise NotImplementedError


def parse_day(text: str | None, *, option: str = "--date") -> dt.date | None:
    """A YYYY-MM-DD option value, or None when it was not given; a clear error otherwise."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(
            f"{option} {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-29.", returncode=BAD_INPUT,
        ) from error
