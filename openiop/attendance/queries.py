"""Reads of attendance for the roster screen, the weekly attended hours, the dashboards and
billing. Every list costs a fixed number of queries however many rows it holds.

Weekly hours. A session belongs to the week (Monday to Sunday, the clinic's TIME_ZONE) in which
it starts, so a group that runs past midnight on Sunday counts wholly in that week. Attended
minutes are sums of whole minutes (integers); hours are shown from them, never summed. Drug
screens are not therapeutic hours and cancelled sessions have no attendance, so neither counts
toward the band (the same rule as the scheduled hours in scheduling.queries.weekly_dose).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.attendance import rules
from openiop.attendance.models import ATTENDED_STATUSES, Attendance, AttendanceStatus
from openiop.care.models import CareTeamMember, EpisodeOfCare, EpisodeStatus
from openiop.patients.models import Patient
from openiop.scheduling.models import Attendee, Session, SessionKind, SessionStatus
from openiop.scheduling.queries import _plan_targets, visible_patient_ids, weekly_band
from openiop.scheduling.rules import local_moment, week_bounds, week_of
from openiop.worklist.models import Task, TaskKind

# Who takes attendance (the roster screen), and who reads it (billing bills from it).
TAKE_ROLES = frozenset({Role.DIRECTOR, Role.CLINICIAN, Role.PRESCRIBER, Role.FRONT_DESK})
READ_ROLES = TAKE_ROLES | {Role.BILLING}
# Who sees the weekly attended hours of everyone they may see.
HOURS_ROLES = frozenset({Role.DIRECTOR, Role.CLINICIAN, Role.PRESCRIBER})
OUTREACH_ROLES = TAKE_ROLES


# The roster ----------------------------------------------------------------------------------------


@dataclass
class RosterRow:
    attendee: Attendee
    attendance: Attendance | None

    @property
    def patient(self):
        return self.attendee.patient


@dataclass
class Roster:
    session: Session
    rows: list[RosterRow] = field(default_factory=list)
    hidden: int = 0            # patients on the roster the user may not see by name

    @property
    def taken(self) -> int:
        return sum(1 for row in self.rows if row.attendance is not None)

    @property
    def patients(self) -> list:
        return [row.patient for row in self.rows]


def is_session_staff(user, session) -> bool:
    return any(member.pk == user.pk for member in session.staff.all())


def roster(user, session) -> Roster:
    """The roster rows of `session` (from scheduling.queries.session_for: attendees and staff
    prefetched) with their attendance, in two queries. The session's own staff see every row
    (they run it and take its attendance); anyone else sees the patients visible to them and a
    count of the others."""
    attendees = list(session.attendees.all())
    found = {a.attendee_id: a for a in Attendance.objects.filter(session=session)}
    if user.role in TAKE_ROLES and is_session_staff(user, session):
        shown = attendees
    else:
        visible = visible_patient_ids(user, {a.patient_id for a in attendees})
        shown = [a for a in attendees if a.patient_id in visible]
    return Roster(session=session, rows=[RosterRow(attendee=a, attendance=found.get(a.pk)) for a in shown],
                  hidden=len(attendees) - len(shown))


def may_take(user, session, taken_roster: Roster) -> bool:
    """Staff of the session, or a roster role who may see every patient on it."""
    return user.role in TAKE_ROLES and (is_session_staff(user, session) or taken_roster.hidden == 0)


# Weekly attended hours ---------------------------------------------------------------------------------


@dataclass
class AttendedRow:
    """A patient's attended minutes in one week against their target and the program's band."""

    patient: Patient
    episode: EpisodeOfCare
    attended_minutes: int
    scheduled_minutes: int
    target_minutes: int | None        # None: no planned hours and no signed plan yet
    target_source: str                # "planned hours", "treatment plan" or ""
    band: tuple[int, int]
    sessions_attended: int = 0
    absences: int = 0

    @property
    def program(self):
        return self.episode.program

    @property
    def attended_hours(self) -> Decimal:
        return rules.hours(self.attended_minutes)

    @property
    def scheduled_hours(self) -> Decimal:
        return rules.hours(self.scheduled_minutes)

    @property
    def target_hours(self) -> Decimal | None:
        return None if self.target_minutes is None else rules.hours(self.target_minutes)

    @property
    def below_band(self) -> bool:
        return self.attended_minutes < self.band[0] * 60

    @property
    def above_band(self) -> bool:
        return self.attended_minutes > self.band[1] * 60

    @property
    def below_target(self) -> bool:
        return self.target_minutes is not None and self.attended_minutes < self.target_minutes


def targets(episodes) -> dict[int, tuple[int | None, str]]:
    """Each episode's weekly target in minutes and where it comes from: the planned weekly
    hours set at admission, else the signed treatment plan's service mix (two queries)."""
    from_plans = _plan_targets(episodes) if episodes else {}
    found = {}
    for episode in episodes:
        if episode.planned_weekly_hours is not None:
            found[episode.pk] = (int(episode.planned_weekly_hours * 60), "planned hours")
        elif episode.pk in from_plans:
            found[episode.pk] = (from_plans[episode.pk], "treatment plan")
        else:
            found[episode.pk] = (None, "")
    return found


