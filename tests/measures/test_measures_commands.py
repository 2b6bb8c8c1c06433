"""`openiop measures score | import-questionnaire | import-response | schedule | remind`."""

import datetime as dt
import getpass
import io
import json
import re

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from openiop import cli
from openiop.audit.models import AuditEvent
from openiop.fhir.export import measures_section
from openiop.measures import services
from openiop.measures.instruments import builtin_instruments
from openiop.measures.models import Administration, Mode, Status
from openiop.worklist.models import Task, TaskKind

PHQ9 = builtin_instruments()["PHQ-9"]


def run(command, *args):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def score(*args):
    stdout, stderr = run("measures_score", *args)
    return json.loads(stdout), stderr


def write_json(tmp_path, name, data) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def phq9_response(values, **extra) -> dict:
    """A QuestionnaireResponse as another system might send it: LOINC answer codes, no scores."""
    items = []
    for item, value in zip(PHQ9.items, values, strict=False):
        coding = item.option_for(value).coding
        answer = {"valueCoding": {"system": coding.system, "code": coding.code}}
        items.append({"linkId": item.link_id, "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "https://openiop.org/fhir/Questionnaire/phq-9|1.0.0",
        "status": "completed",
        "authored": "2026-11-20T10:15:00-05:00",
        "item": items,
        **extra,
    }


# --- measures score --------------------------------------------------------------------------


def test_it_scores_answers_given_in_question_order():
    result, _ = score("PHQ-9", "0,1,2,0,0,1,0,0,0")

    assert result == {
        "instrument": "PHQ-9", "version": "1.0.0", "total": 4, "max_total": 27,
        "severity": "Minimal", "subscales": {}, "flags": [],
    }


def test_a_positive_item_9_raises_the_suicide_risk_flag():
    result, _ = score("phq9", "0,0,0,0,0,0,0,0,1")

    assert result["flags"] == ["suicide_risk"]


def test_sex_chooses_the_audit_c_cut_off():
    women, _ = score("AUDIT-C", "1,1,1", "--sex", "female")
    men, _ = score("AUDIT-C", "1,1,1", "--sex", "male")

    assert "positive_screen" in women["flags"]
    assert "positive_screen" not in men["flags"]


def test_a_wrong_answer_exits_2_with_one_line_naming_the_question(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["openiop", "measures", "score", "PHQ-9", "0,1,7,0,0,1,0,0,0"])

    assert exit_info.value.code == 2
    stderr = capsys.readouterr().err
    assert stderr.strip().splitlines() == [
        "CommandError: PHQ-9: Question 3: 7 is not one of the answers (0, 1, 2, 3)."
    ]


def test_missing_answers_name_each_unanswered_question():
    with pytest.raises(CommandError, match="Question 8 is not answered. Question 9 is not answered") as error:
        score("PHQ-9", "0,1,2,0,0,1,0")

    assert error.value.returncode == 2


def test_too_many_answers_are_refused():
    with pytest.raises(CommandError, match="PHQ-9 has 10 questions but 11 answers were given"):
        score("PHQ-9", ",".join("0" * 11))


def test_an_unknown_instrument_exits_2_and_lists_the_known_ones(db, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["openiop", "measures", "score", "PHQ-8", "0,1"])

    assert exit_info.value.code == 2
    assert "no instrument called 'PHQ-8'. Known instruments: AUDIT-C" in capsys.readouterr().err


def test_it_scores_a_fhir_response_and_reports_but_ignores_its_wrong_total(tmp_path):
    response = phq9_response([0, 1, 2, 0, 0, 1, 0, 0, 0])
    response["item"].append({"linkId": "total", "answer": [{"valueInteger": 20}]})

    result, stderr = score("--fhir", write_json(tmp_path, "qr.json", response))

    assert result["total"] == 4
    assert result["severity"] == "Minimal"
    assert result["reported_total"] == 20
    assert "reports a total of 20" in stderr and "never used" in stderr


def test_a_total_in_a_loinc_coded_item_or_an_extension_is_reported_not_used(tmp_path):
    by_code = phq9_response([3] * 9)
    by_code["item"].append({"linkId": "/44261-6", "answer": [{"valueDecimal": 5}]})
    by_extension = phq9_response([3] * 9, extension=[
        {"url": "http://example.org/fhir/StructureDefinition/total-score", "valueInteger": 2},
    ])

    coded, _ = score("--fhir", write_json(tmp_path, "a.json", by_code))
    extended, _ = score("--fhir", write_json(tmp_path, "b.json", by_extension))

    assert (coded["total"], coded["reported_total"]) == (27, 5)
    assert (extended["total"], extended["reported_total"]) == (27, 2)


def test_it_finds_the_instrument_by_questionnaire_id_and_reads_integer_answers(tmp_path):
    response = {
        "resourceType": "QuestionnaireResponse", "questionnaire": "Questionnaire/gad-7",
        "status": "completed",
        "item": [{"linkId": str(n), "answer": [{"valueInteger": 2}]} for n in range(1, 8)],
    }

    result, _ = score("--fhir", write_json(tmp_path, "gad.json", response))

    assert (result["instrument"], result["total"], result["reported_total"]) == ("GAD-7", 14, None)


def test_our_own_exported_response_scores_to_the_exported_total(patient_record, clinician, tmp_path):
    services.record_answers(
        actor=clinician, patient=patient_record, instrument_code="PHQ-9",
        answers={str(n): 1 for n in range(1, 10)}, mode=Mode.PAPER, answered_on=dt.date(2026, 11, 20),
    )
    exported = measures_section(patient_record)
    response = next(r for r in exported if r["resourceType"] == "QuestionnaireResponse")
    total = next(r for r in exported if r["resourceType"] == "Observation")

    result, _ = score("--fhir", write_json(tmp_path, "ours.json", response))

    assert result["total"] == total["valueInteger"] == 9


def test_an_answer_code_that_is_not_one_of_the_questions_answers_is_named(db, tmp_path):
    response = phq9_response([0] * 9)
    response["item"][4]["answer"] = [{"valueCoding": {"system": "http://loinc.org", "code": "LA0000-0"}}]

    with pytest.raises(CommandError, match=re.escape("item 5: answer code 'http://loinc.org|LA0000-0'")) as error:
        score("--fhir", write_json(tmp_path, "bad.json", response))

    assert error.value.returncode == 2


def test_an_unknown_questionnaire_is_named(db, tmp_path):
    response = phq9_response([0] * 9, questionnaire="http://example.org/Questionnaire/mystery")

    with pytest.raises(CommandError, match="'http://example.org/Questionnaire/mystery' is not an instrument"):
        score("--fhir", write_json(tmp_path, "mystery.json", response))


def test_a_file_that_is_not_json_is_named(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(CommandError, match="broken.json is not JSON"):
        score("--fhir", str(path))


# --- measures import-questionnaire, then score -----------------------------------------------


def mood_questionnaire() -> dict:
    """A made-up 3-item instrument in OpenIOP's format, answers 0-2, total 0-6."""
    def answer(link_id, value, display):
        return {
            "valueCoding": {"system": "https://example.org/mood-answers", "code": f"{link_id}-{value}", "display": display},
            "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": value}],
        }

    def question(link_id, text):
        return {
            "linkId": link_id, "text": text, "type": "choice", "required": True,
            "answerOption": [answer(link_id, 0, "Never"), answer(link_id, 1, "Sometimes"), answer(link_id, 2, "Often")],
        }

    def band(low, high, label):
        return {"url": "band", "extension": [
            {"url": "low", "valueInteger": low}, {"url": "high", "valueInteger": high},
            {"url": "label", "valueString": label},
        ]}

    return {
        "resourceType": "Questionnaire", "id": "mood-3", "url": "https://example.org/Questionnaire/mood-3",
        "version": "0.1.0", "name": "Mood3", "title": "Three mood questions", "status": "active",
        "description": "In the past week, how often...", "copyright": "Written for this test.",
        "extension": [{
            "url": "https://openiop.org/fhir/StructureDefinition/instrument-scoring",
            "extension": [
                {"url": "code", "valueString": "MOOD-3"},
                {"url": "recallPeriod", "valueString": "the past week"},
                band(0, 2, "Low"), band(3, 6, "High"),
                {"url": "safetyItem", "extension": [
                    {"url": "item", "valueString": "c"}, {"url": "atLeast", "valueInteger": 1},
                    {"url": "flag", "valueString": "hopeless"},
                ]},
            ],
        }],
        "item": [question("a", "Felt low"), question("b", "Slept badly"), question("c", "Felt hopeless")],
    }


