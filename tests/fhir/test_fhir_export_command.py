import getpass
import io
import json
import stat

import pytest
from django.core.management import CommandError, call_command

from openiop import cli
from openiop.audit.models import AuditEvent
from tests.fhir.fhir_helpers import validate_bundle

pytestmark = pytest.mark.django_db


def export(*args):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("fhir_export", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_it_writes_the_bundle_to_a_private_file_and_summarises_on_stderr(patient_record, tmp_path):
    out = tmp_path / "out.json"

    stdout, stderr = export("--patient", patient_record.mrn, "--out", str(out))

    bundle = json.loads(out.read_text())
    validate_bundle(bundle)
    assert out.read_text().startswith('{\n  "resourceType": "Bundle"')
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stdout == ""
    assert stderr == (
        f"Wrote 5 resources for {patient_record.mrn} to {out} "
        "(contains 42 CFR Part 2 records: redisclosure notice included)\n"
    )


def test_it_says_when_there_are_no_part2_records(mental_health_patient, tmp_path):
    out = tmp_path / "out.json"

    _, stderr = export("--patient", mental_health_patient.mrn, "--out", str(out))

    assert stderr.endswith("(no 42 CFR Part 2 records)\n")


def test_it_prints_the_bundle_to_standard_output_without_out(patient_record):
    stdout, _ = export("--patient", patient_record.mrn)

    validate_bundle(json.loads(stdout))


def test_it_audits_the_export_as_the_operator(patient_record, tmp_path):
    export("--patient", patient_record.mrn.lower(), "--out", str(tmp_path / "out.json"))

    event = AuditEvent.objects.get(action="export")
    assert event.patient == patient_record
    assert event.username == f"cli:{getpass.getuser()}"
    assert event.path == "openiop fhir export"
    assert event.detail == {"format": "fhir-r4-json", "resources": 5}


def test_it_names_an_unknown_mrn_and_how_to_find_one(patient_record, tmp_path):
    out = tmp_path / "out.json"

    with pytest.raises(CommandError, match="no patient with MRN 'M9999999'.*patient list"):
        export("--patient", "M9999999", "--out", str(out))

    assert not out.exists()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_it_refuses_a_folder_that_does_not_exist(patient_record, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        export("--patient", patient_record.mrn, "--out", str(tmp_path / "missing" / "out.json"))


def test_openiop_fhir_export_reports_an_unknown_mrn_without_a_traceback(patient_record, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["openiop", "fhir", "export", "--patient", "M9999999"])

    assert exit_info.value.code == 1
    stderr = capsys.readouterr().err
    assert "no patient with MRN 'M9999999'" in stderr
    assert "Traceback" not in stderr


def test_openiop_fhir_export_writes_the_file(patient_record, tmp_path):
    out = tmp_path / "bundle.json"

    cli.main(["openiop", "fhir", "export", "--patient", patient_record.mrn, "--out", str(out)])

    validate_bundle(json.loads(out.read_text()))


def test_it_stops_with_a_clear_error_when_a_label_cannot_be_written(patient_record, tmp_path):
    patient_record.coverages.update(security_labels=["XYZ"])
    out = tmp_path / "out.json"

    with pytest.raises(CommandError, match="cannot export .*'XYZ'.*Nothing was exported"):
        export("--patient", patient_record.mrn, "--out", str(out))

    assert not out.exists()
