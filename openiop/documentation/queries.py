"""Reads of clinical notes for the clinic's screens, the clinician's day and the director's
compliance list. Patients' notes go through `Note.objects.visible_to(user)` (clinical content:
the clinical director, and clinicians and prescribers of the patient's programs or care team);
group notes through `GroupNote.objects.visible_to(user)`.

Every list here costs a fixed number of queries, however many rows it holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.documentation.models import GroupNote, Note, NoteSignature, NoteStatus, SignatureRole
from openiop.documentation.services import NOTE_ROLES, overdue_group_notes, overdue_notes

# Sessions this far back still show on the clinician's "notes to write".
NOTES_TO_WRITE_DAYS = 14


@dataclass
class NoteRow:
    """One line of a notes list: a patient's note, or a group note (no patient)."""

    title: str
    when: dt.datetime
    author: object
    note: Note | None = None
    group_note: GroupNote | None = None
    patient: object = None

    @property
    def url(self) -> str:
        if self.note is not None:
            return reverse("clinic:note_detail", kwargs={"note_id": self.note.pk})
        return reverse("clinic:group_note", kwargs={"session_id": self.group_note.session_id})


@dataclass
class ToWrite:
    """A session the user staffed that still lacks notes: a group session (group note missing
    or members without their part) or one patient's one-to-one session."""

    session: object
    patients: list = field(default_factory=list)   # attended, without a note, visible to the user
    group_note: GroupNote | None = None

    @property
    def is_group(self) -> bool:
        return self.session.kind == "group"

    @property
    def url(self) -> str:
        if self.is_group:
            return reverse("clinic:group_note", kwargs={"session_id": self.session.pk})
        return (reverse("clinic:note_new", kwargs={"mrn": self.patients[0].mrn})
                + f"?session={self.session.pk}")


def writes_notes(user) -> bool:
    return user is not None and user.is_authenticated and user.role in NOTE_ROLES


def notes_to_write(user, *, now: dt.datetime | None = None) -> list[ToWrite]:
    """Ended sessions of the last 14 days that the user staffed, with attended patients whose
    note is missing (or, for a group, the group note itself missing). Five queries."""
    from openiop.attendance.models import ATTENDED_STATUSES, Attendance
    from openiop.patients.models import Patient
    from openiop.scheduling.models import Session, SessionKind, SessionStatus

    if not writes_notes(user):
        return []
    now = now or timezone.now()
    sessions = list(
        Session.objects.filter(staff=user, status=SessionStatus.SCHEDULED, ends_at__lte=now,
                               ends_at__gte=now - dt.timedelta(days=NOTES_TO_WRITE_DAYS))
        .exclude(kind=SessionKind.DRUG_SCREEN).select_related("group_type").order_by("starts_at", "id")
    )
    if not sessions:
        return []
    by_id = {session.pk: session for session in sessions}
    attended = list(Attendance.objects.filter(session_id__in=by_id, status__in=ATTENDED_STATUSES)
                    .select_related("patient").order_by("patient__legal_last_name", "id"))
    written = set(Note.objects.filter(attendance__in=[a.pk for a in attended])
                  .exclude(status=NoteStatus.VOIDED).values_list("attendance_id", flat=True))
    group_notes = {g.session_id: g for g in GroupNote.objects.filter(session_id__in=by_id)}
    visible = set(Patient.objects.visible_to(user).filter(pk__in={a.patient_id for a in attended})
                  .values_list("pk", flat=True))
    missing: dict[int, list] = {}
    for attendance in attended:
        if attendance.pk not in written and attendance.patient_id in visible:
            missing.setdefault(attendance.session_id, []).append(attendance.patient)
    rows = []
    for session in sessions:
        patients = missing.get(session.pk, [])
        if session.kind == SessionKind.GROUP:
            group_note = group_notes.get(session.pk)
            has_members = any(a.session_id == session.pk for a in attended)
            if patients or (has_members and group_note is None):
                rows.append(ToWrite(session=session, patients=patients, group_note=group_note))
        else:
            rows += [ToWrite(session=session, patients=[patient]) for patient in patients]
    return rows


def _note_rows(notes) -> list[NoteRow]:
    return [NoteRow(title=f"{note.get_kind_display()} note", when=note.session.starts_at if note.session_id
                    else note.created_at, author=note.author, note=note, patient=note.patient) for note in notes]


def _group_rows(group_notes) -> list[NoteRow]:
    return [NoteRow(title=f"Group note: {group_note.session.title}", when=group_note.session.starts_at,
                    author=group_note.author, group_note=group_note) for group_note in group_notes]


def drafts_of(user) -> list[NoteRow]:
    """The user's own drafts: patients' notes (outside draft group notes) and group notes.
    Two queries."""
    if not writes_notes(user):
        return []
    notes = (Note.objects.visible_to(user).filter(author=user, status=NoteStatus.DRAFT)
             .exclude(group_note__status=NoteStatus.DRAFT)
             .select_related("patient", "session", "author").order_by("created_at", "id"))
    group_notes = (GroupNote.objects.filter(author=user, status=NoteStatus.DRAFT)
                   .select_related("session__group_type", "author").order_by("session__starts_at", "id"))
    return sorted(_note_rows(notes) + _group_rows(group_notes), key=lambda row: row.when)


