"""Writes of attendance: one roster row at a time, a whole roster at once, and the outreach call
after an unexcused absence.

Attendance is not a signed note, so it may be corrected; every correction is audited with what
it was before and after. Minutes are set here only (rules.overlap_minutes), never typed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openiop.attendance import rules
from openiop.attendance.models import (
    OUTCOME_CORRECTED,
    Attendance,
    AttendanceStatus,
    OutreachOutcome,
)
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import CareTeamMember, CareTeamRole
from openiop.scheduling.models import Attendee, Session
from openiop.worklist import services as worklist
from openiop.worklist.models import Task, TaskKind

AUDITED_FIELDS = ("status", "by_telehealth", "checked_in_at", "checked_out_at", "minutes", "absence_reason")


def outreach_topic(attendance) -> str:
    return f"attendance:outreach:{attendance.pk}"


def absences_topic(episode) -> str:
    return f"attendance:absences:{episode.pk}"


class RosterError(ValidationError):
    """A roster that was not saved (nothing of it was): `rows` is {attendee id: {field: [messages]}}."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]):
        self.rows = rows
        super().__init__({f"{pk}.{field}": messages for pk, fields in rows.items()
                          for field, messages in fields.items()})


@dataclass
class _Prepared:
    attendee: Attendee
    status: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    minutes: int
    by_telehealth: bool
    absence_reason: str


@transaction.atomic
def record_attendance(*, actor, attendee, status, checked_in_at=None, checked_out_at=None,
                      by_telehealth=False, absence_reason="") -> Attendance:
    """Record (or correct) whether the patient on roster row `attendee` came, and when.

    Defaults: present with no times is the whole session; late needs the check-in (check-out
    defaults to the end); left early needs the check-out (check-in defaults to the start); an
    absence has no times and 0 minutes, and an excused one needs its reason. Only an excused
    absence may be recorded before the session starts (the patient called ahead); nothing is
    recorded for a cancelled session. Errors name the field (ValidationError).

    Side effects: a `create` audit event, or a `change` event with the values before and after;
    an unexcused absence puts an outreach task (call the patient today) on the primary
    clinician's list (else the session's staff), and the OPENIOP_REPEATED_ABSENCES-th within
    OPENIOP_REPEATED_ABSENCES_DAYS days a "repeated absences" task (one open at a time);
    correcting an unexcused absence to anything else closes its open outreach task.
    """
    entry = {"attendee": attendee, "status": status, "checked_in_at": checked_in_at,
             "checked_out_at": checked_out_at, "by_telehealth": by_telehealth, "absence_reason": absence_reason}
    try:
        (saved,) = _record(actor=actor, session=attendee.session, entries=[entry])
    except RosterError as error:
        raise ValidationError(error.rows[attendee.pk]) from None
    return saved


@transaction.atomic
def take_roster(*, actor, session, entries) -> list[Attendance]:
    """Record a whole roster in one transaction (the roster screen's Save).

    `entries`: dicts with `attendee` (a roster row of `session`) and the keyword arguments of
    `record_attendance`. Either every row is saved or none is: RosterError says which rows and
    fields were wrong. Rows whose values did not change are left alone (no audit event).
    Side effects: those of `record_attendance`, for each row.
    """
    return _record(actor=actor, session=session, entries=entries)


