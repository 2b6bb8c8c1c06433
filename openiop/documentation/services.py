"""Writes of clinical notes. Every change to a note goes through here.

Group sessions: `start_group_note` → `save_group_note` (the shared part) and `save_member_part`
(one per member who attended) → `sign_group_note` signs the shared part and every member part
written so far; a part written after that is signed with `sign_note`.
Individual, family and medication notes: `start_note` → `save_note` → `sign_note`.
After signing: `cosign_note` / `cosign_group_note` (supervisor), `add_addendum`. A draft is
never deleted: `void_draft` withdraws it, with a reason. `flag_unsigned_notes` puts overdue
drafts on their author's worklist (`openiop notes remind`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from openiop.accounts.enums import TREATING_ROLES, Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.documentation import rules
from openiop.documentation.models import (
    Addendum,
    GroupNote,
    Note,
    NoteKind,
    NoteSignature,
    NoteStatus,
    SignatureRole,
    SignedNoteError,
)
from openiop.worklist.models import Task, TaskKind
from openiop.worklist.services import create_task

# Who writes and signs clinical notes.
NOTE_ROLES = frozenset(TREATING_ROLES | {Role.DIRECTOR})
COSIGN_DUE_DAYS = 3


def _require_clinician(actor) -> None:
    if actor is None or actor.role not in NOTE_ROLES:
        raise ValidationError("Only a clinician, prescriber or clinical director writes clinical notes.")


def _moment(at: dt.datetime | None) -> dt.datetime:
    """Now, or an earlier moment for a note signed on paper and entered later (and the demo's
    history). Never in the future."""
    now = timezone.now()
    if at is None:
        return now
    if at > now:
        raise ValidationError({"signed_at": "A signature cannot be dated in the future."})
    return at


def _attestation(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"attestation": "Confirm the attestation to sign."})
    return text


def coverage_kind(patient, day: dt.date) -> str:
    """The kind of the patient's first-priority coverage in force on `day` ("" when none)."""
    from openiop.patients.models import Coverage

    coverage = (
        Coverage.objects.filter(patient=patient)
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=day))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .order_by("priority", "id").first()
    )
    return coverage.kind if coverage else ""


def plan_objectives(episode):
    """The objectives of the episode's current signed treatment plan (what a note may link)."""
    from openiop.plans.models import Objective, Plan, PlanKind
    from openiop.plans.queries import current_version

    plan = Plan.objects.filter(episode=episode, kind=PlanKind.TREATMENT).first()
    version = current_version(plan) if plan else None
    if version is None:
        return Objective.objects.none()
    return Objective.objects.filter(version=version).order_by("position", "id")


def _objectives(episode, objectives) -> list:
    wanted = {getattr(objective, "pk", objective) for objective in (objectives or [])}
    if not wanted:
        return []
    allowed = list(plan_objectives(episode).filter(pk__in=wanted))
    if len(allowed) != len(wanted):
        raise ValidationError({"objectives": "Choose objectives from this patient's signed treatment plan only."})
    return allowed


def _check_draft(note: Note) -> None:
    if note.status == NoteStatus.SIGNED:
        raise SignedNoteError("This note is signed: it cannot be changed. Write an addendum instead.")
    if note.status == NoteStatus.VOIDED:
        raise SignedNoteError("This draft was voided: it cannot be changed.")


def _check_group_draft(group_note: GroupNote) -> None:
    if group_note.is_signed:
        raise SignedNoteError("The group note is signed: its shared part cannot be changed.")


def _clean(text) -> str:
    return (text or "").strip()


# Group notes ---------------------------------------------------------------------------------------


