"""Reads of the calendar for the clinic's screens.

Who sees what: the clinical director, clinicians, prescribers, front desk and intake see the
organization's calendar (rooms and staff are shared, so everyone needs to see what is booked);
a session's roster names only the patients in `Patient.objects.visible_to(user)`, and counts
the others ("1 other patient"). Billing, the privacy officer and the system administrator get
no calendar.

Every list here costs a fixed number of queries, however many sessions and patients it holds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Prefetch, Q
from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.attendance.models import ATTENDED_STATUSES
from openiop.care.models import EpisodeOfCare, EpisodeStatus
from openiop.patients.models import Patient
from openiop.plans.models import COUNTED_SERVICES, PlanKind, PlanVersion, ServiceLine, VersionStatus
from openiop.programs.models import CurriculumModule, ProgramKind
from openiop.scheduling.models import (
    Attendee,
    CurriculumSlot,
    GroupSeries,
    SeriesMembership,
    Session,
    SessionKind,
    SessionStatus,
)
from openiop.scheduling.rules import local_moment, week_bounds, week_days

# Who sees the calendar (patient names still limited by visible_to), and who changes it.
CALENDAR_ROLES = frozenset({Role.DIRECTOR, Role.CLINICIAN, Role.PRESCRIBER, Role.FRONT_DESK, Role.INTAKE})
EDIT_ROLES = frozenset({Role.DIRECTOR, Role.CLINICIAN, Role.PRESCRIBER, Role.FRONT_DESK})
# Who runs the weekly solver.
SOLVE_ROLES = frozenset({Role.DIRECTOR, Role.FRONT_DESK})
# Adolescent IOPs usually run 6–19 hours a week (adults 9–19); see weekly_band.
ADOLESCENT_MIN_WEEKLY_HOURS = 6
ADULT_DEFAULT_MIN_WEEKLY_HOURS = 9


def sessions_visible_to(user):
    """The sessions of the user's organization, for the calendar roles; nothing for others."""
    if user is None or not user.is_authenticated or user.role not in CALENDAR_ROLES or not user.organization_id:
        return Session.objects.none()
    return Session.objects.filter(program__organization_id=user.organization_id)


def may_edit(user, session) -> bool:
    """Directors and front desk change any session; clinicians and prescribers change the
    sessions of their programs and the sessions they are staff on."""
    if user.role not in EDIT_ROLES:
        return False
    if user.role in (Role.DIRECTOR, Role.FRONT_DESK):
        return True
    if any(member.pk == user.pk for member in session.staff.all()):
        return True
    return user.programs.filter(pk=session.program_id).exists()


# Sessions with their rosters --------------------------------------------------------------------


@dataclass
class SessionRow:
    """A session as a calendar shows it: the patients the user may see by name, the others
    counted, and its staff."""

    session: Session
    patients: list = field(default_factory=list)      # Patient, visible to the user
    hidden: int = 0                                    # patients on the roster the user may not see
    is_next: bool = False
    is_now: bool = False

    @property
    def staff(self) -> list:
        return list(self.session.staff.all())

    @property
    def roster_size(self) -> int:
        return len(self.patients) + self.hidden

    @property
    def local_day(self) -> dt.date:
        return timezone.localdate(self.session.starts_at)


def _with_rosters(queryset):
    return (
        queryset.select_related("program", "room", "group_type", "module", "series")
        .prefetch_related("staff", Prefetch("attendees", queryset=Attendee.objects.select_related("patient").order_by(
            "patient__legal_last_name", "patient__legal_first_name", "patient_id")))
        .order_by("starts_at", "pk")
    )


def visible_patient_ids(user, patient_ids) -> set[int]:
    patient_ids = set(patient_ids)
    if not patient_ids:
        return set()
    return set(Patient.objects.visible_to(user).filter(pk__in=patient_ids).values_list("pk", flat=True))


def session_rows(user, queryset) -> list[SessionRow]:
    """Rows for the sessions of `queryset` (already limited to what the user may see)."""
    sessions = list(_with_rosters(queryset))
    visible = visible_patient_ids(user, {row.patient_id for s in sessions for row in s.attendees.all()})
    rows = []
    for session in sessions:
        shown = [row.patient for row in session.attendees.all() if row.patient_id in visible]
        rows.append(SessionRow(session=session, patients=shown, hidden=len(session.attendees.all()) - len(shown)))
    return rows


