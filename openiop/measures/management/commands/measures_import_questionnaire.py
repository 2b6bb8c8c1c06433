"""`openiop measures import-questionnaire FILE --organization ID`: add an instrument.

The file is a FHIR R4 Questionnaire with OpenIOP's scoring extension (docs/measures.md), e.g.
an instrument the organization holds the licence for. Once imported it is scheduled, asked,
scored and exported like a built-in one, without code changes.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from openiop.audit.context import command_context, current_origin
from openiop.lib.commands import PlainErrorCommand
from openiop.measures import services
from openiop.measures.instruments import instrument_from_questionnaire
from openiop.measures.management.commands.measures_score import BAD_INPUT, bad_input, load_json
from openiop.programs.models import Organization


class Command(PlainErrorCommand):
    help = (
        "Import a FHIR R4 Questionnaire with OpenIOP's scoring extension as an instrument of "
        "one organization."
    )
    failure_summary = "the import failed"
    failure_advice = "Nothing was imported. Run it again with --verbose to see the traceback."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="The Questionnaire, as JSON.")
        parser.add_argument(
            "--organization", type=int, required=True, metavar="ID",
            help="The organization the instrument is for (its id).",
        )
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        path = Path(options["file"])
        organization = organization_with_id(options["organization"])
        questionnaire = load_json(path)
        with command_context("measures import-questionnaire"):
            try:
                imported = services.import_instrument(
                    organization=organization, questionnaire=questionnaire,
                    imported_by=current_origin().system_actor,
                )
            except ValidationError as error:
                raise bad_input(f"{path}: {'; '.join(error.messages)}") from error
        instrument = instrument_from_questionnaire(imported.questionnaire)
        self.stdout.write(
            f"Imported {instrument.code} version {instrument.version} "
            f"({len(instrument.items)} questions) for {organization.name}. "
            f"Try it: openiop measures score {instrument.code} "
            f"{','.join(str(item.lowest) for item in instrument.items)}"
        )


def organization_with_id(organization_id: int) -> Organization:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        known = ", ".join(f"{o.pk} ({o.name})" for o in Organization.objects.order_by("pk")[:20])
        raise CommandError(
            f"no organization with id {organization_id}. Organizations: {known or 'none yet'}.",
            returncode=BAD_INPUT,
        )
    return organization