def _counted(queryset, prefix=""):
    """Leave out cancelled sessions and drug screens (`prefix` reaches the session)."""
    return queryset.exclude(**{f"{prefix}status": SessionStatus.CANCELLED}).exclude(
        **{f"{prefix}kind": SessionKind.DRUG_SCREEN})


def attended_rows(episodes, week_start: dt.date) -> list[AttendedRow]:
    """AttendedRows for `episodes` (already limited to what the caller may see) in one week,
    in four queries however many episodes."""
    ids = [e.pk for e in episodes]
    start, end = week_bounds(week_start)
    scheduled = defaultdict(int)
    if ids:
        for episode_id, starts_at, ends_at in _counted(
            Attendee.objects.filter(episode_id__in=ids, session__starts_at__gte=start, session__starts_at__lt=end),
            "session__",
        ).values_list("episode_id", "session__starts_at", "session__ends_at"):
            scheduled[episode_id] += rules.whole_minutes(starts_at, ends_at)
    attended, sessions, absences = defaultdict(int), defaultdict(int), defaultdict(int)
    if ids:
        for episode_id, status, minutes in _counted(
            Attendance.objects.filter(episode_id__in=ids, session__starts_at__gte=start, session__starts_at__lt=end),
            "session__",
        ).values_list("episode_id", "status", "minutes"):
            if status in ATTENDED_STATUSES:
                attended[episode_id] += minutes
                sessions[episode_id] += 1
            else:
                absences[episode_id] += 1
    goal = targets(episodes)
    rows = [
        AttendedRow(patient=e.patient, episode=e, attended_minutes=attended[e.pk], scheduled_minutes=scheduled[e.pk],
                    target_minutes=goal[e.pk][0], target_source=goal[e.pk][1], band=weekly_band(e.program),
                    sessions_attended=sessions[e.pk], absences=absences[e.pk])
        for e in episodes
    ]
    rows.sort(key=lambda r: (not r.below_band, r.patient.legal_last_name, r.patient.legal_first_name, r.patient.pk))
    return rows


def _active_episodes(user, *, program=None, patients=None):
    found = (EpisodeOfCare.objects.filter(status=EpisodeStatus.ACTIVE, program__organization_id=user.organization_id)
             .filter(patient__in=Patient.objects.visible_to(user).values("pk")))
    if program is not None:
        found = found.filter(program=program)
    if patients is not None:
        found = found.filter(patient__in=patients)
    return list(found.select_related("patient", "program").order_by("pk"))


def weekly_attended(user, week_start: dt.date, *, program=None) -> list[AttendedRow]:
    """Each patient admitted (active episode) whom the user may see, with the minutes they
    attended in the week of `week_start` (a Monday), the minutes they were scheduled for, their
    target and the program's band. Patients below the band come first."""
    if user.role not in READ_ROLES:
        return []
    return attended_rows(_active_episodes(user, program=program), week_of(week_start))


def below_band(user, week_start: dt.date) -> list[AttendedRow]:
    """Patients whose attended hours in the week fell below their program's band, for the
    dashboards: a clinician's own care-team patients (any role on the team), everyone in the
    organization for the director. Pass a finished week: early in a week everyone is below."""
    if user.role == Role.DIRECTOR:
        episodes = _active_episodes(user)
    elif user.role in (Role.CLINICIAN, Role.PRESCRIBER):
        mine = CareTeamMember.objects.filter(user=user, end_date__isnull=True).values("episode__patient_id")
        episodes = _active_episodes(user, patients=mine)
    else:
        return []
    return [row for row in attended_rows(episodes, week_of(week_start)) if row.below_band]


def attended_minutes(episode, start_date: dt.date, end_date: dt.date, *, include_drug_screens=False) -> int:
    """The exact whole minutes the patient attended in `episode` in sessions starting (clinic
    time) from `start_date` to `end_date`, both included. What billing sums; one query. The
    caller has checked that the user may see the patient."""
    start = local_moment(start_date, dt.time())
    end = local_moment(end_date + dt.timedelta(days=1), dt.time())
    found = Attendance.objects.filter(episode=episode, status__in=ATTENDED_STATUSES,
                                      session__starts_at__gte=start, session__starts_at__lt=end)
    found = found.exclude(session__status=SessionStatus.CANCELLED)
    if not include_drug_screens:
        found = found.exclude(session__kind=SessionKind.DRUG_SCREEN)
    return int(found.aggregate(total=Sum("minutes"))["total"] or 0)


# A patient's history ---------------------------------------------------------------------------------------


@dataclass
class HistoryLine:
    attendee: Attendee
    attendance: Attendance | None

    @property
    def session(self):
        return self.attendee.session

    @property
    def counted(self) -> bool:
        return not self.session.is_cancelled and self.session.kind != SessionKind.DRUG_SCREEN

    @property
    def minutes(self) -> int:
        return self.attendance.minutes if self.attendance and self.attendance.attended and self.counted else 0


