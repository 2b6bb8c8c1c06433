"""Unsigned notes older than the limit alert their author (once) and show on the compliance list."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from openiop.documentation import queries, services
from openiop.worklist.models import Task, TaskKind
from tests.documentation.helpers import (
    ATTEST,
    build_group,
    individual_note,
    one_to_one_session,
    write_group_note,
)
from tests.scheduling.screens_clinic import NOW, build_setup

pytestmark = pytest.mark.django_db



def test_an_overdue_draft_puts_one_task_on_its_authors_list(clinic, clinician, patient_record):
    setup = build_setup(clinic, clinician, patient_record)
    old_session, _ = one_to_one_session(setup, patient_record, day=dt.date(2026, 11, 27))
    recent_session, _ = one_to_one_session(setup, setup["second"], day=dt.date(2026, 11, 30), hour=20)
    old = individual_note(clinician, patient_record, session=old_session)
    individual_note(clinician, setup["second"], session=recent_session)   # ended 13 hours ago
    assert services.flag_unsigned_notes() == 1
    assert services.flag_unsigned_notes() == 0
    task = Task.objects.get(kind=TaskKind.UNSIGNED_NOTE)
    assert task.assignee == clinician and task.patient == patient_record and task.topic == f"notes:unsigned:{old.pk}"
    services.sign_note(actor=clinician, note=old, attestation=ATTEST)
    task.refresh_from_db()
    assert task.done_at is not None


def test_the_limit_is_configurable(clinic, clinician, patient_record, settings):
    setup = build_setup(clinic, clinician, patient_record)
    session, _ = one_to_one_session(setup, patient_record, day=dt.date(2026, 11, 30), hour=20)
    individual_note(clinician, patient_record, session=session)
    settings.OPENIOP_UNSIGNED_NOTE_HOURS = 12
    assert services.flag_unsigned_notes() == 1


def test_a_draft_group_note_is_flagged_once_for_the_whole_group(clinic, clinician, patient_record):
    group = build_group(clinic, clinician, patient_record)
    note, _, _ = write_group_note(clinician, group, sign=False)
    assert services.flag_unsigned_notes() == 1
    task = Task.objects.get(kind=TaskKind.UNSIGNED_NOTE)
    assert task.topic == f"notes:unsigned-group:{note.pk}" and task.patient is None
    rows = queries.unsigned_overdue(clinician)
    assert [row.group_note for row in rows] == [note]
    services.sign_group_note(actor=clinician, group_note=note, attestation=ATTEST)
    assert Task.objects.get(pk=task.pk).done_at is not None


def test_a_task_for_a_note_signed_elsewhere_is_closed_by_the_next_run(clinic, clinician, patient_record):
    setup = build_setup(clinic, clinician, patient_record)
    session, _ = one_to_one_session(setup, patient_record, day=dt.date(2026, 11, 27))
    note = individual_note(clinician, patient_record, session=session)
    services.flag_unsigned_notes()
    services.void_draft(actor=clinician, note=note, reason="Duplicate")
    # As if the task had been left open (e.g. created by a run racing the voiding).
    Task.objects.filter(topic=f"notes:unsigned:{note.pk}").update(done_at=None)
    services.flag_unsigned_notes()
    assert not Task.objects.open().filter(kind=TaskKind.UNSIGNED_NOTE).exists()


def test_the_director_sees_the_organizations_overdue_drafts_a_clinician_their_own(
        clinic, clinician, director, outsider, patient_record):
    setup = build_setup(clinic, clinician, patient_record)
    session, _ = one_to_one_session(setup, patient_record, day=dt.date(2026, 11, 27))
    note = individual_note(clinician, patient_record, session=session)
    assert [row.note for row in queries.unsigned_overdue(director)] == [note]
    assert [row.note for row in queries.unsigned_overdue(clinician)] == [note]
    assert queries.unsigned_overdue(outsider) == []
    assert queries.unsigned_overdue(clinician, now=NOW - dt.timedelta(days=3)) == []


def test_the_notes_remind_command_reports_what_it_did(clinic, clinician, patient_record):
    setup = build_setup(clinic, clinician, patient_record)
    session, _ = one_to_one_session(setup, patient_record, day=dt.date(2026, 11, 27))
    individual_note(clinician, patient_record, session=session)
    out = StringIO()
    call_command("notes_remind", stdout=out)
    assert out.getvalue().strip() == "Unsigned notes: 1 new task."
    out = StringIO()
    call_command("notes_remind", "--now", "2026-11-27T16:00", stdout=out)
    assert "0 new tasks" in out.getvalue()


def test_the_grouped_command_name_is_registered():
    from openiop.cli import GROUPED_COMMANDS

    assert GROUPED_COMMANDS[("notes", "remind")] == "notes_remind"