def _record(*, actor, session, entries) -> list[Attendance]:
    # One roster saved at a time per session: two devices saving the same new roster together
    # would otherwise both create its rows and the second would fail on the one-row rule.
    Session.objects.select_for_update().filter(pk=session.pk).first()
    now = timezone.now()
    existing = {a.attendee_id: a for a in Attendance.objects.filter(
        attendee_id__in=[e["attendee"].pk for e in entries])}
    prepared, errors = [], {}
    for entry in entries:
        try:
            prepared.append(_prepare(session, entry, now))
        except ValidationError as error:
            errors[entry["attendee"].pk] = error.message_dict
    if errors:
        raise RosterError(errors)

    created, saved, became_unexcused, stopped_unexcused = [], [], [], []
    for item in prepared:
        row = existing.get(item.attendee.pk)
        if row is None:
            row = Attendance(attendee=item.attendee, session=session, patient=item.attendee.patient,
                             episode=item.attendee.episode, recorded_by=actor, updated_by=actor)
            row.label_for_program(item.attendee.episode.program)
            _assign(row, item)
            created.append(row)
            if row.status == AttendanceStatus.ABSENT_UNEXCUSED:
                became_unexcused.append(row)
        else:
            before = _values(row)
            _assign(row, item)
            after = _values(row)
            if before != after:
                row.updated_by = actor
                row.save()
                audit.record(user=actor, action=Action.CHANGE, patient=row.patient, obj=row,
                             detail={"before": before, "after": after})
                if after["status"] == AttendanceStatus.ABSENT_UNEXCUSED != before["status"]:
                    became_unexcused.append(row)
                elif before["status"] == AttendanceStatus.ABSENT_UNEXCUSED != after["status"]:
                    stopped_unexcused.append(row)
        saved.append(row)
    if created:
        Attendance.objects.bulk_create(created)
        audit.record_many_records(user=actor, action=Action.CREATE, records=created,
                                  detail={"session": session.pk, "page": "attendance"})
    for row in stopped_unexcused:
        _close_outreach(actor=actor, attendance=row)
    if became_unexcused:
        _start_outreach(actor=actor, session=session, rows=became_unexcused, now=now)
    return saved


def _prepare(session, entry, now) -> _Prepared:
    attendee = entry["attendee"]
    status = entry.get("status") or ""
    if attendee.session_id != session.pk:
        raise ValidationError({"status": "This patient is not on this session's roster."})
    if status not in AttendanceStatus.values:
        raise ValidationError({"status": "Choose present, late, left early, or absent (excused or not)."})
    if session.is_cancelled:
        raise ValidationError({"status": "This session was cancelled: there is no attendance to take."})
    if session.starts_at > now and status != AttendanceStatus.ABSENT_EXCUSED:
        raise ValidationError({"status": "This session has not started yet: only an excused absence "
                                         "(the patient called ahead) can be recorded before it starts."})
    reason = (entry.get("absence_reason") or "").strip()
    errors = {}
    if status == AttendanceStatus.ABSENT_EXCUSED and not reason:
        errors["absence_reason"] = "Say why the absence is excused (e.g. called in sick)."
    if len(reason) > 200:
        errors["absence_reason"] = "Keep the reason under 200 characters."
    checked_in_at, checked_out_at, minutes, time_errors = rules.resolve_times(
        status, entry.get("checked_in_at"), entry.get("checked_out_at"), session.starts_at, session.ends_at,
        now=now)
    errors = {**time_errors, **errors}
    if errors:
        raise ValidationError(errors)
    attended = status not in (AttendanceStatus.ABSENT_EXCUSED, AttendanceStatus.ABSENT_UNEXCUSED)
    return _Prepared(attendee=attendee, status=status, checked_in_at=checked_in_at, checked_out_at=checked_out_at,
                     minutes=minutes, by_telehealth=bool(entry.get("by_telehealth")) and attended,
                     absence_reason="" if attended else reason)


def _assign(row, item: _Prepared) -> None:
    row.status = item.status
    row.checked_in_at = item.checked_in_at
    row.checked_out_at = item.checked_out_at
    row.minutes = item.minutes
    row.by_telehealth = item.by_telehealth
    row.absence_reason = item.absence_reason


def _values(row) -> dict:
    values = {}
    for name in AUDITED_FIELDS:
        value = getattr(row, name)
        values[name] = rules.utc(value).isoformat() if isinstance(value, dt.datetime) else value
    return values


# Tasks after absences ------------------------------------------------------------------------------