def patients_shown(rows) -> list:
    """Each patient named in `rows` once (for the audit trail)."""
    return list({p.pk: p for row in rows for p in row.patients}.values())


def _filtered(queryset, *, program=None, room=None, staff=None, patient=None):
    if program is not None:
        queryset = queryset.filter(program=program)
    if room is not None:
        queryset = queryset.filter(room=room)
    if staff is not None:
        queryset = queryset.filter(staff=staff)
    if patient is not None:
        queryset = queryset.filter(attendees__patient=patient)
    return queryset.distinct() if staff is not None or patient is not None else queryset


def week_sessions(user, week_start: dt.date, *, program=None, room=None, staff=None, patient=None) -> list[SessionRow]:
    """The week's sessions (Monday `week_start` to Sunday), cancelled ones included."""
    start, end = week_bounds(week_start)
    found = sessions_visible_to(user).filter(starts_at__gte=start, starts_at__lt=end)
    return session_rows(user, _filtered(found, program=program, room=room, staff=staff, patient=patient))


def day_sessions(user, day: dt.date, *, program=None, room=None, staff=None, patient=None) -> list[SessionRow]:
    start, end = local_moment(day, dt.time()), local_moment(day + dt.timedelta(days=1), dt.time())
    found = sessions_visible_to(user).filter(starts_at__gte=start, starts_at__lt=end)
    return session_rows(user, _filtered(found, program=program, room=room, staff=staff, patient=patient))


def by_day(rows, week_start: dt.date) -> list[tuple[dt.date, list[SessionRow]]]:
    days = {day: [] for day in week_days(week_start)}
    for row in rows:
        days.setdefault(row.local_day, []).append(row)
    return list(days.items())


def today_board(user, day: dt.date, *, now: dt.datetime | None = None) -> list[SessionRow]:
    """Every session of `day` in time order, the ones under way marked `is_now` and the next
    one to start marked `is_next` (cancelled sessions are listed but never next)."""
    now = now or timezone.now()
    rows = day_sessions(user, day)
    upcoming = [r for r in rows if not r.session.is_cancelled and r.session.starts_at >= now]
    if upcoming:
        upcoming[0].is_next = True
    for row in rows:
        row.is_now = not row.session.is_cancelled and row.session.starts_at <= now < row.session.ends_at
    return rows


def session_for(user, session_id):
    """One session the user may see, with its roster rows, or None."""
    return _with_rosters(sessions_visible_to(user).filter(pk=session_id)).first()


# Group series and their members ------------------------------------------------------------------


@dataclass
class SeriesRow:
    series: GroupSeries
    members: list = field(default_factory=list)      # SeriesMembership of visible patients
    hidden: int = 0


def series_list(user, *, program=None, on: dt.date | None = None) -> list[SeriesRow]:
    """The organization's group series running on or after `on`, each with its members then
    (names only for patients the user may see)."""
    on = on or timezone.localdate()
    if user.role not in CALENDAR_ROLES:
        return []
    found = GroupSeries.objects.filter(program__organization_id=user.organization_id).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=on))
    if program is not None:
        found = found.filter(program=program)
    current = SeriesMembership.objects.filter(Q(left_on__isnull=True) | Q(left_on__gte=on)).select_related(
        "patient").order_by("patient__legal_last_name", "patient__legal_first_name", "pk")
    series = list(found.select_related("program", "group_type", "room", "facilitator")
                  .prefetch_related(Prefetch("memberships", queryset=current, to_attr="current")))
    visible = visible_patient_ids(user, {m.patient_id for s in series for m in s.current})
    rows = []
    for one in series:
        members = [m for m in one.current if m.patient_id in visible]
        rows.append(SeriesRow(series=one, members=members, hidden=len(one.current) - len(members)))
    return rows


def memberships_of(patient):
    """The patient's series memberships, current first (the caller has checked visibility)."""
    return (SeriesMembership.objects.filter(patient=patient)
            .select_related("series__program", "series__group_type", "series__room")
            .order_by(F("left_on").desc(nulls_first=True), "-joined_on", "-pk"))


