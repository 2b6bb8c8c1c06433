"""`openiop audit report --patient MRN`: the access report for an operator at the command line."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command

from openiop import cli
from openiop.audit import services as audit
from openiop.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def run_report(*args) -> str:
    out = io.StringIO()
    call_command("audit_report", *args, stdout=out)
    return out.getvalue()


def csv_rows(output: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(output)))


@pytest.fixture
def chart_viewed(client, clinician, patient_record):
    """The clinician opened the patient's chart once, through the clinic screens."""
    client.force_login(clinician)
    assert client.get(f"/clinic/patients/{patient_record.mrn}/").status_code == 200


def test_it_prints_who_saw_the_patients_chart_as_an_aligned_table(chart_viewed, patient_record):
    output = run_report("--patient", patient_record.mrn)

    title, header, rule, *rows = output.splitlines()
    assert title == f"Access report for MRN {patient_record.mrn}, newest first"
    assert header.startswith("When (UTC)")
    [view_row] = [row for row in rows if "  clinician  " in row and "  view  " in row]
    # Aligned: every column starts where its heading does.
    assert view_row.index("clinician") == header.index("User")
    assert view_row.index("view") == header.index("Action")
    assert set(rule.replace(" ", "")) == {"-"}


def test_it_writes_the_report_as_csv(chart_viewed, patient_record):
    header, *rows = csv_rows(run_report("--patient", patient_record.mrn, "--format", "csv"))

    assert header[:4] == ["When (UTC)", "User", "Role", "Action"]
    assert ["clinician", "clinician", "view"] in [row[1:4] for row in rows]


def test_it_defuses_spreadsheet_formulas_in_csv_cells(outsider, patient_record):
    audit.record(
        user=outsider, action=Action.BREAK_GLASS, patient=patient_record,
        reason="=HYPERLINK(\"http://evil.example\")",
    )

    header, *rows = csv_rows(run_report("--patient", patient_record.mrn, "--format", "csv"))

    reasons = [row[header.index("Break-the-glass reason")] for row in rows]
    assert "'=HYPERLINK(\"http://evil.example\")" in reasons
    assert not any(reason.startswith("=") for reason in reasons)


def test_it_leaves_out_events_before_the_since_date(clinician, patient_record):
    with time_machine.travel(dt.datetime(2026, 9, 1, 15, 0, tzinfo=dt.UTC)):
        audit.record(user=clinician, action=Action.CHANGE, patient=patient_record)
    with time_machine.travel(dt.datetime(2026, 10, 15, 15, 0, tzinfo=dt.UTC)):
        audit.record(user=clinician, action=Action.VIEW, patient=patient_record)

    output = run_report("--patient", patient_record.mrn, "--since", "2026-10-01")

    assert "2026-10-15 15:00:00" in output
    assert "2026-09-01" not in output
    assert "since 2026-10-01" in output.splitlines()[0]


def test_it_leaves_out_other_patients(clinician, patient_record, other_patient_user):
    audit.record(user=clinician, action=Action.VIEW, patient=other_patient_user.patient)

    header, *rows = csv_rows(run_report("--patient", patient_record.mrn, "--format", "csv"))

    patient_records = {
        row[header.index("Record id")] for row in rows if row[header.index("Record type")] == "patients.patient"
    }
    assert str(other_patient_user.patient.pk) not in patient_records


def test_running_the_report_is_itself_audited_as_an_export(patient_record):
    run_report("--patient", patient_record.mrn, "--format", "csv")

    event = AuditEvent.objects.filter(action=Action.EXPORT).get()
    assert event.patient == patient_record
    assert event.user is None
    assert event.username.startswith("cli:")
    assert event.path == "openiop audit report"
    assert event.detail == {"report": "access", "format": "csv", "since": None}


def test_the_report_lists_its_own_export(patient_record):
    output = run_report("--patient", patient_record.mrn)

    assert "  export  " in output


def test_it_names_the_field_when_the_mrn_is_unknown(patient_record):
    with pytest.raises(CommandError, match=r"^--patient: no patient has MRN 'M404'"):
        run_report("--patient", "M404")

    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


@pytest.mark.parametrize("since", ["2026-13-01", "yesterday", "10/01/2026"])
def test_it_names_the_field_and_the_format_when_the_date_is_bad(patient_record, since):
    with pytest.raises(CommandError, match=r"^--since: .* write it as YYYY-MM-DD"):
        run_report("--patient", patient_record.mrn, "--since", since)


def test_the_openiop_command_prints_one_line_and_no_traceback_for_a_bad_mrn(
    patient_record, capsys, monkeypatch
):
    # A command closes every database connection on exit; here that would be the test's own.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["openiop", "audit", "report", "--patient", "M404"])

    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert "--patient: no patient has MRN 'M404'" in err
    assert "Traceback" not in err


def test_the_two_words_audit_report_run_the_audit_report_command(monkeypatch):
    received = []
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: received.append(argv)
    )

    cli.main(["openiop", "audit", "report", "--patient", "M1", "--format", "csv"])

    assert received == [["openiop", "audit_report", "--patient", "M1", "--format", "csv"]]


def test_it_finds_the_patient_whatever_the_case_of_the_mrn(patient_record):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("audit_report", "--patient", patient_record.mrn.lower(), stdout=out)
    assert f"Access report for MRN {patient_record.mrn}" in out.getvalue()
