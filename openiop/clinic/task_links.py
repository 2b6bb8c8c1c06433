"""Where the work behind a task is done: each open task on the clinician's day is one click
from the page that resolves it (the screening, the absence to call about, the note to sign,
the drug screen to discuss...).

A task names what it is about by its `topic` ("notes:unsigned:42") and its patient; this module
turns that into a link. It makes no query: every link is built from the task row alone (its
patient is selected with it), so a long task list costs the same as a short one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from openiop.accounts.enums import Role
from openiop.worklist.models import TaskKind


@dataclass(frozen=True)
class WorkLink:
    url: str
    label: str


def _topic_id(topic: str, prefix: str) -> int | None:
    """The record id at the end of a topic such as "medical:screen:17"."""
    if not topic.startswith(prefix):
        return None
    tail = topic[len(prefix):].split(":", 1)[0]
    return int(tail) if tail.isdigit() else None


def _link(name: str, label: str, **kwargs) -> WorkLink | None:
    try:
        return WorkLink(reverse(f"clinic:{name}", kwargs=kwargs), label)
    except NoReverseMatch:
        return None


def _patient_link(task, name: str, label: str) -> WorkLink | None:
    return _link(name, label, mrn=task.patient.mrn) if task.patient_id else None


# The screening page is the clinicians' (intake staff follow a referral from the referral list).
SCREENING_ROLES = frozenset({Role.CLINICIAN, Role.PRESCRIBER, Role.DIRECTOR})


def work_link(task, user) -> WorkLink | None:
    """The page where `user` works on `task`, or None when there is none to offer."""
    topic = task.topic or ""
    if task.referral_id:
        if user.role not in SCREENING_ROLES:
            return None
        return _link("referral_screening", "Open the screening", referral_id=task.referral_id)
    if task.kind == TaskKind.OUTREACH:
        return _link("outreach", "Record the call", task_id=task.pk)
    if task.kind == TaskKind.ABSENCES:
        return _patient_link(task, "patient_attendance", "See their attendance")
    if task.kind == TaskKind.DRUG_SCREEN:
        screen_id = _topic_id(topic, "medical:screen:")
        if screen_id is not None:
            return _link("drug_screen_detail", "Open the drug screen", screen_id=screen_id)
        return _patient_link(task, "patient_drug_screens", "See their drug screens")
    if task.kind in (TaskKind.UNSIGNED_NOTE, TaskKind.COSIGN):
        note_id = _topic_id(topic, "notes:unsigned:") or _topic_id(topic, "notes:cosign:")
        if note_id is not None:
            return _link("note_detail", "Open the note", note_id=note_id)
        # A group note's task names the group note, not its session: its list is one click away.
        if task.kind == TaskKind.COSIGN:
            return _link("cosign_queue", "Open the co-sign queue")
        return _link("unsigned_notes", "Open the unsigned notes")
    if topic.startswith("plans:"):
        return _patient_link(task, "patient_plans", "Open the plans")
    if topic.startswith("measures:"):
        return _patient_link(task, "patient_measures", "Open the measures")
    return None
