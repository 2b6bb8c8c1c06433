"""Each kind of task links to where its work is done, built from the task row alone."""

from types import SimpleNamespace

import pytest

from openiop.clinic.task_links import work_link
from openiop.patients.models import Patient
from openiop.worklist.models import Task, TaskKind

CLINICIAN = SimpleNamespace(role="clinician")
INTAKE = SimpleNamespace(role="intake")


def task(kind, topic="", **fields):
    patient = Patient(pk=7, mrn="M0000007")
    return Task(pk=3, kind=kind, topic=topic, patient=patient, **fields)


@pytest.mark.parametrize(("kind", "topic", "url", "label"), [
    (TaskKind.OUTREACH, "attendance:outreach:12", "/clinic/attendance/outreach/3/", "Record the call"),
    (TaskKind.ABSENCES, "attendance:absences:4", "/clinic/patients/M0000007/attendance/", "See their attendance"),
    (TaskKind.DRUG_SCREEN, "medical:screen:17", "/clinic/drug-screens/17/", "Open the drug screen"),
    (TaskKind.UNSIGNED_NOTE, "notes:unsigned:42", "/clinic/notes/42/", "Open the note"),
    (TaskKind.UNSIGNED_NOTE, "notes:unsigned-group:5", "/clinic/notes/unsigned/", "Open the unsigned notes"),
    (TaskKind.COSIGN, "notes:cosign:42", "/clinic/notes/42/", "Open the note"),
    (TaskKind.COSIGN, "notes:cosign-group:5", "/clinic/notes/cosign/", "Open the co-sign queue"),
    (TaskKind.REVIEW, "plans:review-due:9", "/clinic/patients/M0000007/plans/", "Open the plans"),
    (TaskKind.SAFETY, "measures:safety:9", "/clinic/patients/M0000007/measures/", "Open the measures"),
])
def test_each_task_links_to_its_work(kind, topic, url, label):
    link = work_link(task(kind, topic), CLINICIAN)
    assert (link.url, link.label) == (url, label)


def test_a_task_about_nothing_known_has_no_link():
    assert work_link(task(TaskKind.FOLLOW_UP, "something:else"), CLINICIAN) is None


def test_the_screening_link_is_for_clinicians_only():
    referral_task = Task(pk=3, kind=TaskKind.SAFETY, referral_id=11)
    assert work_link(referral_task, CLINICIAN).url == "/clinic/referrals/11/screening/"
    assert work_link(referral_task, INTAKE) is None
