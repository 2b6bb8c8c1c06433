"""`openiop fhir export --patient MRN [--out FILE]`: one patient's record as FHIR R4 JSON.

The export is audited as the operator (`cli:<os user>`). A file is written only readable by its
owner (it holds protected health information, possibly 42 CFR Part 2 records).
"""

import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from openiop.audit.context import command_context
from openiop.fhir.export import build_patient_bundle, bundle_contains_part2
from openiop.fhir.security import SecurityLabelError
from openiop.patients.queries import patient_for_command_line


class Command(BaseCommand):
    help = (
        "Write one patient's record (patient, episodes of care, care teams, diagnoses, "
        "coverage) as a FHIR R4 collection Bundle in JSON, with 42 CFR Part 2 security labels "
        "and notice. The export is recorded in the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patient", required=True, metavar="MRN", help="e.g. M0000012")
        parser.add_argument(
            "--out", metavar="FILE", help="Write to FILE (mode 600) instead of standard output."
        )

    def handle(self, *args, **options):
        mrn = options["patient"]
        out = Path(options["out"]) if options["out"] else None
        with command_context("fhir export"):
            patient = patient_for_command_line(mrn)
            if patient is None:
                raise CommandError(
                    f"no patient with MRN {mrn!r}. MRNs look like M0000012: find the patient in "
                    "the clinic's patient list (search by name or date of birth) and copy the "
                    "MRN from their chart."
                )
            if out is not None and not out.parent.is_dir():
                raise CommandError(f"cannot write {out}: the folder {out.parent} does not exist.")
            try:
                bundle = build_patient_bundle(patient)
            except SecurityLabelError as error:
                raise CommandError(
                    f"cannot export {patient.mrn}: a record's security labels cannot be written "
                    f"({error}). Nothing was exported; ask the privacy officer to check the labels."
                ) from error
        text = json.dumps(bundle, indent=2, ensure_ascii=False)
        if out is None:
            self.stdout.write(text)
        else:
            write_private_file(out, text + "\n")
        self.stderr.write(summary(bundle, patient.mrn, out), style_func=str)


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to `path` readable by the owner only, replacing it whole or not at all."""
    temporary = None
    try:
        # mkstemp creates the file with mode 600; os.replace keeps it.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise CommandError(
            f"could not write {path}: {error.strerror or error}. The export was recorded in "
            "the audit trail but no file was written."
        ) from error


def summary(bundle: dict, mrn: str, out: Path | None) -> str:
    count = len(bundle["entry"])
    where = out if out is not None else "standard output"
    if bundle_contains_part2(bundle):
        note = "contains 42 CFR Part 2 records: redisclosure notice included"
    else:
        note = "no 42 CFR Part 2 records"
    return f"Wrote {count} resources for {mrn} to {where} ({note})"
