"""Writes to the calendar. Every screen, command and the solver glue go through these functions.

Each function says what else it writes (audit events). Hand edits are checked for conflicts
(`conflicts.py`) before anything is saved.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import EpisodeOfCare, EpisodeStatus
from openiop.scheduling.conflicts import Conflict, ScheduleConflict, blocking, conflicts_for, when
from openiop.scheduling.models import (
    Attendee,
    GroupSeries,
    SeriesMembership,
    Session,
    SessionKind,
    SessionSource,
    SessionStatus,
)
from openiop.scheduling.rules import local_moment, module_for, plus_minutes


@transaction.atomic
def ensure_series_session(series: GroupSeries, day: dt.date, *, source: str = SessionSource.SOLVER, by=None) -> Session:
    """The series' session on `day`, created when missing (with the series' room, facilitator
    and the next curriculum module in the rotation). Raises ValueError when the series does not
    meet that day."""
    if not series.runs_on(day):
        raise ValueError(f"{series} does not meet on {day:%A %d %B %Y}.")
    starts_at = local_moment(day, series.start)
    session = Session.objects.filter(series=series, starts_at=starts_at).first()
    if session is not None:
        return session
    earlier = Session.objects.filter(series=series, starts_at__lt=starts_at).exclude(status=SessionStatus.CANCELLED).count()
    session = Session.objects.create(
        program=series.program, kind=SessionKind.GROUP, series=series, group_type=series.group_type,
        module=module_for(series, earlier), starts_at=starts_at, ends_at=plus_minutes(starts_at, series.minutes),
        room=None if series.telehealth else series.room, telehealth=series.telehealth, video_link=series.video_link,
        source=source, created_by=by,
    )
    if series.facilitator_id:
        session.staff.add(series.facilitator_id)
    return session


# Hand edits -----------------------------------------------------------------------------------------
#
# Each edit changes only what has not started yet: a session that has started (or a past one) keeps
# its time, staff and roster as they were. Each checks `conflicts.conflicts_for` first and raises
# ScheduleConflict, saving nothing, when something stands in the way. "The patient said they are not
# free then" is a warning: pass `patient_agreed=True` to book anyway (the audit event keeps the
# warnings overridden).


def _refuse(*messages):
    raise ScheduleConflict(list(messages))


def _check(conflicts, *, patient_agreed: bool) -> list[str]:
    """Raise for what blocks the edit; return the warnings overridden (for the audit trail)."""
    found = blocking(conflicts, patient_agreed=patient_agreed)
    if found:
        raise ScheduleConflict(found)
    return [str(c) for c in conflicts if c.warning]


def _active_episodes(patients, program) -> dict:
    """The active episode of each patient in `program`; raise naming those not admitted to it."""
    found = {}
    for episode in (EpisodeOfCare.objects.filter(patient__in=[p.pk for p in patients], program=program,
                                                 status=EpisodeStatus.ACTIVE).order_by("-admitted_on", "-pk")):
        found.setdefault(episode.patient_id, episode)
    missing = [p for p in patients if p.pk not in found]
    if missing:
        _refuse(*(f"{p.display_name} is not admitted to {program.name}." for p in missing))
    return found


def _not_started(session, what: str) -> None:
    if session.is_cancelled:
        _refuse(f"This session was cancelled ({session.cancel_reason}); {what}")
    if session.starts_at <= timezone.now():
        _refuse(f"This session has already started; {what}")


def _place_checks(*, program, kind, starts_at, minutes, staff, room, telehealth, group_type) -> None:
    problems = []
    if minutes is None or minutes <= 0:
        problems.append("A session lasts at least one minute.")
    if starts_at <= timezone.now():
        problems.append("The start time has passed; choose a later time.")
    if not staff:
        problems.append("Choose at least one staff member.")
    if kind == SessionKind.GROUP and group_type is None:
        problems.append("Choose the group type.")
    if group_type is not None and group_type.organization_id != program.organization_id:
        problems.append(f"{group_type.name} is not a group type of this organization.")
    if room is None and not telehealth:
        problems.append("Choose a room, or mark the session as telehealth.")
    if room is not None and room.site_id != program.site_id:
        problems.append(f"{room.name} is not at {program.name}'s site.")
    if problems:
        raise ScheduleConflict(problems)


def _record(by, action, patients, *, obj, detail) -> None:
    for patient in patients:
        audit.record(user=by, action=action, patient=patient, obj=obj, detail=detail)


@transaction.atomic
def book_session(*, program, kind: str, starts_at: dt.datetime, minutes: int, staff, patients, room=None,
                 telehealth: bool = False, video_link: str = "", group_type=None, module=None, by,
                 patient_agreed: bool = False) -> Session:
    """Place a session by hand: a one-to-one visit (one patient) or a group session outside a
    series. It is `fixed` (the weekly solver keeps it) and its source is "hand".

    Raises ScheduleConflict (nothing saved) for a conflict, a patient not admitted to `program`,
    a start time that has passed, or missing staff, room or group type.
    Side effects: the Session and its staff, one Attendee per patient (labelled for the
    program), one `create` audit event per patient.
    """
    staff, patients = list(staff), list(patients)
    if telehealth:
        room = None
    _place_checks(program=program, kind=kind, starts_at=starts_at, minutes=minutes, staff=staff, room=room,
                  telehealth=telehealth, group_type=group_type)
    if kind != SessionKind.GROUP and len(patients) != 1:
        _refuse(f"A {SessionKind(kind).label.lower()} session has one patient; choose one.")
    if kind != SessionKind.GROUP:
        group_type = module = None
    episodes = _active_episodes(patients, program)
    ends_at = plus_minutes(starts_at, minutes)
    overridden = _check(conflicts_for(
        starts_at=starts_at, ends_at=ends_at, room=room, staff=staff, patients=patients, kind=kind,
        group_type=group_type, user=by), patient_agreed=patient_agreed)
    session = Session.objects.create(
        program=program, kind=kind, group_type=group_type, module=module, starts_at=starts_at, ends_at=ends_at,
        room=room, telehealth=telehealth, video_link=video_link if telehealth else "",
        source=SessionSource.HAND, fixed=True, created_by=by,
    )
    session.staff.set(staff)
    for patient in patients:
        row = Attendee(session=session, patient=patient, episode=episodes[patient.pk])
        row.label_for_program(program)
        row.save()
    _record(by, Action.CREATE, patients, obj=session, detail={
        "scheduling": "booked", "session": session.pk, "kind": kind, "starts_at": starts_at.isoformat(),
        **({"patient_agreed": overridden} if overridden else {})})
    return session


@transaction.atomic
def move_session(session: Session, *, starts_at: dt.datetime, minutes: int, room, staff, by,
                 telehealth: bool | None = None, video_link: str | None = None,
                 patient_agreed: bool = False) -> Session:
    """Change a session's time, length, room (or telehealth) and staff. Its roster stays. The
    session becomes `fixed`: the weekly solver keeps it where it was put.

    Raises ScheduleConflict (nothing saved) for a conflict, a cancelled or started session, or
    a new time that has passed. Side effects: one `change` audit event per patient on the roster.
    """
    _not_started(session, "it can no longer be moved.")
    staff = list(staff)
    telehealth = session.telehealth if telehealth is None else telehealth
    if telehealth:
        room = None
    _place_checks(program=session.program, kind=session.kind, starts_at=starts_at, minutes=minutes, staff=staff,
                  room=room, telehealth=telehealth, group_type=session.group_type)
    if session.series_id and Session.objects.filter(series_id=session.series_id, starts_at=starts_at).exclude(
            pk=session.pk).exists():
        _refuse("Another session of this series (perhaps a cancelled one) starts at that time; choose another.")
    patients = [row.patient for row in session.attendees.select_related("patient")]
    ends_at = plus_minutes(starts_at, minutes)
    overridden = _check(conflicts_for(
        starts_at=starts_at, ends_at=ends_at, room=room, staff=staff, patients=patients, kind=session.kind,
        group_type=session.group_type, exclude_session=session, user=by), patient_agreed=patient_agreed)
    before = {"starts_at": session.starts_at.isoformat(), "minutes": session.minutes, "room": session.room_id}
    session.starts_at, session.ends_at, session.room, session.telehealth = starts_at, ends_at, room, telehealth
    if video_link is not None or not telehealth:
        session.video_link = (video_link or "") if telehealth else ""
    session.fixed = True
    session.save(update_fields=["starts_at", "ends_at", "room", "telehealth", "video_link", "fixed"])
    session.staff.set(staff)
    _record(by, Action.CHANGE, patients, obj=session, detail={
        "scheduling": "moved", "session": session.pk, "from": before,
        "to": {"starts_at": starts_at.isoformat(), "minutes": minutes, "room": session.room_id},
        **({"patient_agreed": overridden} if overridden else {})})
    return session


@transaction.atomic
def cancel_session(session: Session, *, reason: str, by) -> Session:
    """Cancel a session that has not started. It is never deleted: it stays on the calendar as
    cancelled, with its reason and its roster.

    Raises ScheduleConflict without a reason, or for a session already cancelled or started.
    Side effects: one `change` audit event per patient on the roster.
    """
    reason = (reason or "").strip()
    if not reason:
        _refuse("Give a reason for cancelling.")
    _not_started(session, "it can no longer be cancelled.")
    session.status, session.cancel_reason = SessionStatus.CANCELLED, reason[:200]
    session.save(update_fields=["status", "cancel_reason"])
    patients = [row.patient for row in session.attendees.select_related("patient")]
    _record(by, Action.CHANGE, patients, obj=session,
            detail={"scheduling": "cancelled", "session": session.pk, "reason": session.cancel_reason})
    return session


@transaction.atomic
def add_attendee(session: Session, patient, *, by, patient_agreed: bool = False) -> Attendee:
    """Put a patient on a session that has not started. In a series session the row is linked
    to the patient's membership when they have one that day.

    Raises ScheduleConflict for a conflict (the patient's other bookings, the room's seats, the
    group's size, their free times), a patient not admitted to the session's program, or a
    session cancelled or started. Side effects: the Attendee row, one `create` audit event.
    """
    _not_started(session, "its roster can no longer change.")
    roster = list(session.attendees.values_list("patient_id", flat=True))
    if patient.pk in roster:
        _refuse(f"{patient.display_name} is already on this session.")
    if session.kind != SessionKind.GROUP and roster:
        _refuse(f"A {session.get_kind_display().lower()} session has one patient.")
    episode = _active_episodes([patient], session.program)[patient.pk]
    overridden = _check(conflicts_for(
        starts_at=session.starts_at, ends_at=session.ends_at, room=session.room, staff=list(session.staff.all()),
        patients=[patient], kind=session.kind, group_type=session.group_type, exclude_session=session, user=by,
        seated_patients=len(roster), recheck_staff_and_room=False), patient_agreed=patient_agreed)
    membership = None
    if session.series_id:
        day = timezone.localdate(session.starts_at)
        membership = next((m for m in SeriesMembership.objects.filter(series_id=session.series_id, patient=patient)
                           if m.covers(day)), None)
    row = Attendee(session=session, patient=patient, episode=episode, membership=membership,
                       placed_by_hand=True)
    row.label_for_program(session.program)
    row.save()
    audit.record(user=by, action=Action.CREATE, patient=patient, obj=row, detail={
        "scheduling": "added to session", "session": session.pk,
        **({"patient_agreed": overridden} if overridden else {})})
    return row


@transaction.atomic
def remove_attendee(session: Session, patient, *, by, reason: str = "") -> None:
    """Take a patient off a session that has not started (the rows of sessions that have
    started are kept as they are). A series membership is not changed (leave_series does that).

    Raises ScheduleConflict for a session started or cancelled, or a patient not on it.
    Side effects: the Attendee row is deleted, one `change` audit event.
    """
    _not_started(session, "its roster is kept as it is.")
    row = Attendee.objects.filter(session=session, patient=patient).select_related("attendance").first()
    if row is None:
        _refuse(f"{patient.display_name} is not on this session.")
    if hasattr(row, "attendance"):
        _refuse(f"{patient.display_name}'s attendance is already recorded for this session "
                f"({row.attendance.get_status_display().lower()}): correct the attendance instead.")
    row.delete()
    audit.record(user=by, action=Action.CHANGE, patient=patient, obj=session, detail={
        "scheduling": "removed from session", "session": session.pk, "reason": (reason or "").strip()})


def _series_conflicts(patient, series, sessions, *, on, by) -> list:
    """The patient's conflicts with each coming session of the series, each message starting
    with the session's date; with no session on the calendar yet, with the series' next meeting."""
    found = []
    for session in sessions:
        for conflict in conflicts_for(
                starts_at=session.starts_at, ends_at=session.ends_at, room=session.room, staff=list(session.staff.all()),
                patients=[patient], kind=SessionKind.GROUP, group_type=session.group_type, exclude_session=session,
                user=by, seated_patients=session.roster_size, recheck_staff_and_room=False):
            found.append(Conflict(f"{when(session)}: {conflict}", warning=conflict.warning))
    if not sessions:
        day = next((on + dt.timedelta(days=n) for n in range(7) if series.runs_on(on + dt.timedelta(days=n))), None)
        if day is not None:
            starts_at = local_moment(day, series.start)
            for conflict in conflicts_for(
                    starts_at=starts_at, ends_at=plus_minutes(starts_at, series.minutes), room=None, staff=[],
                    patients=[patient], kind=SessionKind.GROUP, group_type=series.group_type, user=by,
                    recheck_staff_and_room=False):
                found.append(Conflict(f"{day:%a} {day.day} {day:%b} {series.start:%H:%M}: {conflict}",
                                      warning=conflict.warning))
    return found


@transaction.atomic
def join_series(patient, series: GroupSeries, *, on: dt.date, by, patient_agreed: bool = False) -> SeriesMembership:
    """Rolling admission: the patient joins a group series from `on` (today or later).

    Writes one SeriesMembership and adds the patient to the series' sessions from `on` that
    are on the calendar and have not started; when the series meets on `on` itself (later that
    day), that session is made first (ensure_series_session). Nothing else changes: other
    members' rows, past sessions and sessions of other series are never touched.

    Raises ScheduleConflict (nothing saved) for a date in the past or after the series ends, a
    membership already covering that time, a patient not admitted to the series' program, or a
    conflict in any of those sessions. Side effects: the membership, the Attendee rows, one
    `create` audit event.
    """
    today = timezone.localdate()
    if on < today:
        _refuse("Choose today or a later date to join.")
    if series.ends_on is not None and on > series.ends_on:
        _refuse(f"{series.name} ended on {series.ends_on:%Y-%m-%d}.")
    current = next((m for m in SeriesMembership.objects.filter(series=series, patient=patient)
                    if m.left_on is None or m.left_on >= on), None)
    if current is not None:
        _refuse(f"{patient.display_name} is already in {series.name} (since {current.joined_on:%Y-%m-%d}).")
    episode = _active_episodes([patient], series.program)[patient.pk]
    now = timezone.now()
    that_day = Session.objects.filter(series=series, starts_at__gte=local_moment(on, dt.time()),
                                      starts_at__lt=local_moment(on + dt.timedelta(days=1), dt.time()))
    # Only when the day has no session of the series at all: one moved to another hour (or
    # cancelled) that day is that day's session, not a reason to make a second one.
    if series.runs_on(on) and local_moment(on, series.start) > now and not that_day.exists():
        ensure_series_session(series, on, source=SessionSource.HAND, by=by)
    sessions = list(
        Session.objects.filter(series=series, starts_at__gte=local_moment(on, dt.time()), starts_at__gt=now)
        .exclude(status=SessionStatus.CANCELLED).exclude(attendees__patient=patient)
        .select_related("room", "group_type").prefetch_related("staff")
        .annotate(roster_size=Count("attendees", distinct=True)).order_by("starts_at")
    )
    overridden = _check(_series_conflicts(patient, series, sessions, on=on, by=by), patient_agreed=patient_agreed)
    membership = SeriesMembership(series=series, patient=patient, episode=episode, joined_on=on, added_by=by)
    membership.label_for_program(series.program)
    membership.save()
    rows = []
    for session in sessions:
        row = Attendee(session=session, patient=patient, episode=episode, membership=membership,
                       placed_by_hand=True)
        row.label_for_program(series.program)
        rows.append(row)
    Attendee.objects.bulk_create(rows)
    audit.record(user=by, action=Action.CREATE, patient=patient, obj=membership, detail={
        "scheduling": "joined series", "series": series.pk, "joined_on": on.isoformat(),
        "sessions": [s.pk for s in sessions], **({"patient_agreed": overridden} if overridden else {})})
    return membership


@transaction.atomic
def leave_series(membership: SeriesMembership, *, on: dt.date, reason: str, by) -> SeriesMembership:
    """The patient leaves a group series after `on` (their last day in it; `left_on` is
    inclusive). Their rows in the series' sessions after that day that have not started are
    removed; past sessions, sessions that have started and other members' rows are never touched.

    Raises ScheduleConflict without a reason, for a membership that has already ended, or a day
    before the patient joined. Side effects: the membership's `left_on` and `left_reason`, the
    Attendee rows removed, one `change` audit event.
    """
    reason = (reason or "").strip()
    if not reason:
        _refuse("Give a reason for leaving the series.")
    if membership.left_on is not None:
        _refuse(f"{membership.patient.display_name} already left {membership.series.name} "
                f"on {membership.left_on:%Y-%m-%d}.")
    if on < membership.joined_on:
        _refuse(f"{membership.patient.display_name} joined on {membership.joined_on:%Y-%m-%d}; "
                "choose that day or later.")
    membership.left_on, membership.left_reason = on, reason[:200]
    membership.save(update_fields=["left_on", "left_reason"])
    rows = Attendee.objects.filter(
        patient_id=membership.patient_id, session__series_id=membership.series_id,
        session__starts_at__gte=local_moment(on + dt.timedelta(days=1), dt.time()),
        session__starts_at__gt=timezone.now(),
        attendance__isnull=True,        # an absence recorded ahead stays on that session's roster
    )
    removed = sorted(rows.values_list("session_id", flat=True))
    rows.delete()
    audit.record(user=by, action=Action.CHANGE, patient=membership.patient, obj=membership, detail={
        "scheduling": "left series", "series": membership.series_id, "left_on": on.isoformat(),
        "reason": membership.left_reason, "removed_from_sessions": removed})
    return membership


@transaction.atomic
def end_schedule_at_discharge(episode, *, by) -> dict:
    """At discharge: the patient leaves every group series of the episode after the discharge
    day, and comes off the one-to-one sessions booked after it (a one-to-one session left with
    nobody is cancelled). Past sessions and sessions already started are never changed.

    Side effects: those of `leave_series`; for each one-to-one session, a `change` audit event
    (cancel_session's); one `change` audit event when rows in other group sessions after the
    discharge day are removed. Returns counts."""
    from django.db.models import Count

    day = episode.discharged_on or timezone.localdate()
    reason = f"Discharged on {day:%Y-%m-%d}"
    memberships = SeriesMembership.objects.filter(episode=episode, left_on__isnull=True).select_related("patient", "series")
    left = 0
    for membership in memberships:
        leave_series(membership, on=max(day, membership.joined_on), reason=reason, by=by)
        left += 1
    after = max(local_moment(day + dt.timedelta(days=1), dt.time()), timezone.now())
    one_to_one = (Session.objects.filter(attendees__episode=episode, starts_at__gte=after, status=SessionStatus.SCHEDULED)
                  .exclude(kind=SessionKind.GROUP).annotate(people=Count("attendees")).distinct())
    cancelled = 0
    for session in one_to_one:
        if session.people <= 1:
            cancel_session(session, reason=reason, by=by)
            cancelled += 1
    # Group sessions after the discharge day lose only this patient's row: those booked by hand
    # (not through a series), and the first session of a series the patient was to join after
    # the discharge day (a membership can end no earlier than its first day, so leave_series
    # keeps that day's row).
    rows = Attendee.objects.filter(episode=episode, session__starts_at__gte=after, session__kind=SessionKind.GROUP,
                                   attendance__isnull=True)
    removed = sorted(rows.values_list("session_id", flat=True))
    if removed:
        rows.delete()
        audit.record(user=by, action=Action.CHANGE, patient=episode.patient, obj=episode, detail={
            "scheduling": "removed from group sessions after discharge", "sessions": removed})
    return {"series_left": left, "sessions_cancelled": cancelled}