@dataclass
class HistoryWeek:
    week_start: dt.date
    lines: list[HistoryLine]
    target_minutes: int | None
    target_source: str
    band: tuple[int, int] | None

    @property
    def week_end(self) -> dt.date:
        return self.week_start + dt.timedelta(days=6)

    @property
    def attended_minutes(self) -> int:
        return sum(line.minutes for line in self.lines)

    @property
    def scheduled_minutes(self) -> int:
        return sum(rules.whole_minutes(line.session.starts_at, line.session.ends_at)
                   for line in self.lines if line.counted)

    @property
    def attended_hours(self) -> Decimal:
        return rules.hours(self.attended_minutes)

    @property
    def scheduled_hours(self) -> Decimal:
        return rules.hours(self.scheduled_minutes)

    @property
    def target_hours(self):
        return None if self.target_minutes is None else rules.hours(self.target_minutes)

    @property
    def below_band(self) -> bool:
        return self.band is not None and self.attended_minutes < self.band[0] * 60

    @property
    def below_target(self) -> bool:
        return self.target_minutes is not None and self.attended_minutes < self.target_minutes


def patient_history(patient, *, now: dt.datetime | None = None) -> list[HistoryWeek]:
    """The patient's sessions up to now, week by week (newest first), each with its attendance
    and the week's attended minutes against the target and band of the episode the sessions
    were booked in. The caller has checked visibility. Four queries however many weeks."""
    now = now or timezone.now()
    attendees = list(
        Attendee.objects.filter(patient=patient, session__starts_at__lte=now)
        .select_related("session__group_type", "session__program", "episode__program", "attendance")
        .order_by("session__starts_at", "pk")
    )
    episodes = list({a.episode_id: a.episode for a in attendees}.values())
    goal = targets(episodes)
    weeks = defaultdict(list)
    for attendee in attendees:
        attendance = getattr(attendee, "attendance", None) if _has_attendance(attendee) else None
        weeks[week_of(timezone.localdate(attendee.session.starts_at))].append(HistoryLine(attendee, attendance))
    result = []
    for week_start in sorted(weeks, reverse=True):
        lines = weeks[week_start]
        episode = lines[-1].attendee.episode
        result.append(HistoryWeek(week_start=week_start, lines=lines, target_minutes=goal[episode.pk][0],
                                  target_source=goal[episode.pk][1], band=weekly_band(episode.program)))
    return result


def _has_attendance(attendee) -> bool:
    try:
        attendee.attendance  # noqa: B018 - the reverse one-to-one raises when there is none
    except Attendance.DoesNotExist:
        return False
    return True


# The clinician's day -------------------------------------------------------------------------------------


def sessions_to_take(user, day: dt.date, now: dt.datetime) -> list[Session]:
    """The user's sessions (as staff) of `day` that have started and still have roster rows
    without attendance, each annotated with `roster_size` and `taken`. One query."""
    start, end = local_moment(day, dt.time()), local_moment(day + dt.timedelta(days=1), dt.time())
    return list(
        Session.objects.filter(staff=user, starts_at__gte=start, starts_at__lt=end, starts_at__lte=now)
        .exclude(status=SessionStatus.CANCELLED)
        .annotate(roster_size=Count("attendees", distinct=True), taken=Count("attendance", distinct=True))
        .filter(roster_size__gt=0, taken__lt=F("roster_size"))
        .select_related("group_type", "room", "program")
        .order_by("starts_at", "pk")
    )


def open_outreach(user):
    """The user's open outreach calls and repeated-absence reviews, oldest due first, about
    patients they may see. One query."""
    return list(
        Task.objects.open().for_user(user).filter(kind__in=(TaskKind.OUTREACH, TaskKind.ABSENCES))
        .filter(Q(patient__isnull=True) | Q(patient__in=Patient.objects.visible_to(user).values("pk")))
        .select_related("patient").order_by("due_on", "created_at", "pk")
    )


def outreach_task_for(user, task_id):
    """An outreach task about a patient the user may see (any roster role may make the call,
    not only its assignee), or None."""
    if user.role not in OUTREACH_ROLES:
        return None
    return (Task.objects.filter(pk=task_id, kind=TaskKind.OUTREACH,
                                patient__in=Patient.objects.visible_to(user).values("pk"))
            .select_related("patient", "assignee", "done_by").first())


def absence_for(task):
    """The unexcused absence an outreach task is about (its topic names the attendance)."""
    prefix = "attendance:outreach:"
    if not task.topic.startswith(prefix):
        return None
    try:
        pk = int(task.topic[len(prefix):])
    except ValueError:
        return None
    return (Attendance.objects.filter(pk=pk, patient_id=task.patient_id)
            .select_related("session__group_type", "session__program").first())


def unexcused_count(episode, *, since: dt.datetime) -> int:
    return Attendance.objects.filter(episode=episode, status=AttendanceStatus.ABSENT_UNEXCUSED,
                                     session__starts_at__gte=since).count()
