"""`openiop measures remind [--base-url URL]`: email patients who have a check-in waiting.

One email per patient, at most once every two days, to the email of their portal login. An
email can be read by anyone who shares the inbox or sees the screen, so it says nothing about
health or treatment: no instrument, no score, no program or clinic name, only that something is
waiting in the portal and where to sign in. Run by the timer after `openiop measures schedule`.
"""

from django.conf import settings
from django.core.management.base import CommandError
from django.urls import reverse

from openiop.audit.context import command_context
from openiop.lib.commands import PlainErrorCommand
from openiop.measures.management.commands.measures_score import BAD_INPUT
from openiop.measures.services import send_due_reminders


class Command(PlainErrorCommand):
    help = (
        "Email each patient with a portal login who has measures due a reminder to sign in "
        "(no health information in the email), at most once every two days."
    )
    failure_summary = "sending reminders failed"
    failure_advice = (
        "Reminders already sent are recorded and will not be sent again today. "
        "Run it again with --verbose to see the traceback."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", metavar="URL",
            help="The address patients use, e.g. https://iop.example.org (default: the "
            "OPENIOP_BASE_URL setting).",
        )
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        base_url = (options["base_url"] or getattr(settings, "OPENIOP_BASE_URL", "") or "").strip()
        if not base_url.startswith(("https://", "http://")):
            raise CommandError(
                "the reminder needs the portal's address: pass --base-url https://... (or set "
                "OPENIOP_BASE_URL).",
                returncode=BAD_INPUT,
            )
        portal_url = base_url.rstrip("/") + reverse("portal:home")
        with command_context("measures remind"):
            sent = send_due_reminders(portal_url=portal_url)
        noun = "patient" if sent == 1 else "patients"
        self.stdout.write(f"Sent a check-in reminder to {sent} {noun}.")
