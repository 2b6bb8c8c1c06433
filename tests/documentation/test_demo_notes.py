"""The demo's notes step on a small clinic (after its attendance step): signed group notes with
one note per present member, drafts past the limit flagged, co-signatures waiting and done, and no
note naming another member."""

import datetime as dt

import pytest

from openiop.demo.attendance import build_attendance
from openiop.demo.loader import new_context
from openiop.demo.notes import build_notes
from openiop.documentation import rules
from openiop.documentation.models import GroupNote, Note, NoteSignature
from openiop.worklist.models import Task, TaskKind
from tests.documentation.helpers import signed_objectives
from tests.factories.clinic import UserFactory, admit, make_patient
from tests.scheduling.screens_clinic import (
    TODAY,
    WEEK,
    at,
    build_setup,
    make_series,
    one_to_one,
    series_session,
)

pytestmark = pytest.mark.django_db



@pytest.fixture
def small_clinic(clinic, clinician, patient_record, director):
    setup = build_setup(clinic, clinician, patient_record)
    associate = UserFactory(username="associate", role="clinician", organization=clinic["organization"],
                            requires_cosignature=True, supervisor=director)
    associate.programs.set([clinic["sud"]])
    patients = [patient_record, setup["second"]]
    for i in range(6):
        extra = make_patient(organization=clinic["organization"], program=clinic["sud"], legal_first_name=f"Sam{i}",
                             legal_last_name="Demo", date_of_birth=dt.date(1990, 1, 1))
        admit(patient=extra, program=clinic["sud"], clinician=clinician)
        patients.append(extra)
    signed_objectives(patient_record, clinician)
    series = make_series(setup, weekday=0, start=dt.time(18), starts_on=dt.date(2026, 9, 7))
    second = make_series({**setup, "clinician": associate}, weekday=0, start=dt.time(12),
                         starts_on=dt.date(2026, 9, 7), name="Noon group")
    for back in range(9):
        series_session(series, WEEK - dt.timedelta(weeks=back), patients=patients)
        series_session(second, WEEK - dt.timedelta(weeks=back), patients=patients[:4])
        for index, patient in enumerate(patients[:3]):
            one_to_one(setup, at(WEEK - dt.timedelta(weeks=back) + dt.timedelta(days=2), 10 + index),
                       patient=patient, minutes=50, staff=associate if index == 2 else clinician)
    ctx = new_context(seed=7, with_passwords=False)
    ctx.organization, ctx.staff, ctx.today = clinic["organization"], {"director": director}, TODAY
    build_attendance(ctx)
    return {"ctx": ctx, "setup": setup, "patients": patients, "associate": associate}


def test_the_demo_writes_signed_notes_for_present_members_only(small_clinic):
    build_notes(small_clinic["ctx"])
    assert GroupNote.objects.filter(status="signed").count() >= 10
    for group_note in GroupNote.objects.filter(status="signed"):
        present = set(group_note.session.attendance.filter(status__in=("present", "late", "left_early"))
                      .values_list("patient_id", flat=True))
        assert set(group_note.member_notes.values_list("patient_id", flat=True)) == present
    assert Note.objects.filter(kind="individual", status="signed").count() >= 15
    assert Note.objects.filter(objectives__isnull=False).exists()
    assert not Note.objects.filter(attendance__status__in=("absent_excused", "absent_unexcused")).exists()


def test_the_demo_leaves_some_overdue_drafts_and_cosignatures(small_clinic):
    build_notes(small_clinic["ctx"])
    assert Task.objects.open().filter(kind=TaskKind.UNSIGNED_NOTE).exists()
    waiting = Note.objects.filter(status="signed", cosign_required=True).exclude(signatures__role="supervisor")
    done = NoteSignature.objects.filter(role="supervisor")
    assert done.exists()
    assert waiting.exists() or done.count() == Note.objects.filter(cosign_required=True).count()


def test_no_demo_note_names_another_patient(small_clinic):
    build_notes(small_clinic["ctx"])
    patients = small_clinic["patients"]
    for note in Note.objects.select_related("group_note").prefetch_related("objectives"):
        others = [p for p in patients if p.pk != note.patient_id]
        text = rules.note_text(note)
        assert rules.named_in(text, [n for p in others for n in rules.names_of(p)]) == [], text