def test_an_imported_instrument_can_be_scored_without_code_changes(clinic, tmp_path):
    path = write_json(tmp_path, "mood.json", mood_questionnaire())

    stdout, _ = run("measures_import_questionnaire", path, "--organization", str(clinic["organization"].pk))
    result, _ = score("MOOD-3", "2,1,1")

    assert stdout.startswith("Imported MOOD-3 version 0.1.0 (3 questions) for ")
    assert result == {
        "instrument": "MOOD-3", "version": "0.1.0", "total": 4, "max_total": 6,
        "severity": "High", "subscales": {}, "flags": ["hopeless"],
    }


def test_an_imported_instrument_scores_a_fhir_response_too(clinic, tmp_path):
    run("measures_import_questionnaire", write_json(tmp_path, "mood.json", mood_questionnaire()),
        "--organization", str(clinic["organization"].pk))
    response = {
        "resourceType": "QuestionnaireResponse", "status": "completed",
        "questionnaire": "https://example.org/Questionnaire/mood-3|0.1.0",
        "item": [{"linkId": link_id, "answer": [{"valueCoding": {"code": f"{link_id}-0"}}]} for link_id in "abc"],
    }

    result, _ = score("--fhir", write_json(tmp_path, "qr.json", response))

    assert (result["instrument"], result["total"], result["severity"]) == ("MOOD-3", 0, "Low")