def series_open_to(patient, *, on: dt.date | None = None):
    """The series of the programs the patient is admitted to, running on or after `on`."""
    on = on or timezone.localdate()
    programs = EpisodeOfCare.objects.filter(patient=patient, status=EpisodeStatus.ACTIVE).values("program_id")
    return (GroupSeries.objects.filter(program__in=programs).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
            .select_related("program", "group_type"))


# Curriculum progress ---------------------------------------------------------------------------------


@dataclass
class CurriculumProgress:
    """Which modules of a group type's rotation the patient has covered, and which remain.

    "Covered" means the patient attended a past session (not cancelled) with that module: being
    on the roster is not enough, a no-show or a session whose attendance nobody took yet does
    not count."""

    covered: list = field(default_factory=list)
    remaining: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.covered) + len(self.remaining)


def curriculum_progress_for(patients, group_type, *, now: dt.datetime | None = None) -> dict[int, CurriculumProgress]:
    """Progress through `group_type`'s rotation for each patient, in two queries."""
    now = now or timezone.now()
    ids = [p.pk for p in patients]
    rotation = [slot.module for slot in CurriculumSlot.objects.filter(group_type=group_type)
                .select_related("module").order_by("position")]
    covered = defaultdict(dict)
    if ids:
        for patient_id, module_id, title, topic in (
            Attendee.objects.filter(patient_id__in=ids, session__group_type=group_type, session__ends_at__lte=now,
                                    session__module__isnull=False, attendance__status__in=ATTENDED_STATUSES)
            .exclude(session__status=SessionStatus.CANCELLED)
            .values_list("patient_id", "session__module_id", "session__module__title", "session__module__topic_area")
            .distinct()
        ):
            covered[patient_id][module_id] = (title, topic)
    return {patient_id: _progress(rotation, covered.get(patient_id, {})) for patient_id in ids}


def _progress(rotation, theirs: dict) -> CurriculumProgress:
    """`rotation`: the modules in order; `theirs`: {module id: (title, topic)} covered."""
    in_rotation = [m for m in rotation if m.pk in theirs]
    retired = [CurriculumModule(pk=pk, title=title, topic_area=topic)
               for pk, (title, topic) in sorted(theirs.items()) if pk not in {m.pk for m in rotation}]
    return CurriculumProgress(covered=in_rotation + retired, remaining=[m for m in rotation if m.pk not in theirs])


def curriculum_progress(patient, group_type, *, now: dt.datetime | None = None) -> CurriculumProgress:
    return curriculum_progress_for([patient], group_type, now=now)[patient.pk]