@transaction.atomic
def start_group_note(*, actor, session) -> GroupNote:
    """The session's group note (a new draft the first time): the shared part, its topic and
    module taken from the session's curriculum module. Idempotent. No patient is named in it, so
    there is no patient audit event; member parts are audited one by one."""
    from openiop.scheduling.models import SessionKind

    _require_clinician(actor)
    existing = GroupNote.objects.filter(session=session).first()
    if existing is not None:
        return existing
    if session.kind != SessionKind.GROUP:
        raise ValidationError({"session": "Only a group session has a group note."})
    if session.is_cancelled:
        raise ValidationError({"session": "This session was cancelled: there is nothing to document."})
    if session.starts_at > timezone.now():
        raise ValidationError({"session": "This session has not started yet."})
    topic = session.module.title if session.module_id else (session.group_type.name if session.group_type_id else "")
    group_note = GroupNote(session=session, program=session.program, author=actor, topic=topic,
                           module=session.module)
    group_note.label_for_program(session.program)
    group_note.save()
    return group_note


def roster_patients(session) -> list:
    from openiop.patients.models import Patient

    return list(Patient.objects.filter(session_rows__session=session).order_by("id"))


@transaction.atomic
def save_group_note(*, actor, group_note, topic: str, module, interventions: str, summary: str) -> GroupNote:
    """Save the shared part (a draft). Refused when it names any member of the session's roster:
    a member is written about only in their own part."""
    _require_clinician(actor)
    group_note = GroupNote.objects.select_for_update().get(pk=group_note.pk)
    _check_group_draft(group_note)
    values = {"topic": _clean(topic), "interventions": _clean(interventions), "summary": _clean(summary)}
    errors = {}
    if len(values["topic"]) > 200:
        errors["topic"] = "Keep the topic under 200 characters."
    for field_name, names in rules.other_members_named(values, roster_patients(group_note.session)).items():
        label = dict(rules.GROUP_SHARED_FIELDS)[field_name]
        errors[field_name] = (f"The {label.lower()} names a group member ({', '.join(names)}): write about a "
                              "member only in their own part.")
    if module is not None and module.organization_id != group_note.program.organization_id:
        errors["module"] = "Choose a module of this organization's curriculum."
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(group_note, name, value)
    group_note.module = module
    group_note.save()
    return group_note


def _default_times(attendance, session):
    time_in = (attendance.checked_in_at if attendance and attendance.checked_in_at else session.starts_at)
    time_out = (attendance.checked_out_at if attendance and attendance.checked_out_at else session.ends_at)
    if session is not None:
        # Inside the session's own times (as attendance counts minutes).
        time_in = max(time_in, session.starts_at)
        time_out = min(time_out, session.ends_at)
    return time_in, max(time_out, time_in)


@transaction.atomic
def save_member_part(*, actor, group_note, attendance, participation: str, mood_affect: str, progress: str,
                     objectives, risk_observed: str, plan_next: str) -> Note:
    """Write (or change, while a draft) one member's own part. Only for a member who attended;
    refused when it names another member of the roster. Touches no other member's note.
    Side effects: a `create` or `change` audit event about this member."""
    _require_clinician(actor)
    group_note = GroupNote.objects.select_related("session").get(pk=group_note.pk)
    session = group_note.session
    if attendance.session_id != session.pk:
        raise ValidationError({"attendance": "This member is not on this session's roster."})
    patient = attendance.patient
    if not attendance.attended:
        raise ValidationError({"attendance": f"{patient.display_name} did not attend "
                                             f"({attendance.get_status_display().lower()}): absent members get no note."})
    body = {"participation": _clean(participation), "mood_affect": _clean(mood_affect), "progress": _clean(progress),
            "risk_observed": _clean(risk_observed), "plan_next": _clean(plan_next)}
    others = [p for p in roster_patients(session) if p.pk != patient.pk]
    errors = {}
    labels = {key: label for key, label, _ in rules.TEMPLATE_SECTIONS["group"]}
    for field_name, names in rules.other_members_named(body, others).items():
        errors[field_name] = (f"{labels[field_name]} names another group member ({', '.join(names)}): write about "
                              "them only in their own part.")
    if errors:
        raise ValidationError(errors)
    chosen = _objectives(attendance.episode, objectives)
    note = (Note.objects.select_for_update().filter(attendance=attendance).exclude(status=NoteStatus.VOIDED).first())
    created = note is None
    if created:
        time_in, time_out = _default_times(attendance, session)
        note = Note(patient=patient, episode=attendance.episode, kind=NoteKind.GROUP, template="group",
                    session=session, attendance=attendance, group_note=group_note, author=actor,
                    time_in=time_in, time_out=time_out)
        note.label_for_program(attendance.episode.program)
    else:
        _check_draft(note)
    note.body = body
    note.minutes = attendance.minutes or rules.minutes_between(note.time_in, note.time_out)
    suggestion = rules.suggest_code(kind=NoteKind.GROUP, minutes=note.minutes,
                                    coverage_kind=coverage_kind(patient, timezone.localdate(session.starts_at)))
    note.suggested_code, note.suggestion_reason = suggestion.code, suggestion.reason
    note.service_code = suggestion.code
    note.save()
    note.objectives.set(chosen)
    audit.record(user=actor, action=Action.CREATE if created else Action.CHANGE, patient=patient, obj=note,
                 detail={"group_note": group_note.pk})
    return note