def test_importing_a_broken_questionnaire_says_what_is_wrong(clinic, tmp_path):
    broken = mood_questionnaire()
    broken["extension"][0]["extension"] = [e for e in broken["extension"][0]["extension"] if e["url"] != "code"]

    with pytest.raises(CommandError, match="the instrument needs a short code") as error:
        run("measures_import_questionnaire", write_json(tmp_path, "broken.json", broken),
            "--organization", str(clinic["organization"].pk))

    assert error.value.returncode == 2


def test_importing_for_an_unknown_organization_is_refused(clinic, tmp_path):
    with pytest.raises(CommandError, match="no organization with id 999999"):
        run("measures_import_questionnaire", write_json(tmp_path, "mood.json", mood_questionnaire()),
            "--organization", "999999")


# --- measures import-response ----------------------------------------------------------------


def test_an_imported_response_is_stored_completed_scored_here_and_audited(patient_record, tmp_path):
    response = phq9_response(
        [0, 1, 2, 0, 0, 1, 0, 0, 0],
        identifier={"system": "urn:example:other-ehr", "value": "qr-123"},
    )
    response["item"].append({"linkId": "score", "answer": [{"valueInteger": 11}]})

    stdout, _ = run("measures_import_response", write_json(tmp_path, "qr.json", response),
                    "--patient", patient_record.mrn)

    administration = Administration.objects.get(patient=patient_record, mode=Mode.IMPORTED)
    assert administration.status == Status.COMPLETED
    assert (administration.total, administration.severity) == (4, "Minimal")
    assert administration.answered_on == dt.date(2026, 11, 20)
    assert administration.source_system == "urn:example:other-ehr"
    assert administration.source_identifier == "qr-123"
    assert administration.source_reported_total == 11
    assert "total 4 (Minimal)" in stdout and "reported a total of 11" in stdout
    event = AuditEvent.objects.get(object_type="measures.administration", object_id=str(administration.pk),
                                   action="create")
    assert event.username == f"cli:{getpass.getuser()}"
    assert event.path == "openiop measures import-response"


