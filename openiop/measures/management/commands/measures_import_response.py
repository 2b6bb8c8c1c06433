"""`openiop measures import-response FILE --patient MRN`: answers given in another system.

Reads a FHIR R4 QuestionnaireResponse (fhir_import.py), scores its answers here and stores them
as a completed administration with mode `imported` (services.record_answers), so a safety answer
raises the same urgent tasks as one given on the portal. Where it came from (meta.source or
identifier.system, identifier.value) and the total the sender claimed are kept for comparison;
the stored total is always ours. Audited as the operator (`cli:<os user>`).
"""

from pathlib import Path

from django.core.exceptions import ValidationError

from openiop.audit.context import command_context
from openiop.fhir.mappers import mrn_system
from openiop.lib.commands import PlainErrorCommand
from openiop.measures import queries, services
from openiop.measures.fhir_import import IMPORTABLE_STATUSES, ResponseError, read_response
from openiop.measures.management.commands.measures_score import bad_input, explain, load_json
from openiop.measures.models import Administration, Mode, Status
from openiop.measures.scoring import AnswerError
from openiop.patients.queries import patient_for_command_line


class Command(PlainErrorCommand):
    help = (
        "Import a completed FHIR R4 QuestionnaireResponse for one patient: the answers are "
        "scored here (a total in the file is kept for comparison, never used) and safety "
        "answers create urgent tasks. Recorded in the audit trail."
    )
    failure_summary = "the import failed"
    failure_advice = "Nothing was imported. Run it again with --verbose to see the traceback."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="The QuestionnaireResponse, as JSON.")
        parser.add_argument("--patient", required=True, metavar="MRN", help="e.g. M0000012")
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        path = Path(options["file"])
        mrn = options["patient"]
        resource = load_json(path)
        with command_context("measures import-response"):
            patient = patient_for_command_line(mrn)
            if patient is None:
                raise bad_input(
                    f"no patient with MRN {mrn!r}. MRNs look like M0000012: find the patient in "
                    "the clinic's patient list and copy the MRN from their chart."
                )
            try:
                instruments = queries.available_instruments(patient.organization_id)
                response = read_response(resource, instruments)
            except ResponseError as error:
                raise bad_input(f"{path}: {error}") from error
            refuse_unless_importable(response, patient, path)
            try:
                administration = services.record_answers(
                    actor=None, patient=patient, instrument_code=response.instrument.code,
                    answers=response.answers, mode=Mode.IMPORTED, answered_on=response.authored,
                    source_system=response.source_system,
                    source_identifier=response.source_identifier,
                    source_reported_total=response.reported_total,
                )
            except AnswerError as error:
                raise bad_input(f"{path}: {explain(response.instrument, error)}") from error
            except ValidationError as error:
                raise bad_input(f"{path}: {'; '.join(error.messages)}") from error
        self.stdout.write(summary(administration, patient.mrn))


def refuse_unless_importable(response, patient, path: Path) -> None:
    """Only completed responses, with a date, about this patient, not imported before."""
    if response.status not in IMPORTABLE_STATUSES:
        raise bad_input(
            f"{path}: status is {response.status or 'missing'!r}; only completed responses are "
            "imported (an unfinished one is not the patient's answers yet)."
        )
    if response.authored is None:
        raise bad_input(f"{path}: authored is missing: the date the answers were given is needed.")
    ours = mrn_system()
    others = [value for system, value in response.subject_identifiers if system == ours]
    if others and all(value.lower() != patient.mrn.lower() for value in others):
        raise bad_input(
            f"{path}: the response is about MRN {others[0]}, not {patient.mrn}. Nothing was imported."
        )
    if response.source_identifier:
        earlier = (
            Administration.objects.filter(
                patient=patient, source_system=response.source_system,
                source_identifier=response.source_identifier,
            )
            .exclude(status=Status.ENTERED_IN_ERROR)
            .first()
        )
        if earlier is not None:
            raise bad_input(
                f"{path}: this response ({response.source_identifier}) was already imported "
                f"for {patient.mrn} (answered {earlier.answered_on}). Nothing was imported."
            )


def summary(administration, mrn: str) -> str:
    severity = f" ({administration.severity})" if administration.severity else ""
    total = "no total" if administration.total is None else f"total {administration.total}{severity}"
    line = (
        f"Imported {administration.instrument_code} for {mrn}, "
        f"answered {administration.answered_on}: {total}."
    )
    reported = administration.source_reported_total
    if reported is not None and reported != administration.total:
        line += f" The file reported a total of {reported}; it was kept for comparison, not used."
    if administration.safety_flags:
        line += (
            f" Safety answer ({', '.join(administration.safety_flags)}): urgent same-day review "
            "tasks were created for the care team."
        )
    return line