def _group_signing_problems(group_note, roster) -> dict[str, str]:
    problems = {}
    for field_name, label in rules.GROUP_SHARED_FIELDS:
        if not getattr(group_note, field_name).strip():
            problems[field_name] = f"Write the {label.lower()} before signing."
    # Checked again: a member may have joined the roster since the part was saved.
    values = {field_name: getattr(group_note, field_name) for field_name, _ in rules.GROUP_SHARED_FIELDS}
    for field_name, names in rules.other_members_named(values, roster).items():
        label = dict(rules.GROUP_SHARED_FIELDS)[field_name]
        problems[field_name] = (f"The {label.lower()} names a group member ({', '.join(names)}): write about a "
                                "member only in their own part.")
    return problems


def _member_naming_problems(note, roster) -> dict[str, str]:
    labels = {key: label for key, label, _ in rules.TEMPLATE_SECTIONS["group"]}
    others = [patient for patient in roster if patient.pk != note.patient_id]
    return {field_name: (f"{labels.get(field_name, field_name)} names another group member ({', '.join(names)}): "
                         "write about them only in their own part.")
            for field_name, names in rules.other_members_named(note.body or {}, others).items()}


def _note_signing_problems(note) -> dict[str, str]:
    problems = {}
    for key, label, _ in rules.TEMPLATE_SECTIONS.get(note.template, []):
        if not _clean((note.body or {}).get(key)):
            problems[key] = f"Write the {label.lower()} before signing."
    if note.kind != NoteKind.GROUP and (note.time_in is None or note.time_out is None):
        problems["time_in"] = "Enter the times in and out before signing."
    return problems