def test_meta_source_names_the_sending_system(patient_record, tmp_path):
    response = phq9_response([0] * 9, meta={"source": "https://ehr.example.org/fhir"})

    run("measures_import_response", write_json(tmp_path, "qr.json", response), "--patient", patient_record.mrn)

    assert Administration.objects.get(mode=Mode.IMPORTED).source_system == "https://ehr.example.org/fhir"


def test_an_imported_safety_answer_creates_urgent_tasks_for_the_primary_clinician(
    patient_record, clinician, tmp_path
):
    response = phq9_response([0, 0, 0, 0, 0, 0, 0, 0, 2])

    stdout, _ = run("measures_import_response", write_json(tmp_path, "qr.json", response),
                    "--patient", patient_record.mrn)

    task = Task.objects.get(patient=patient_record, kind=TaskKind.SAFETY)
    assert task.assignee == clinician
    assert task.urgent
    assert "Safety answer (suicide_risk)" in stdout


def test_the_same_response_is_not_imported_twice(patient_record, tmp_path):
    path = write_json(tmp_path, "qr.json", phq9_response([0] * 9, identifier={"system": "urn:x", "value": "1"}))
    run("measures_import_response", path, "--patient", patient_record.mrn)

    with pytest.raises(CommandError, match="already imported"):
        run("measures_import_response", path, "--patient", patient_record.mrn)

    assert Administration.objects.filter(mode=Mode.IMPORTED).count() == 1


def test_a_response_about_another_mrn_is_refused(patient_record, tmp_path):
    response = phq9_response([0] * 9, subject={"identifier": {"system": "urn:openiop:mrn", "value": "M7777777"}})

    with pytest.raises(CommandError, match="about MRN M7777777, not"):
        run("measures_import_response", write_json(tmp_path, "qr.json", response), "--patient", patient_record.mrn)

    assert not Administration.objects.filter(mode=Mode.IMPORTED).exists()


@pytest.mark.parametrize("change, message", [
    ({"status": "in-progress"}, "only completed responses are imported"),
    ({"authored": None}, "authored is missing"),
    ({"authored": "2099-01-01"}, "cannot be in the future"),
])
def test_unusable_responses_are_refused_with_the_reason(patient_record, tmp_path, change, message):
    response = {**phq9_response([0] * 9), **change}

    with pytest.raises(CommandError, match=message) as error:
        run("measures_import_response", write_json(tmp_path, "qr.json", response), "--patient", patient_record.mrn)

    assert error.value.returncode == 2
    assert not Administration.objects.filter(mode=Mode.IMPORTED).exists()


def test_an_incomplete_response_names_the_unanswered_question(patient_record, tmp_path):
    response = phq9_response([0] * 8)

    with pytest.raises(CommandError, match="Question 9 is not answered"):
        run("measures_import_response", write_json(tmp_path, "qr.json", response), "--patient", patient_record.mrn)


def test_an_unknown_mrn_is_refused(patient_record, tmp_path):
    with pytest.raises(CommandError, match="no patient with MRN 'M9999999'"):
        run("measures_import_response", write_json(tmp_path, "qr.json", phq9_response([0] * 9)),
            "--patient", "M9999999")


# --- measures schedule -----------------------------------------------------------------------


def test_scheduling_creates_due_measures_once(patient_record):
    # A week after admission (2026-10-01) the weekly measures fall due (the admission ones were
    # asked on admission day, so their week has passed).
    Administration.objects.filter(patient=patient_record).update(
        created_at=dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC))
    before = Administration.objects.count()

    first, _ = run("measures_schedule", "--date", "2026-10-08")
    created = Administration.objects.count() - before
    second, _ = run("measures_schedule", "--date", "2026-10-08")

    assert created > 0
    assert first == f"Created {created} due measures as of 2026-10-08.\n"
    assert second == "Created 0 due measures as of 2026-10-08.\n"
    assert Administration.objects.count() == before + created


def test_a_late_run_is_idempotent_too(patient_record):
    run("measures_schedule", "--date", "2026-11-29")

    second, _ = run("measures_schedule", "--date", "2026-11-29")

    assert second == "Created 0 due measures as of 2026-11-29.\n"


