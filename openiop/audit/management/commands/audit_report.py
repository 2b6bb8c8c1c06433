"""`openiop audit report --patient MRN`: who saw or changed one patient's records, and when.

The privacy officer's access report (HIPAA 164.528 accounting, 42 CFR Part 2 audit) for an
operator at the command line; the same rows as the clinic's report page. Running it is itself
audited as an export by `cli:<os user>`.
"""

import datetime as dt

from defusedcsv import csv
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from openiop.audit import queries, services
from openiop.audit.context import command_context
from openiop.audit.models import Action, AuditEvent
from openiop.patients.models import Patient
from openiop.patients.queries import patient_for_command_line

FORMATS = ("text", "csv")
COLUMN_GAP = "  "


class Command(BaseCommand):
    help = "Print who saw or changed one patient's records, newest first."

    def add_arguments(self, parser):
        parser.add_argument("--patient", required=True, metavar="MRN", help="The patient's MRN.")
        parser.add_argument(
            "--since", metavar="YYYY-MM-DD",
            help="Only events on or after this date (clinic time zone).",
        )
        parser.add_argument(
            "--format", default="text", choices=FORMATS,
            help="text: an aligned table (default); csv: for a spreadsheet.",
        )

    def handle(self, *args, **options):
        since = parse_since(options["since"])
        refuse_unmigrated_database()
        patient = find_patient(options["patient"])
        output_format = options["format"]
        with command_context("audit report"):
            # Record before showing: the disclosure is audited even if printing fails midway.
            services.record(
                user=None, action=Action.EXPORT, patient=patient,
                detail={"report": "access", "format": output_format,
                        "since": since.isoformat() if since else None},
            )
        rows = queries.report_rows(queries.access_report(patient, since=since))
        if output_format == "csv":
            write_csv(rows, self.stdout)
        else:
            self.stdout.write(describe_report(patient, since))
            write_table(list(rows), self.stdout)


def refuse_unmigrated_database() -> None:
    if AuditEvent._meta.db_table not in connection.introspection.table_names():
        raise CommandError("the database has no audit trail yet: run `openiop migrate` first.")


def find_patient(mrn: str) -> Patient:
    mrn = mrn.strip()
    patient = patient_for_command_line(mrn)
    if patient is None:
        raise CommandError(
            f"--patient: no patient has MRN {mrn!r}; check the MRN on the patient's chart."
        )
    return patient


def parse_since(raw: str | None) -> dt.date | None:
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(
            f"--since: {raw!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-10-01."
        ) from None


def describe_report(patient: Patient, since: dt.date | None) -> str:
    period = f" since {since.isoformat()}" if since else ""
    return f"Access report for MRN {patient.mrn}{period}, newest first"


def write_csv(rows, out) -> None:
    # defusedcsv escapes cells a spreadsheet would run as formulas (=, +, -, @).
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(row)


def write_table(rows: list[list[str]], out) -> None:
    """Write rows as left-aligned columns, the header underlined."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    header, *body = rows
    out.write(format_row(header, widths))
    out.write(format_row(["-" * width for width in widths], widths))
    for row in body:
        out.write(format_row(row, widths))
    if not body:
        out.write("(no recorded access)")


def format_row(row: list[str], widths: list[int]) -> str:
    cells = [cell.replace("\n", " ").ljust(width) for cell, width in zip(row, widths, strict=True)]
    return COLUMN_GAP.join(cells).rstrip()