@transaction.atomic
def sign_group_note(*, actor, group_note, attestation: str, signed_at: dt.datetime | None = None) -> GroupNote:
    """Sign the shared part and every member part written so far of the members the signer may
    see, at once (each member's note gets its own signature); a part of a member since marked
    absent is voided. Refused while any written part is incomplete. Side effects: a
    `change` audit event per member note signed; the author's unsigned-note tasks closed; a
    co-signature task for the supervisor when the signer's licence needs one."""
    _require_clinician(actor)
    attestation = _attestation(attestation)
    group_note = GroupNote.objects.select_for_update().select_related("session").get(pk=group_note.pk)
    _check_group_draft(group_note)
    if actor.pk != group_note.author_id and not group_note.session.staff.filter(pk=actor.pk).exists():
        raise ValidationError("Only the note's author or the session's staff sign a group note.")
    from openiop.patients.models import Patient

    roster = roster_patients(group_note.session)
    problems = _group_signing_problems(group_note, roster)
    # Locked, so a member part saved at this moment is either signed as saved or refused after.
    drafts = list(group_note.member_notes.select_for_update(of=("self",)).filter(status=NoteStatus.DRAFT)
                  .select_related("patient", "attendance"))
    visible = set(Patient.objects.visible_to(actor).filter(pk__in={n.patient_id for n in drafts})
                  .values_list("pk", flat=True))
    # A part of a member marked absent since it was written is voided: absent members get no note.
    gone = [note for note in drafts if note.attendance_id and not note.attendance.attended]
    # Parts of members the signer may not see are neither read, named nor signed here: their
    # author signs them later with `sign_note`.
    members = [note for note in drafts if note not in gone and note.patient_id in visible]
    for note in members:
        for key, message in {**_note_signing_problems(note), **_member_naming_problems(note, roster)}.items():
            # The key carries the note's id; the page puts the message on that member's card.
            problems[f"{key}-{note.pk}"] = f"A member's part: {message}"
    if problems:
        raise ValidationError(problems)
    now = _moment(signed_at)
    for note in gone:
        Note.objects.filter(pk=note.pk).update(status=NoteStatus.VOIDED,
                                               void_reason="The member was marked absent after this part was written.")
        audit.record(user=actor, action=Action.CHANGE, patient=note.patient, obj=note, detail={"voided": True})
        _close_tasks(f"notes:unsigned:{note.pk}", actor, "Voided.")
    GroupNote.objects.filter(pk=group_note.pk).update(status=NoteStatus.SIGNED, signed_by=actor, signed_at=now,
                                                      attestation=attestation)
    group_note.refresh_from_db()
    _signature(group_note=group_note, role=SignatureRole.AUTHOR, signer=actor, attestation=attestation, at=now)
    for note in members:
        _sign(note, actor, attestation, now)
    _close_tasks(f"notes:unsigned-group:{group_note.pk}", actor, "Signed.")
    if actor.requires_cosignature and actor.supervisor_id and members:
        _task_once(actor, actor.supervisor, kind=TaskKind.COSIGN, patient=None,
                   topic=f"notes:cosign-group:{group_note.pk}",
                   title=f"Co-sign the group note of {timezone.localtime(group_note.session.starts_at):%a %d %b}",
                   detail=f"Signed by {actor.display_name}, who needs your co-signature "
                          f"({len(members)} member note{'s' if len(members) != 1 else ''}).")
    return group_note


def _signature(*, role, signer, attestation, at, note=None, group_note=None) -> NoteSignature:
    record = note or group_note
    signature = NoteSignature(note=note, group_note=group_note, role=role, signer=signer, attestation=attestation,
                              signed_at=at, program_of_origin=record.program_of_origin,
                              security_labels=record.security_labels)
    signature.save()
    return signature


def _sign(note, actor, attestation, now) -> None:
    cosign_required = bool(actor.requires_cosignature and actor.supervisor_id)
    Note.objects.filter(pk=note.pk).update(status=NoteStatus.SIGNED, signed_by=actor, signed_at=now,
                                           attestation=attestation, cosign_required=cosign_required)
    note.refresh_from_db()
    _signature(note=note, role=SignatureRole.AUTHOR, signer=actor, attestation=attestation, at=now)
    audit.record(user=actor, action=Action.CHANGE, patient=note.patient, obj=note, detail={"signed": True})
    _close_tasks(f"notes:unsigned:{note.pk}", actor, "Signed.")


# Individual, family and medication-management notes ----------------------------------------------


def _episode_for(patient, session):
    if session is not None:
        row = session.attendees.filter(patient=patient).select_related("episode").first()
        if row is None:
            raise ValidationError({"session": "This patient is not on that session's roster."})
        return row.episode
    from openiop.care.models import EpisodeStatus

    episode = (patient.episodes.filter(status__in=(EpisodeStatus.ACTIVE, EpisodeStatus.ONHOLD))
               .order_by("-admitted_on", "-id").first())
    if episode is None:
        episode = patient.episodes.order_by("-admitted_on", "-id").first()
    if episode is None:
        raise ValidationError({"patient": "This patient has no episode of care."})
    return episode