def test_scheduling_refuses_a_date_it_cannot_read(db):
    with pytest.raises(CommandError, match="--date '29/11/2026' is not a date") as error:
        run("measures_schedule", "--date", "29/11/2026")

    assert error.value.returncode == 2


def test_the_grouped_command_names_reach_the_measures_commands():
    assert cli.GROUPED_COMMANDS[("measures", "score")] == "measures_score"
    assert cli.GROUPED_COMMANDS[("measures", "import-questionnaire")] == "measures_import_questionnaire"
    assert cli.GROUPED_COMMANDS[("measures", "import-response")] == "measures_import_response"
    assert cli.GROUPED_COMMANDS[("measures", "schedule")] == "measures_schedule"
    assert cli.GROUPED_COMMANDS[("measures", "remind")] == "measures_remind"


# --- measures remind -------------------------------------------------------------------------


def remind(*args):
    return run("measures_remind", "--base-url", "https://iop.example.org", *args)


@pytest.fixture
def due_this_week(patient_record):
    """The persona's admission measures, as if admitted this week (reminders stop after two weeks)."""
    Administration.objects.filter(patient=patient_record, status=Status.DUE).update(
        due_on=timezone.localdate() - dt.timedelta(days=2))


def test_a_patient_with_a_due_check_in_gets_one_email_with_no_health_information(
    patient_user, patient_record, clinic, due_this_week
):
    services.record_answers(  # a completed one, so a score exists that must not leak
        actor=None, patient=patient_record, instrument_code="GAD-7",
        answers={str(n): 3 for n in range(1, 8)}, mode=Mode.PAPER, answered_on=dt.date(2026, 11, 1),
    )
    assert Administration.objects.filter(patient=patient_record, status=Status.DUE).exists()

    stdout, _ = remind()

    (message,) = mail.outbox
    assert message.to == [patient_user.email]
    assert "You have a check-in waiting in your OpenIOP portal" in message.body
    assert "https://iop.example.org/portal/" in message.body
    text = f"{message.subject}\n{message.body}".lower()
    for code in builtin_instruments():
        assert code.lower() not in text
    for leak in ("phq", "gad", "audit", "craving", "depress", "anxi", "alcohol", "substance",
                 "score", "21", "severe", patient_record.legal_first_name.lower(),
                 patient_record.legal_last_name.lower(), clinic["sud"].name.lower(),
                 clinic["organization"].name.lower()):
        assert leak not in text
    assert stdout == "Sent a check-in reminder to 1 patient.\n"


def test_the_reminder_is_sent_at_most_once_every_two_days(patient_user, patient_record, due_this_week):
    remind()
    remind()
    assert len(mail.outbox) == 1
    due = Administration.objects.filter(patient=patient_record, status=Status.DUE)
    assert all(a.reminded_at is not None for a in due)

    with time_machine.travel(timezone.now() + dt.timedelta(days=2, hours=1)):
        remind()

    assert len(mail.outbox) == 2


def test_the_reminder_is_audited_as_the_operator(patient_user, patient_record, due_this_week):
    remind()

    event = AuditEvent.objects.get(patient=patient_record, path="openiop measures remind")
    assert event.action == "change"
    assert event.username == f"cli:{getpass.getuser()}"


def test_patients_without_a_portal_email_or_without_due_measures_get_nothing(
    patient_user, patient_record, other_patient_user
):
    patient_user.email = ""
    patient_user.save()
    Administration.objects.filter(patient=other_patient_user.patient).update(status=Status.MISSED)

    stdout, _ = remind()

    assert mail.outbox == []
    assert stdout == "Sent a check-in reminder to 0 patients.\n"


def test_the_reminder_needs_the_portal_address(db, settings):
    settings.OPENIOP_BASE_URL = ""

    with pytest.raises(CommandError, match="--base-url") as error:
        run("measures_remind")

    assert error.value.returncode == 2


def test_the_portal_address_can_come_from_the_setting(patient_user, settings, due_this_week):
    settings.OPENIOP_BASE_URL = "https://portal.example.org/"

    run("measures_remind")

    assert "https://portal.example.org/portal/" in mail.outbox[0].body