def cosigns_waiting(user):
    """Signed notes waiting for this user's co-signature: notes of their supervisees (a clinical
    director sees every such note of the organization). One query."""
    if not writes_notes(user):
        return []
    notes = (Note.objects.visible_to(user).filter(status=NoteStatus.SIGNED, cosign_required=True)
             .exclude(signatures__role=SignatureRole.SUPERVISOR))
    if user.role != Role.DIRECTOR:
        notes = notes.filter(signed_by__supervisor=user)
    return list(notes.select_related("patient", "session", "signed_by", "author").order_by("signed_at", "id"))


def unsigned_overdue(user, *, now: dt.datetime | None = None) -> list[NoteRow]:
    """Drafts past the limit (OPENIOP_UNSIGNED_NOTE_HOURS): the whole organization for the
    clinical director, one's own for a clinician or prescriber. Two queries."""
    if not writes_notes(user):
        return []
    notes = overdue_notes(now).filter(patient__organization_id=user.organization_id)
    group_notes = overdue_group_notes(now).filter(program__organization_id=user.organization_id)
    if user.role != Role.DIRECTOR:
        notes = notes.filter(author=user)
        group_notes = group_notes.filter(author=user)
    notes = notes.select_related("patient", "session", "author").order_by("due_from", "id")
    group_notes = group_notes.select_related("session__group_type", "author").order_by("session__starts_at", "id")
    return sorted(_note_rows(notes) + _group_rows(group_notes), key=lambda row: row.when)


def chart_notes(user, patient):
    """The patient's notes the user may see, newest first, with what the list shows. One query
    (plus one for signatures)."""
    return list(
        Note.objects.visible_to(user).filter(patient=patient)
        .select_related("session__group_type", "author", "signed_by")
        .prefetch_related(Prefetch("signatures", queryset=NoteSignature.objects.select_related("signer")))
        .order_by("-created_at", "-id")
    )


def note_for(user, note_id):
    """The note with everything its page shows, if the user may see it; otherwise 404."""
    note = (
        Note.objects.visible_to(user).filter(pk=note_id)
        .select_related("patient", "episode__program", "session__group_type", "attendance", "author", "signed_by",
                        "group_note__module", "group_note__signed_by")
        .prefetch_related("objectives",
                          Prefetch("signatures", queryset=NoteSignature.objects.select_related("signer")),
                          Prefetch("addenda", queryset=_addenda()))
        .first()
    )
    if note is None:
        raise Http404("No such note")
    return note


def _addenda():
    from openiop.documentation.models import Addendum

    return Addendum.objects.select_related("author").order_by("written_at", "id")


def group_session_for(user, session_id):
    """A session whose group note the user may open: the clinical director's organization; a
    clinician's or prescriber's programs and the sessions they staffed. 404 otherwise."""
    from openiop.scheduling.models import Session

    if not writes_notes(user) or not user.organization_id:
        raise Http404("No such session")
    sessions = Session.objects.filter(program__organization_id=user.organization_id)
    if user.role != Role.DIRECTOR:
        from django.db.models import Q

        sessions = sessions.filter(Q(program__in=user.programs.all()) | Q(staff=user)).distinct()
    session = sessions.select_related("program", "group_type", "module").filter(pk=session_id).first()
    if session is None:
        raise Http404("No such session")
    return session


@dataclass
class MemberCard:
    """One roster row on the group note page: a present member with their part, or an absent
    member (listed, no part)."""

    attendance: object
    patient: object
    note: Note | None
    objectives: list
    attended: bool


def member_cards(user, session) -> tuple[list[MemberCard], int, list]:
    """The session's roster as the group note page shows it: present members (with their part
    and their own plan objectives), absent members, members not yet marked. Members the user may
    not see are counted, not shown. Returns (cards, hidden count, unmarked patients). A fixed
    number of queries."""
    from openiop.attendance.models import Attendance
    from openiop.patients.models import Patient
    from openiop.plans.models import Objective, PlanKind, PlanVersion, VersionStatus
    from openiop.scheduling.models import Attendee

    roster = list(Attendee.objects.filter(session=session).select_related("patient", "episode"))
    visible = set(Patient.objects.visible_to(user).filter(pk__in=[r.patient_id for r in roster])
                  .values_list("pk", flat=True))
    attendance = {a.patient_id: a for a in Attendance.objects.filter(session=session)}
    notes = {n.attendance_id: n for n in Note.objects.filter(attendance__session=session)
             .exclude(status=NoteStatus.VOIDED).prefetch_related("objectives")}
    episodes = {r.episode_id for r in roster}
    latest: dict[int, PlanVersion] = {}
    for version in (PlanVersion.objects.filter(plan__episode_id__in=episodes, plan__kind=PlanKind.TREATMENT,
                                               status=VersionStatus.SIGNED)
                    .select_related("plan").order_by("plan__episode_id", "number")):
        latest[version.plan.episode_id] = version
    objectives: dict[int, list] = {}
    for objective in Objective.objects.filter(version__in=latest.values()).order_by("position", "id"):
        objectives.setdefault(objective.version_id, []).append(objective)
    cards, unmarked, hidden = [], [], 0
    for row in sorted(roster, key=lambda r: (r.patient.legal_last_name, r.patient.legal_first_name, r.pk)):
        if row.patient_id not in visible:
            hidden += 1
            continue
        record = attendance.get(row.patient_id)
        if record is None:
            unmarked.append(row.patient)
            continue
        version = latest.get(row.episode_id)
        cards.append(MemberCard(attendance=record, patient=row.patient, note=notes.get(record.pk),
                                objectives=objectives.get(version.pk, []) if version else [],
                                attended=record.attended))
    return cards, hidden, unmarked