@transaction.atomic
def start_note(*, actor, patient, kind: str, template: str, session=None, attendance=None) -> Note:
    """Start a draft note for `patient`: individual, family or medication management, in the
    DAP, SOAP or BIRP template, optionally for one of their sessions (times then default to the
    check-in and check-out, or the session's times). Side effects: a `create` audit event."""
    from openiop.attendance.models import Attendance

    _require_clinician(actor)
    if kind == NoteKind.GROUP:
        raise ValidationError({"kind": "A group note is written from the group session's note page."})
    if kind not in rules.TEMPLATES_FOR_KIND:
        raise ValidationError({"kind": "Choose individual, family or medication management."})
    if template not in rules.TEMPLATES_FOR_KIND[kind]:
        raise ValidationError({"template": "Choose the DAP, SOAP or BIRP template."})
    if attendance is not None:
        session = attendance.session
    if session is not None:
        if session.kind != kind:
            raise ValidationError({"session": f"That session is a {session.get_kind_display().lower()} session."})
        if session.is_cancelled:
            raise ValidationError({"session": "That session was cancelled."})
        if attendance is None:
            attendance = Attendance.objects.filter(session=session, patient=patient).first()
        if attendance is not None and not attendance.attended:
            raise ValidationError({"session": "The patient did not attend that session "
                                              f"({attendance.get_status_display().lower()})."})
        if attendance is not None and Note.objects.filter(attendance=attendance).exclude(
                status=NoteStatus.VOIDED).exists():
            raise ValidationError({"session": "That session already has a note: open it from the patient's notes."})
    episode = _episode_for(patient, session)
    time_in = time_out = None
    if session is not None:
        time_in, time_out = _default_times(attendance, session)
    note = Note(patient=patient, episode=episode, kind=kind, template=template, session=session,
                attendance=attendance, author=actor, time_in=time_in, time_out=time_out,
                minutes=rules.minutes_between(time_in, time_out))
    _apply_suggestion(note)
    note.service_code = note.suggested_code
    note.label_for_program(episode.program)
    note.save()
    audit.record(user=actor, action=Action.CREATE, patient=patient, obj=note, detail={"kind": kind})
    return note


def _apply_suggestion(note) -> rules.CodeSuggestion:
    day = timezone.localdate(note.time_in) if note.time_in else timezone.localdate()
    suggestion = rules.suggest_code(kind=note.kind, minutes=note.minutes,
                                    coverage_kind=coverage_kind(note.patient, day),
                                    patient_present=note.patient_present)
    note.suggested_code, note.suggestion_reason = suggestion.code, suggestion.reason
    return suggestion


@transaction.atomic
def save_note(*, actor, note, body: dict, time_in, time_out, objectives, service_code: str | None = None,
              code_reason: str = "", patient_present: bool | None = None) -> Note:
    """Save a draft: the template's sections, times in and out, linked plan objectives and the
    service code. `service_code` None takes the suggestion; a code other than the suggestion
    needs `code_reason`. Side effects: a `change` audit event."""
    _require_clinician(actor)
    note = Note.objects.select_for_update(of=("self",)).select_related("episode").get(pk=note.pk)
    _check_draft(note)
    if actor.pk != note.author_id:
        raise ValidationError("Only the note's author changes a draft.")
    errors = {}
    keys = [key for key, _, _ in rules.TEMPLATE_SECTIONS[note.template]]
    body = {key: _clean((body or {}).get(key)) for key in keys}
    if time_in and time_out and time_out < time_in:
        errors["time_out"] = "The time out must be after the time in."
    elif time_in and time_out and time_out - time_in > dt.timedelta(hours=12):
        errors["time_out"] = "A session longer than 12 hours: check the times."
    admitted_on = note.episode.admitted_on
    if time_in and admitted_on and timezone.localdate(time_in) < admitted_on:
        errors["time_in"] = f"The time in is before the patient's admission ({admitted_on:%m/%d/%Y}): check the date."
    if note.kind == NoteKind.GROUP:
        errors["kind"] = "A group member's part is saved from the group note."
    if errors:
        raise ValidationError(errors)
    chosen = _objectives(note.episode, objectives)
    note.body, note.time_in, note.time_out = body, time_in, time_out
    if patient_present is not None:
        note.patient_present = bool(patient_present)
    note.minutes = rules.minutes_between(time_in, time_out)
    suggestion = _apply_suggestion(note)
    code = suggestion.code if service_code is None else _clean(service_code).upper()
    code_reason = _clean(code_reason)
    if code and code not in rules.SERVICE_CODES:
        raise ValidationError({"service_code": f"{code} is not a code OpenIOP knows; choose one from the list."})
    if code != suggestion.code and not code_reason:
        suggested = suggestion.code or "no code"
        raise ValidationError({"code_reason": f"Say why you chose {code or 'no code'} rather than {suggested}."})
    note.service_code = code
    note.code_reason = code_reason if code != suggestion.code else ""
    note.save()
    note.objectives.set(chosen)
    audit.record(user=actor, action=Action.CHANGE, patient=note.patient, obj=note, detail={"fields": ["body"]})
    return note