def _primary_clinicians(episode_ids) -> dict[int, object]:
    found = {}
    for member in (CareTeamMember.objects.filter(episode_id__in=episode_ids, role=CareTeamRole.PRIMARY_CLINICIAN,
                                                 end_date__isnull=True, user__is_active=True)
                   .select_related("user").order_by("start_date", "id")):
        found.setdefault(member.episode_id, member.user)
    return found


def _session_staff(session) -> list:
    return sorted(session.staff.all(), key=lambda user: (user.last_name, user.first_name, user.pk))


def _start_outreach(*, actor, session, rows, now) -> None:
    primary = _primary_clinicians({row.episode_id for row in rows})
    staff = _session_staff(session)
    fallback = staff[0] if staff else (actor if getattr(actor, "is_authenticated", False) else None)
    today = timezone.localdate(now)
    local_start = timezone.localtime(session.starts_at)
    open_topics = set(Task.objects.open().filter(
        topic__in=[outreach_topic(row) for row in rows] + [absences_topic(row.episode) for row in rows],
    ).values_list("topic", flat=True))
    window = dt.timedelta(days=settings.OPENIOP_REPEATED_ABSENCES_DAYS)
    for row in rows:
        assignee = primary.get(row.episode_id) or fallback
        if assignee is None:
            continue
        patient = row.patient
        if outreach_topic(row) not in open_topics:
            worklist.create_task(
                actor=actor, assignee=assignee, kind=TaskKind.OUTREACH, patient=patient, due_on=today,
                title=f"Call {patient.display_name}: missed {session.title} on {local_start:%a %d %b}",
                detail=(f"Not at {session.title}, {local_start:%A %d %B %H:%M}, without notice. Call today, "
                        "check they are safe, and record what came of the call."),
                topic=outreach_topic(row),
            )
        recent = Attendance.objects.filter(
            episode_id=row.episode_id, status=AttendanceStatus.ABSENT_UNEXCUSED,
            session__starts_at__gt=session.starts_at - window, session__starts_at__lte=session.starts_at,
        ).count()
        topic = absences_topic(row.episode)
        if recent >= settings.OPENIOP_REPEATED_ABSENCES and topic not in open_topics:
            open_topics.add(topic)
            worklist.create_task(
                actor=actor, assignee=primary.get(row.episode_id) or fallback, kind=TaskKind.ABSENCES,
                patient=patient, due_on=today + dt.timedelta(days=1),
                title=f"{patient.display_name} missed {recent} sessions without notice in "
                      f"{settings.OPENIOP_REPEATED_ABSENCES_DAYS} days",
                detail="Review engagement and the treatment plan with the patient; consider the schedule, barriers "
                       "to coming, and whether the level of care still fits.",
                topic=topic,
            )


def _close_outreach(*, actor, attendance) -> None:
    for task in Task.objects.open().filter(topic=outreach_topic(attendance), kind=TaskKind.OUTREACH):
        worklist.complete_task(
            actor=actor, task=task,
            resolution=f"Attendance corrected to {attendance.get_status_display().lower()}: no call needed.")
        task.outcome = OUTCOME_CORRECTED
        task.save(update_fields=["outcome"])


@transaction.atomic
def record_outreach(*, actor, task, outcome, note="") -> Task:
    """Record what came of the call after an unexcused absence and complete the outreach task.

    `outcome`: one of OutreachOutcome (stored in Task.outcome); `note` becomes the resolution
    after the outcome's wording. Errors name the field (ValidationError).
    Side effects: the task is completed (worklist.complete_task: a `change` audit event).
    """
    if task.kind != TaskKind.OUTREACH:
        raise ValidationError({"outcome": "This task is not an outreach call."})
    if task.done_at is not None:
        raise ValidationError({"outcome": "This call has already been recorded."})
    if outcome not in OutreachOutcome.values:
        raise ValidationError({"outcome": "Choose what came of the call."})
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2,000 characters."})
    label = OutreachOutcome(outcome).label
    worklist.complete_task(actor=actor, task=task, resolution=f"{label}. {note}".strip() if note else f"{label}.")
    task.outcome = outcome
    task.save(update_fields=["outcome"])
    return task
