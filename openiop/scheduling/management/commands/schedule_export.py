"""`openiop schedule export --week YYYY-MM-DD [--format json|ics|fhir] [--out FILE]`.

Writes the clinic's week, e.g.

    $ openiop schedule export --week 2026-11-30 --out week.json
    Wrote 96 sessions and 42 patients of the week of 2026-11-30 to week.json

JSON names the patients and their hours against their plan (audited: one EXPORT event per
patient, as the operator `cli:<user>`; Part 2 notice included when it applies); iCalendar
carries titles, times, rooms and staff only, never a patient. FHIR is a collection Bundle of one
Appointment per session listing every patient on its roster, and those patients (MRN and name),
with 42 CFR Part 2 labels and notice (openiop/fhir/week_appointments.py); audited like JSON.
Without --out the file goes to standard output; a JSON or FHIR file (it names patients) is
written readable by its owner only (mode 600).
"""

import json
from pathlib import Path

from django.core.management.base import CommandError

from openiop.audit.context import command_context
from openiop.lib.commands import PlainErrorCommand
from openiop.scheduling.management.commands.schedule_solve import (
    bad_input,
    organization_from,
    week_from,
)


class Command(PlainErrorCommand):
    help = (
        "Export the clinic's week (every session, and every patient's planned and scheduled hours) "
        "as JSON, its sessions as FHIR R4 Appointments listing every patient, or its sessions as an "
        "iCalendar file without patient names."
    )
    failure_summary = "the export failed"

    def add_arguments(self, parser):
        parser.add_argument("--week", metavar="YYYY-MM-DD", required=True, help="The Monday of the week.")
        parser.add_argument("--format", choices=("json", "ics", "fhir"), default="json",
                            help="json (default), ics or fhir (a FHIR R4 Bundle of Appointments).")
        parser.add_argument("--out", metavar="FILE", help="Where to write it (default: standard output).")
        parser.add_argument("--organization", type=int, metavar="ID", help="Needed when there are several.")
        parser.add_argument("--verbose", action="store_true", help="Show tracebacks.")

    def run(self, options) -> None:
        from openiop.scheduling.exports import week_export, week_ics

        organization = organization_from(options["organization"])
        week_start = week_from(options["week"])
        out = Path(options["out"]) if options["out"] else None
        if out is not None and not out.parent.is_dir():
            raise bad_input(f"cannot write {out}: the folder {out.parent} does not exist.")
        with command_context("schedule export"):
            if options["format"] == "fhir":
                content, described = fhir_week(organization, week_start)
            elif options["format"] == "ics":
                content = week_ics(organization, week_start)
                described = f"the sessions of the week of {week_start.isoformat()} (no patient names)"
            else:
                data = week_export(organization, week_start)
                content = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
                described = (f"{len(data['sessions'])} sessions and {len(data['patients'])} patients of the week "
                             f"of {week_start.isoformat()}")
        if out is None:
            self.stdout.write(content.decode("utf-8"), ending="")
            return
        if options["format"] == "ics":
            try:
                out.write_bytes(content)
            except OSError as error:
                raise bad_input(f"cannot write {out}: {error.strerror or error}.") from error
        else:
            # It names patients: readable by its owner only (mode 600), replaced whole or not at all.
            from openiop.fhir.management.commands.fhir_export import write_private_file

            write_private_file(out, content.decode("utf-8"))
        self.stdout.write(f"Wrote {described} to {out}")


def fhir_week(organization, week_start) -> tuple[bytes, str]:
    """The week as a FHIR Bundle (audited per patient) and how to describe it in the summary."""
    from openiop.fhir.security import SecurityLabelError
    from openiop.fhir.week_appointments import week_bundle

    try:
        bundle = week_bundle(organization, week_start)
    except SecurityLabelError as error:
        raise CommandError(
            f"cannot export the week of {week_start.isoformat()}: a record's security labels cannot be "
            f"written ({error}). Nothing was exported; ask the privacy officer to check the labels."
        ) from error
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    described = (f"{kinds.count('Appointment')} appointments and {kinds.count('Patient')} patients of the week "
                 f"of {week_start.isoformat()} as FHIR")
    if any(code["code"] == "42CFRPart2" for code in bundle["meta"]["security"]):
        described += " (contains 42 CFR Part 2 records: redisclosure notice included)"
    content = (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return content, described