@transaction.atomic
def sign_note(*, actor, note, attestation: str, signed_at: dt.datetime | None = None) -> Note:
    """The author signs: the note is locked for good. A group member's part is signed here when
    it was written after the group note was signed (the shared part must be signed first).
    Side effects: a `change` audit event; the unsigned-note task closed; a co-signature task for
    the supervisor when the author's licence needs one."""
    _require_clinician(actor)
    attestation = _attestation(attestation)
    note = Note.objects.select_for_update(of=("self",)).select_related("group_note", "patient", "attendance").get(pk=note.pk)
    _check_draft(note)
    if actor.pk != note.author_id:
        raise ValidationError("Only the note's author signs it.")
    if note.group_note_id and not note.group_note.is_signed:
        raise ValidationError({"group_note": "Sign the group note first: this part is signed with it."})
    if note.attendance_id and not note.attendance.attended:
        raise ValidationError({"attendance": "The patient is now marked absent from that session: void this "
                                             "draft rather than sign it."})
    problems = _note_signing_problems(note)
    if note.group_note_id:
        problems.update(_member_naming_problems(note, roster_patients(note.session)))
    if problems:
        raise ValidationError(problems)
    _sign(note, actor, attestation, _moment(signed_at))
    if note.cosign_required:
        _task_once(actor, actor.supervisor, kind=TaskKind.COSIGN, patient=note.patient,
                   topic=f"notes:cosign:{note.pk}", title=f"Co-sign a {note.get_kind_display().lower()} note",
                   detail=f"Signed by {actor.display_name}, who needs your co-signature.")
    return note


def awaiting_cosign(note) -> bool:
    return (note.status == NoteStatus.SIGNED and note.cosign_required
            and not note.signatures.filter(role=SignatureRole.SUPERVISOR).exists())


def may_cosign(actor, note) -> bool:
    if actor.role == Role.DIRECTOR:
        return True
    return note.signed_by is not None and note.signed_by.supervisor_id == actor.pk


@transaction.atomic
def cosign_note(*, actor, note, attestation: str, signed_at: dt.datetime | None = None) -> NoteSignature:
    """The supervisor co-signs a signed note: a signature row beside it, the note untouched.
    Side effects: a `create` audit event; the co-signature task closed."""
    attestation = _attestation(attestation)
    note = Note.objects.select_for_update(of=("self",)).select_related("signed_by", "patient").get(pk=note.pk)
    if note.status != NoteStatus.SIGNED:
        raise ValidationError("The author signs the note first.")
    if not note.cosign_required:
        raise ValidationError("This note needs no co-signature.")
    if note.signatures.filter(role=SignatureRole.SUPERVISOR).exists():
        raise ValidationError("This note is already co-signed.")
    if not may_cosign(actor, note):
        raise ValidationError("Only the author's supervisor (or a clinical director) co-signs.")
    signature = _signature(note=note, role=SignatureRole.SUPERVISOR, signer=actor, attestation=attestation,
                           at=_moment(signed_at))
    audit.record(user=actor, action=Action.CREATE, patient=note.patient, obj=signature,
                 detail={"cosigned_note": note.pk})
    _close_tasks(f"notes:cosign:{note.pk}", actor, "Co-signed.")
    if note.group_note_id and not Note.objects.filter(
            group_note_id=note.group_note_id, status=NoteStatus.SIGNED, cosign_required=True).exclude(
            signatures__role=SignatureRole.SUPERVISOR).exists():
        _close_tasks(f"notes:cosign-group:{note.group_note_id}", actor, "Co-signed.")
    return signature


