"""The shape of OpenIOP's long-running commands (demo, seed, imports)."""

from django.core.management.base import BaseCommand, CommandError


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
