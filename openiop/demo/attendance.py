"""The demo clinic's attendance: every session of the past eight weeks (and of today, once over)
that has a roster, taken through the attendance service as staff would have taken it, with
plausible rates: most present, some late or gone early (partial minutes), video attendance
where the session is on video, a few excused and unexcused absences. Outreach calls after the
older unexcused absences have their outcome recorded; this week's are still open.

Deterministic from `ctx.rng` (sessions and rows are taken in id order). The service's bulk path
(`take_roster`, one transaction per session) keeps this to a few queries per session.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from openiop.attendance import services
from openiop.attendance.models import Attendance, OutreachOutcome
from openiop.scheduling.models import Attendee, Session, SessionStatus
from openiop.scheduling.rules import week_of
from openiop.worklist import services as worklist
from openiop.worklist.models import Task, TaskKind

WEEKS = 8
# Shares of roster rows (the rest present for the whole session).
UNEXCUSED, EXCUSED, LATE, LEFT_EARLY, LATE_AND_EARLY = 0.035, 0.05, 0.08, 0.05, 0.015
EXCUSE_REASONS = ("Called in sick", "Court date, called ahead", "Child care fell through, called ahead",
                  "Medical appointment", "Work shift changed, called ahead", "Family emergency")
OUTCOMES = ((OutreachOutcome.REACHED, 55), (OutreachOutcome.LEFT_MESSAGE, 25), (OutreachOutcome.NO_ANSWER, 12),
            (OutreachOutcome.WRONG_NUMBER, 3), (OutreachOutcome.PATIENT_DECLINED, 5))
OUTREACH_NOTES = {
    OutreachOutcome.REACHED: ("Overslept, coming next session", "Felt unwell, no safety concerns, back Thursday",
                              "Transport fell through; gave bus pass information", "Work ran late; will call ahead next time"),
    OutreachOutcome.LEFT_MESSAGE: ("Asked to call back", "Left message with callback number"),
    OutreachOutcome.NO_ANSWER: ("Will try again tomorrow",),
    OutreachOutcome.WRONG_NUMBER: ("Number disconnected; asked front desk to update contact details",),
    OutreachOutcome.PATIENT_DECLINED: ("Said they would talk at the next session",),
}


def build_attendance(ctx) -> None:
    now = timezone.now()
    this_week = week_of(ctx.today)
    start = timezone.make_aware(dt.datetime.combine(this_week - dt.timedelta(weeks=WEEKS), dt.time()))
    sessions = (
        Session.objects.filter(program__organization=ctx.organization, starts_at__gte=start, ends_at__lte=now)
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("group_type")
        .prefetch_related("staff", Prefetch("attendees", queryset=Attendee.objects.select_related(
            "patient", "episode__program").order_by("pk")))
        .order_by("starts_at", "pk")
    )
    taken = 0
    for session in sessions:
        rows = list(session.attendees.all())
        if not rows:
            continue
        staff = sorted(session.staff.all(), key=lambda user: user.pk)
        actor = staff[0] if staff else ctx.staff["director"]
        entries = [_entry(ctx, session, row) for row in rows]
        missed = any(entry["status"] == "absent_unexcused" for entry in entries)
        last_task = (Task.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) if missed else 0
        services.take_roster(actor=actor, session=session, entries=entries)
        if missed:
            # A review of repeated absences is raised the evening of the absence that makes it.
            Task.objects.filter(pk__gt=last_task, kind=TaskKind.ABSENCES).update(
                created_at=session.ends_at, due_on=timezone.localdate(session.ends_at) + dt.timedelta(days=1))
        taken += len(rows)
    _backdate_records(start)
    _call_after_absences(ctx, this_week)
    ctx.report(f"Building demo clinic: attendance of {taken} roster rows over {WEEKS} weeks")


def _entry(ctx, session, row) -> dict:
    rng = ctx.rng
    entry = {"attendee": row, "status": "present", "by_telehealth": session.telehealth}
    draw = rng.random()
    length = max(1, int((session.ends_at - session.starts_at).total_seconds() // 60))
    late_by = dt.timedelta(minutes=rng.randint(5, max(5, min(40, length // 3))))
    early_by = dt.timedelta(minutes=rng.randint(10, max(10, min(60, length // 3))))
    if draw < UNEXCUSED:
        return {"attendee": row, "status": "absent_unexcused"}
    draw -= UNEXCUSED
    if draw < EXCUSED:
        return {"attendee": row, "status": "absent_excused", "absence_reason": rng.choice(EXCUSE_REASONS)}
    draw -= EXCUSED
    if draw < LATE:
        entry.update(status="late", checked_in_at=session.starts_at + late_by)
    elif draw < LATE + LEFT_EARLY:
        entry.update(status="left_early", checked_out_at=session.ends_at - early_by)
    elif draw < LATE + LEFT_EARLY + LATE_AND_EARLY and length >= 60:
        entry.update(status="late", checked_in_at=session.starts_at + late_by, checked_out_at=session.ends_at - early_by)
    return entry


def _backdate_records(start) -> None:
    """Attendance taken at the end of each session, as it would have been (one query)."""
    ends = Session.objects.filter(pk=OuterRef("session_id")).values("ends_at")[:1]
    Attendance.objects.filter(session__starts_at__gte=start).update(recorded_at=Subquery(ends), updated_at=Subquery(ends))


def _call_after_absences(ctx, this_week) -> None:
    """Outreach calls before this week are done (with an outcome, the day of the absence);
    this week's stay open, as do recent repeated-absence reviews."""
    options, weights = zip(*OUTCOMES, strict=True)
    attendance = {f"attendance:outreach:{a.pk}": a for a in Attendance.objects.filter(status="absent_unexcused")
                  .select_related("session")}
    for task in Task.objects.open().filter(kind=TaskKind.OUTREACH).select_related("patient", "assignee").order_by("pk"):
        absence = attendance.get(task.topic)
        if absence is None:
            continue
        day = timezone.localdate(absence.session.starts_at)
        called = absence.session.ends_at + dt.timedelta(hours=ctx.rng.randint(1, 20))
        Task.objects.filter(pk=task.pk).update(created_at=absence.session.ends_at, due_on=day)
        if day >= this_week:
            continue
        outcome = ctx.rng.choices(options, weights=weights)[0]
        services.record_outreach(actor=task.assignee, task=task, outcome=outcome,
                                 note=ctx.rng.choice(OUTREACH_NOTES[outcome]))
        Task.objects.filter(pk=task.pk).update(done_at=called)
    for task in Task.objects.open().filter(kind=TaskKind.ABSENCES).select_related("assignee").order_by("pk"):
        if task.created_at.date() < this_week - dt.timedelta(weeks=2) or ctx.rng.random() < 0.5:
            worklist.complete_task(actor=task.assignee, task=task,
                                   resolution="Met with the patient about attendance; schedule adjusted around work.")