@transaction.atomic
def cosign_group_note(*, actor, group_note, attestation: str, signed_at: dt.datetime | None = None) -> int:
    """Co-sign every signed member note of the group note that waits for it. Returns how many."""
    waiting = (Note.objects.filter(group_note=group_note, status=NoteStatus.SIGNED, cosign_required=True)
               .exclude(signatures__role=SignatureRole.SUPERVISOR))
    count = 0
    for note in waiting:
        cosign_note(actor=actor, note=note, attestation=attestation, signed_at=signed_at)
        count += 1
    return count


@transaction.atomic
def add_addendum(*, actor, note, text: str, attestation: str, written_at: dt.datetime | None = None) -> Addendum:
    """Add a signed addendum below a signed note (corrections and late information); the note
    itself is unchanged. Side effects: a `create` audit event."""
    _require_clinician(actor)
    attestation = _attestation(attestation)
    text = _clean(text)
    if not text:
        raise ValidationError({"text": "Write the addendum."})
    note = Note.objects.select_related("session").get(pk=note.pk)
    if note.status != NoteStatus.SIGNED:
        raise ValidationError({"text": "Only a signed note takes an addendum; a draft is simply edited."})
    if note.group_note_id:
        others = [patient for patient in roster_patients(note.session) if patient.pk != note.patient_id]
        names = rules.other_members_named({"text": text}, others).get("text")
        if names:
            raise ValidationError({"text": f"The addendum names another group member ({', '.join(names)}): "
                                           "write about them only in their own note."})
    addendum = Addendum(note=note, patient_id=note.patient_id, author=actor, text=text, attestation=attestation,
                        written_at=_moment(written_at), program_of_origin=note.program_of_origin,
                        security_labels=note.security_labels)
    addendum.save()
    audit.record(user=actor, action=Action.CREATE, patient=note.patient, obj=addendum, detail={"note": note.pk})
    return addendum


@transaction.atomic
def void_draft(*, actor, note, reason: str) -> Note:
    """Withdraw a draft (written for the wrong patient or session, say): it is kept, marked
    voided with the reason, and no longer counts as the session's note. Side effects: a
    `change` audit event; its unsigned-note task closed."""
    _require_clinician(actor)
    reason = _clean(reason)
    if not reason:
        raise ValidationError({"reason": "Say why this draft is voided."})
    note = Note.objects.select_for_update().get(pk=note.pk)
    _check_draft(note)
    if actor.pk != note.author_id and actor.role != Role.DIRECTOR:
        raise ValidationError("Only the note's author (or a clinical director) voids a draft.")
    Note.objects.filter(pk=note.pk).update(status=NoteStatus.VOIDED, void_reason=reason[:300])
    note.refresh_from_db()
    audit.record(user=actor, action=Action.CHANGE, patient=note.patient, obj=note, detail={"voided": True})
    _close_tasks(f"notes:unsigned:{note.pk}", actor, "Voided.")
    return note


# Unsigned notes ------------------------------------------------------------------------------------


def unsigned_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    hours = getattr(settings, "OPENIOP_UNSIGNED_NOTE_HOURS", 24)
    return (now or timezone.now()) - dt.timedelta(hours=hours)


def overdue_notes(now: dt.datetime | None = None):
    """Drafts of patients' notes older than the limit, counted from the session's end (or the
    draft's creation). A member part inside a draft group note is counted with its group note."""
    return (
        Note.objects.filter(status=NoteStatus.DRAFT)
        .exclude(group_note__status=NoteStatus.DRAFT)
        .annotate(due_from=Coalesce("session__ends_at", "created_at"))
        .filter(due_from__lt=unsigned_cutoff(now))
    )