def curriculum_progress_by_group_type(patient, group_types, *, now: dt.datetime | None = None) -> dict[int, CurriculumProgress]:
    """The patient's progress through each of `group_types`' rotations, by group type id, in two
    queries however many group types (the patient's schedule lists all their series)."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(g.pk for g in group_types))
    if not ids:
        return {}
    rotations = defaultdict(list)
    for slot in (CurriculumSlot.objects.filter(group_type_id__in=ids).select_related("module")
                 .order_by("group_type_id", "position")):
        rotations[slot.group_type_id].append(slot.module)
    covered = defaultdict(dict)
    for group_type_id, module_id, title, topic in (
        Attendee.objects.filter(patient=patient, session__group_type_id__in=ids, session__ends_at__lte=now,
                                session__module__isnull=False, attendance__status__in=ATTENDED_STATUSES)
        .exclude(session__status=SessionStatus.CANCELLED)
        .values_list("session__group_type_id", "session__module_id", "session__module__title",
                     "session__module__topic_area")
        .distinct()
    ):
        covered[group_type_id][module_id] = (title, topic)
    return {group_type_id: _progress(rotations[group_type_id], covered.get(group_type_id, {}))
            for group_type_id in ids}


# Weekly dose ------------------------------------------------------------------------------------------


def weekly_band(program) -> tuple[int, int]:
    """The program's weekly hours band. Adolescent programs run 6–19 hours: the Program model
    has no "not set" for its minimum (it defaults to the adult 9), so an adolescent program
    still at that default is taken as 6; any other minimum it sets is used as set."""
    low = program.min_weekly_hours
    if program.kind == ProgramKind.ADOLESCENT and low == ADULT_DEFAULT_MIN_WEEKLY_HOURS:
        low = ADOLESCENT_MIN_WEEKLY_HOURS
    return low, program.max_weekly_hours


@dataclass
class DoseRow:
    """A patient's scheduled hours in one week against their target and the program's band."""

    patient: Patient
    episode: EpisodeOfCare
    scheduled_minutes: int
    target_minutes: int | None        # None: no planned hours and no signed plan yet
    target_source: str                # "planned hours", "treatment plan" or ""
    band: tuple[int, int]

    @property
    def program(self):
        return self.episode.program

    @property
    def scheduled_hours(self) -> Decimal:
        return _hours(self.scheduled_minutes)

    @property
    def target_hours(self) -> Decimal | None:
        return None if self.target_minutes is None else _hours(self.target_minutes)

    @property
    def under_band(self) -> bool:
        return self.scheduled_minutes < self.band[0] * 60

    @property
    def over_band(self) -> bool:
        return self.scheduled_minutes > self.band[1] * 60

    @property
    def under_target(self) -> bool:
        return self.target_minutes is not None and self.scheduled_minutes < self.target_minutes


def _hours(minutes) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"))


def _plan_targets(episodes) -> dict[int, int]:
    """Weekly minutes of each episode's current signed treatment plan (its service mix), in two
    queries. Drug screens do not count toward therapeutic hours."""
    latest = {}
    for version_id, episode_id, number in (
        PlanVersion.objects.filter(plan__episode__in=[e.pk for e in episodes], plan__kind=PlanKind.TREATMENT,
                                   status=VersionStatus.SIGNED)
        .values_list("pk", "plan__episode_id", "number")
    ):
        if episode_id not in latest or number > latest[episode_id][1]:
            latest[episode_id] = (version_id, number)
    episode_of = {version_id: episode_id for episode_id, (version_id, _) in latest.items()}
    minutes = defaultdict(float)
    for line in ServiceLine.objects.filter(version_id__in=list(episode_of), service__in=COUNTED_SERVICES):
        minutes[episode_of[line.version_id]] += line.weekly_minutes
    return {episode_id: round(total) for episode_id, total in minutes.items()}


def weekly_dose(user, week_start: dt.date, program=None) -> list[DoseRow]:
    """Each patient admitted (active episode) to a program the user sees, with the minutes of
    sessions they are scheduled for in the week (cancelled sessions and drug screens not
    counted) against their target: the episode's planned weekly hours, else the service mix of
    the signed treatment plan. Patients under the program's band come first."""
    if user.role not in CALENDAR_ROLES:
        return []
    episodes = list(
        EpisodeOfCare.objects.filter(status=EpisodeStatus.ACTIVE, program__organization_id=user.organization_id,
                                     patient__in=Patient.objects.visible_to(user).values("pk"))
        .filter(**({"program": program} if program is not None else {}))
        .select_related("patient", "program")
    )
    start, end = week_bounds(week_start)
    scheduled = defaultdict(int)
    for episode_id, starts_at, ends_at in (
        Attendee.objects.filter(episode__in=[e.pk for e in episodes], session__starts_at__gte=start,
                                session__starts_at__lt=end)
        .exclude(session__status=SessionStatus.CANCELLED).exclude(session__kind=SessionKind.DRUG_SCREEN)
        .values_list("episode_id", "session__starts_at", "session__ends_at")
    ):
        scheduled[episode_id] += int((ends_at - starts_at).total_seconds() // 60)
    from_plans = _plan_targets(episodes) if episodes else {}
    rows = []
    for episode in episodes:
        if episode.planned_weekly_hours is not None:
            target, source = int(episode.planned_weekly_hours * 60), "planned hours"
        elif episode.pk in from_plans:
            target, source = from_plans[episode.pk], "treatment plan"
        else:
            target, source = None, ""
        rows.append(DoseRow(patient=episode.patient, episode=episode, scheduled_minutes=scheduled[episode.pk],
                            target_minutes=target, target_source=source, band=weekly_band(episode.program)))
    rows.sort(key=lambda r: (not r.under_band, r.patient.legal_last_name, r.patient.legal_first_name, r.patient.pk))
    return rows
