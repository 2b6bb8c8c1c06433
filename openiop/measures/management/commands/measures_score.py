"""`openiop measures score INSTRUMENT ANSWERS` and `openiop measures score --fhir FILE`.

Scores answers with the same code the portal and clinic use (measures/scoring.py) and prints
the result as JSON, e.g.

    $ openiop measures score PHQ-9 0,1,2,0,0,1,0,0,0
    {"instrument": "PHQ-9", "version": "1.0.0", "total": 4, "max_total": 27,
     "severity": "Minimal", "subscales": {}, "flags": []}

With `--fhir`, the answers come from a FHIR QuestionnaireResponse file; any total written in
the file is shown as `reported_total` and never used. Nothing is stored and no patient is
named, so nothing is audited. Built-in instruments need no database; imported ones are read
from it (`--organization` chooses when two organizations imported the same code).
"""

import json
from pathlib import Path

from django.core.management.base import CommandError
from django.db import DatabaseError

from openiop.lib.commands import BAD_INPUT, PlainErrorCommand
from openiop.measures.fhir_import import ResponseError, read_response
from openiop.measures.instruments import Instrument, builtin_instruments, normalize_code
from openiop.measures.scoring import AnswerError, answers_from_list, score

# Bad input (an unknown instrument, a wrong answer, an unreadable file): exit 2, like argparse.


class Command(PlainErrorCommand):
    help = (
        "Score one set of answers and print total, severity, subscales and flags as JSON. "
        "Answers are given in question order, e.g. `PHQ-9 0,1,2,0,0,1,0,0,0`, or read from a "
        "FHIR QuestionnaireResponse with --fhir FILE (a total inside the file is never used)."
    )
    failure_summary = "scoring failed"

    def add_arguments(self, parser):
        parser.add_argument("instrument", nargs="?", help="e.g. PHQ-9, GAD-7, AUDIT-C")
        parser.add_argument(
            "answers", nargs="?", help="Comma-separated, in question order: 0,1,2,..."
        )
        parser.add_argument(
            "--fhir", metavar="FILE", help="Score a FHIR R4 QuestionnaireResponse (JSON)."
        )
        parser.add_argument(
            "--sex", choices=("male", "female"),
            help="Sex assigned at birth, for sex-specific cut-offs (AUDIT-C). Without it the "
            "more cautious cut-off applies.",
        )
        parser.add_argument(
            "--organization", type=int, metavar="ID",
            help="Use this organization's imported instruments (needed only when two "
            "organizations imported instruments with the same code).",
        )
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        if options["fhir"]:
            if options["instrument"] or options["answers"]:
                raise bad_input("give either INSTRUMENT ANSWERS or --fhir FILE, not both.")
            result = score_fhir_file(Path(options["fhir"]), options)
        else:
            if not options["instrument"] or options["answers"] is None:
                raise bad_input(
                    "give an instrument and its answers, e.g. `openiop measures score PHQ-9 "
                    "0,1,2,0,0,1,0,0,0`, or --fhir FILE."
                )
            instrument = instrument_named(options["instrument"], options["organization"])
            answers = parse_answers(instrument, options["answers"])
            result = score_or_explain(instrument, answers, options["sex"]).as_dict()
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
        reported = result.get("reported_total")
        if reported is not None and reported != result["total"]:
            self.stderr.write(
                f"note: the file reports a total of {reported}; the total computed from its "
                f"answers is {result['total']}. The file's total is never used.",
                style_func=str,
            )


def bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


# --- finding the instrument ------------------------------------------------------------------


def instrument_named(code: str, organization_id: int | None = None) -> Instrument:
    """A built-in instrument by code (no database needed), else an imported one."""
    wanted = normalize_code(code)
    for instrument in builtin_instruments().values():
        if normalize_code(instrument.code) == wanted:
            return instrument
    for instrument in imported_instruments(organization_id).values():
        if normalize_code(instrument.code) == wanted:
            return instrument
    known = ", ".join(sorted(command_line_instruments(organization_id)))
    raise bad_input(f"there is no instrument called {code!r}. Known instruments: {known}.")


def command_line_instruments(organization_id: int | None = None) -> dict[str, Instrument]:
    return {**imported_instruments(organization_id), **builtin_instruments()}


def imported_instruments(organization_id: int | None) -> dict[str, Instrument]:
    """Imported instruments by code: one organization's, or every organization's when no
    `organization_id` is given (refused when two organizations imported different definitions
    under one code). Empty when the database is not set up: built-ins still work."""
    from openiop.measures import queries
    from openiop.measures.models import ImportedInstrument

    try:
        if organization_id is not None:
            found = queries.available_instruments(organization_id)
            return {code: i for code, i in found.items() if code not in builtin_instruments()}
        organizations = list(
            ImportedInstrument.objects.filter(active=True)
            .values_list("organization_id", flat=True).distinct().order_by("organization_id")
        )
    except DatabaseError:
        return {}
    instruments: dict[str, Instrument] = {}
    for organization in organizations:
        for code, instrument in queries.available_instruments(organization).items():
            if code in builtin_instruments():
                continue
            other = instruments.setdefault(code, instrument)
            if (other.url, other.version) != (instrument.url, instrument.version):
                raise bad_input(
                    f"more than one organization imported an instrument called {code}: "
                    "choose one with --organization ID."
                )
    return instruments


# --- answers ---------------------------------------------------------------------------------


def parse_answers(instrument: Instrument, text: str) -> dict[str, str]:
    try:
        return answers_from_list(instrument, text.split(","))
    except AnswerError as error:
        raise bad_input(explain(instrument, error)) from error


def score_or_explain(instrument: Instrument, answers: dict, sex: str | None):
    try:
        return score(instrument, answers, sex=sex or "")
    except AnswerError as error:
        raise bad_input(explain(instrument, error)) from error


def explain(instrument: Instrument, error: AnswerError) -> str:
    """One line naming each question that is wrong, e.g. "PHQ-9: Question 3: 7 is not one of
    the answers (0, 1, 2, 3)." (the scoring messages already name the question)."""
    messages = " ".join(message.rstrip(".") + "." for message in error.errors.values())
    return f"{instrument.code}: {messages}"


# --- FHIR ------------------------------------------------------------------------------------


def load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise bad_input(f"cannot read {path}: no such file.") from error
    except (OSError, UnicodeDecodeError) as error:
        raise bad_input(f"cannot read {path}: {getattr(error, 'strerror', None) or error}.") from error
    except json.JSONDecodeError as error:
        raise bad_input(
            f"{path} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from error


def score_fhir_file(path: Path, options) -> dict:
    resource = load_json(path)
    try:
        response = read_response(resource, builtin_instruments())
    except ResponseError as builtin_error:
        instruments = command_line_instruments(options["organization"])
        if len(instruments) == len(builtin_instruments()):
            raise bad_input(f"{path}: {builtin_error}") from builtin_error
        try:
            response = read_response(resource, instruments)
        except ResponseError as error:
            raise bad_input(f"{path}: {error}") from error
    result = score_or_explain(response.instrument, response.answers, options["sex"]).as_dict()
    result["reported_total"] = response.reported_total
    return result