def overdue_group_notes(now: dt.datetime | None = None):
    return GroupNote.objects.filter(status=NoteStatus.DRAFT, session__ends_at__lt=unsigned_cutoff(now))


def flag_unsigned_notes(*, now: dt.datetime | None = None, actor=None) -> int:
    """Put one "note not signed" task on the author's list per overdue draft (and per overdue
    draft group note), once; close those tasks for notes signed or voided since. Returns how
    many tasks were created. Run by `openiop notes remind` (hourly from a timer)."""
    created = 0
    hours = getattr(settings, "OPENIOP_UNSIGNED_NOTE_HOURS", 24)
    for note in overdue_notes(now).select_related("author", "patient"):
        created += _task_once(actor, note.author, kind=TaskKind.UNSIGNED_NOTE, patient=note.patient,
                              topic=f"notes:unsigned:{note.pk}",
                              title=f"Sign the {note.get_kind_display().lower()} note",
                              detail=f"Still a draft more than {hours} hours after the session.")
    for group_note in overdue_group_notes(now).select_related("author", "session"):
        when = timezone.localtime(group_note.session.starts_at)
        created += _task_once(actor, group_note.author, kind=TaskKind.UNSIGNED_NOTE, patient=None,
                              topic=f"notes:unsigned-group:{group_note.pk}",
                              title=f"Sign the group note of {when:%a %d %b %H:%M}",
                              detail=f"Still a draft more than {hours} hours after the session.")
    _close_settled_tasks(actor)
    return created


def _close_settled_tasks(actor) -> None:
    open_tasks = list(Task.objects.open().filter(
        kind__in=(TaskKind.UNSIGNED_NOTE, TaskKind.COSIGN), topic__startswith="notes:"))
    if not open_tasks:
        return
    note_ids, group_ids = set(), set()
    for task in open_tasks:
        kind, pk = task.topic.split(":")[1], int(task.topic.rsplit(":", 1)[1])
        (group_ids if kind.endswith("-group") else note_ids).add(pk)
    drafts = set(Note.objects.filter(pk__in=note_ids, status=NoteStatus.DRAFT).values_list("pk", flat=True))
    group_drafts = set(GroupNote.objects.filter(pk__in=group_ids, status=NoteStatus.DRAFT).values_list("pk", flat=True))
    awaiting = set(Note.objects.filter(pk__in=note_ids, status=NoteStatus.SIGNED, cosign_required=True)
                   .exclude(signatures__role=SignatureRole.SUPERVISOR).values_list("pk", flat=True))
    group_awaiting = set(Note.objects.filter(group_note_id__in=group_ids, status=NoteStatus.SIGNED,
                                             cosign_required=True)
                         .exclude(signatures__role=SignatureRole.SUPERVISOR).values_list("group_note_id", flat=True))
    now = timezone.now()
    for task in open_tasks:
        kind, pk = task.topic.split(":")[1], int(task.topic.rsplit(":", 1)[1])
        still_open = {
            "unsigned": pk in drafts, "unsigned-group": pk in group_drafts,
            "cosign": pk in awaiting, "cosign-group": pk in group_awaiting,
        }.get(kind, True)
        if not still_open:
            Task.objects.filter(pk=task.pk).update(done_at=now, done_by=actor, resolution="Done since.")


def _task_once(actor, assignee, *, kind, patient, topic, title, detail) -> int:
    if assignee is None or Task.objects.open().filter(topic=topic, assignee=assignee).exists():
        return 0
    create_task(actor=actor, assignee=assignee, kind=kind, patient=patient, title=title, detail=detail,
                due_on=timezone.localdate() + dt.timedelta(days=COSIGN_DUE_DAYS if kind == TaskKind.COSIGN else 0),
                topic=topic)
    return 1


def _close_tasks(topic, actor, resolution) -> None:
    Task.objects.open().filter(topic=topic).update(done_at=timezone.now(), done_by=actor, resolution=resolution)
