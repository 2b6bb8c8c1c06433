"""The clinic's week as a solver instance (docs/scheduling.md), and a solved week back into the
calendar.

`instance_for_week()` reads one organization's week from the database and builds the JSON
instance with the maps back from its ids (patients by MRN, staff by username, rooms, sections)
to rows. `apply_schedule()` writes a solved week in one transaction. `solve_week()` does both
around the solver and refuses to save a week the independent validator finds fault with.

Two modes:

- **Full** (the default): the week's future sessions placed by the solver are replaced.
  Sessions that already started, sessions placed by hand or marked fixed, sessions whose
  patients were already reminded, and cancelled sessions stay exactly as they are (kept sessions
  are the instance's `fixed`).
- **Repair** (`repair_patients`): every existing session stays, with its roster; only the
  repair patients are placed, around everyone else. A group session of a series that has not
  started becomes its section with `booked` = its current roster (and its room and
  facilitator), so the repair patients can join it; every other session is fixed.

Choices the instance format leaves open (also in docs/scheduling.md, "From the clinic's
database"):

- A telehealth series meets in no room, but a section without a room asks the solver to choose
  one. So each telehealth section gets a room of its own that exists only in the instance
  (`telehealth-<series>`), seating the whole group; it maps back to "no room". A one-to-one
  visit the solver puts in such a stand-in room is dropped and reported unmet.
- A patient with no availability recorded is taken as free in program hours: the times of
  their track's groups and weekdays 08:00–20:00. Their unmet reasons say so.
- Drug screens are not booked by the solver, but they take their patient's and staff member's
  time: they are cut out of the patient's availability and added to the staff member's time off.
- In the current week nothing is placed before `now` (rounded up to the next half hour).
- `planned_weekly_hours` on the episode, when set, is the patient's weekly target: it replaces
  the program's lower bound (`min_minutes`) and raises the upper bound when it lies above it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from openiop.attendance.models import Attendance
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import CareTeamMember, CareTeamRole, EpisodeOfCare, EpisodeStatus
from openiop.programs.models import Room
from openiop.scheduling import services
from openiop.scheduling.instance import (
    Instance,
    Schedule,
    format_time,
    load_instance,
    parse_time,
)
from openiop.scheduling.instance import Session as PlannedSession
from openiop.scheduling.models import (
    ONE_TO_ONE,
    Attendee,
    GroupSeries,
    GroupType,
    PatientAvailability,
    ReminderSent,
    SeriesMembership,
    Session,
    SessionKind,
    SessionSource,
    SessionStatus,
    StaffAvailability,
    StaffProfile,
    TimeOff,
)
from openiop.scheduling.rules import local_moment, plus_minutes, week_bounds, week_days, week_of

DAY = 24 * 60
GRID = 30                                        # the solver's grid: nothing starts off it after `now`
ASSUMED_HOURS = (8 * 60, 20 * 60)                # weekday program hours for a patient who gave none
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TELEHEALTH_ROOM = "telehealth-"

NO_AVAILABILITY = (
    "No availability is recorded for this patient: they were planned within program hours (their "
    "track's group times and weekdays 08:00–20:00). Record their free times to plan around work or school."
)
NO_PRIMARY = (
    "Individual therapy was not booked: nobody on the care team is a primary clinician whose "
    "scheduling profile gives individual therapy."
)
NO_OFFICE = "{service} session: no office was free at the time found; try again after freeing a room."

Span = tuple[int, int, int]                      # (day 0-6, start minute, end minute)


class WeekError(ValueError):
    """A week that cannot be solved as asked, in plain words for the person who asked."""


class ScheduleRefused(RuntimeError):
    """The validator found hard-rule violations in the solver's week: nothing was saved."""

    def __init__(self, violations: list[str]):
        self.violations = violations
        super().__init__(
            f"The solver's week breaks {len(violations)} rule{'' if len(violations) == 1 else 's'}, so "
            f"nothing was saved: {'; '.join(violations[:3])}{' …' if len(violations) > 3 else ''}"
        )


def check_week_start(day: dt.date) -> dt.date:
    """`day` when it is a Monday; a WeekError naming the Monday otherwise."""
    if day.weekday() != 0:
        raise WeekError(
            f"{day.isoformat()} is a {DAY_NAMES[day.weekday()]}; weeks start on Monday: "
            f"use {week_of(day).isoformat()}."
        )
    return day


# Spans of time within the week ------------------------------------------------------------------


def merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching spans of one day joined into one."""
    merged: list[list[int]] = []
    for day, start, end in sorted(s for s in spans if s[2] > s[1]):
        if merged and merged[-1][0] == day and start <= merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([day, start, end])
    return [(d, s, e) for d, s, e in merged]


def subtract(spans: Iterable[Span], cuts: Iterable[Span]) -> list[Span]:
    cuts = list(cuts)
    result = []
    for day, start, end in spans:
        pieces = [(start, end)]
        for cut_day, cut_start, cut_end in cuts:
            if cut_day != day:
                continue
            pieces = [p for s, e in pieces for p in ((s, min(e, cut_start)), (max(s, cut_end), e)) if p[1] > p[0]]
        result.extend((day, s, e) for s, e in pieces)
    return merge(result)


def keep_between(spans: Iterable[Span], first: tuple[int, int], last: tuple[int, int]) -> list[Span]:
    """The parts of `spans` from (day, minute) `first` until (day, minute) `last`."""
    return subtract(spans, [(d, 0, DAY) for d in range(7) if d < first[0]]
                    + [(first[0], 0, first[1])] + [(last[0], last[1], DAY)]
                    + [(d, 0, DAY) for d in range(7) if d > last[0]])


def as_windows(spans: Iterable[Span]) -> list[dict]:
    return [{"day": d, "start": format_time(s), "end": format_time(e)} for d, s, e in merge(spans)]


def spans_of(windows, *, errors: list[str] | None = None) -> list[Span]:
    """Spans from stored windows ([{"day", "start", "end"}]); entries that do not read are skipped."""
    spans = []
    for item in windows or []:
        problems: list[str] = []
        day = item.get("day") if isinstance(item, dict) else None
        if not isinstance(day, int) or not 0 <= day <= 6:
            continue
        start = parse_time(item.get("start"), "start", problems)
        end = parse_time(item.get("end"), "end", problems)
        if problems or end <= start:
            if errors is not None:
                errors.append(str(item))
            continue
        spans.append((day, start, end))
    return merge(spans)


def span_of(week_start: dt.date, starts_at: dt.datetime, ends_at: dt.datetime) -> list[Span]:
    """The spans, day by day in local time, of a stretch of time that may cross midnight."""
    spans = []
    for index, day in enumerate(week_days(week_start)):
        day_start, day_end = local_moment(day, dt.time()), local_moment(day + dt.timedelta(days=1), dt.time())
        start, end = max(starts_at, day_start), min(ends_at, day_end)
        if end <= start:
            continue
        spans.append((index, _minute_of(start, day), DAY if end == day_end else _minute_of(end, day)))
    return spans


def _minute_of(moment: dt.datetime, day: dt.date) -> int:
    local = timezone.localtime(moment)
    return (local.date() - day).days * DAY + local.hour * 60 + local.minute


# The week as built ------------------------------------------------------------------------------


@dataclass
class WeekInstance:
    """One week's instance (`data`, the JSON of docs/scheduling.md) and the way back to rows."""

    organization: object
    week_start: dt.date
    repair: bool
    now: dt.datetime
    data: dict
    patients: dict = field(default_factory=dict)      # patient id (MRN) → Patient, everyone named
    episodes: dict = field(default_factory=dict)      # patient id → EpisodeOfCare being scheduled
    staff: dict = field(default_factory=dict)         # staff id (username) → User
    rooms: dict = field(default_factory=dict)         # room id → Room (None: a telehealth stand-in)
    sections: dict = field(default_factory=dict)      # section id → (GroupSeries, date)
    existing: dict = field(default_factory=dict)      # fixed or booked id → Session kept as it is
    booked: dict = field(default_factory=dict)        # section id → patient ids already seated
    replaceable: list = field(default_factory=list)   # pks of sessions a full solve replaces
    unmet_notes: dict = field(default_factory=dict)   # patient id → lines always unmet (dropped demand)
    assumptions: dict = field(default_factory=dict)   # patient id → lines said when something is unmet
    fingerprint: tuple = ()

    @property
    def scheduled(self) -> list[str]:
        """The ids of the patients being placed (the instance's `patients`)."""
        return [p["id"] for p in self.data["patients"]]

    @cached_property
    def instance(self) -> Instance:
        return load_instance(self.data)

    @property
    def fixed_ids(self) -> set[str]:
        return {f["id"] for f in self.data["fixed"]}

    def booked_sessions(self) -> list[PlannedSession]:
        """The booked sections as they stand, before the solver seats anyone new."""
        sessions = []
        for raw in self.data["sections"]:
            if raw["id"] not in self.booked:
                continue
            sessions.append(PlannedSession(
                id=raw["id"], kind="group", day=raw["day"], start=parse_time(raw["start"], "", []),
                minutes=raw["minutes"], room=raw["room"], staff=(raw["facilitator"],) if raw["facilitator"] else (),
                patients=tuple(self.booked[raw["id"]]), group_type=raw["group_type"], section=raw["id"],
            ))
        return sessions

    def as_checked(self, schedule: Schedule) -> Schedule:
        """The whole week the validator should see: the solver's sessions and the booked sections
        the solver left as they were."""
        given = {s.id for s in schedule.sessions}
        extra = [s for s in self.booked_sessions() if s.id not in given]
        return Schedule(schedule.instance, [*schedule.sessions, *extra], schedule.unmet, schedule.solver)

    def new_violations(self, schedule: Schedule) -> list[str]:
        """The hard-rule violations the solver's week adds to what was already on the calendar.

        Sessions placed by hand can break a rule on their own (a visit outside someone's hours);
        the solver is not asked to repair them, and `check_week` reports them. The solver answers
        for what it adds: a violation counts when it is not already there among the kept
        sessions alone (so one that grows, e.g. a staff member's minutes, counts too)."""
        from openiop.scheduling import validator

        before = Schedule(self.instance, [*self.instance.fixed, *self.booked_sessions()])
        already = {str(v) for v in validator.violations(self.instance, before)}
        found = [str(v) for v in validator.violations(self.instance, self.as_checked(schedule))]
        found = [v for v in found if v not in already]
        given = {s.section: s for s in schedule.sessions if s.kind == "group" and s.section}
        for section_id, seated in self.booked.items():
            session = given.get(section_id)
            dropped = sorted(set(seated) - set(session.patients)) if session else []
            if dropped:
                found.append(f"section {section_id} lost patients already seated in it: {', '.join(dropped)}.")
        return found

    def room_of(self, room_id: str | None) -> Room | None:
        return self.rooms.get(room_id) if room_id else None


def instance_for_week(organization, week_start: dt.date, *, repair_patients=None, now=None) -> WeekInstance:
    """Build the week's instance from the database (see the module docstring for the modes).

    Reads only; audits nothing (the solve that uses it audits what it writes)."""
    check_week_start(week_start)
    reader = _WeekReader(organization, week_start, now=now or timezone.now(),
                         mode="repair" if repair_patients is not None else "full",
                         repair_patients=repair_patients)
    return reader.build()


def week_as_scheduled(organization, week_start: dt.date) -> tuple[WeekInstance, Schedule]:
    """The week exactly as it is on the calendar, as an instance and a schedule of every
    session that is not cancelled (nothing fixed), for the validator and the exports."""
    check_week_start(week_start)
    reader = _WeekReader(organization, week_start, now=None, mode="check")
    week = reader.build()
    return week, Schedule(week.instance, reader.as_scheduled)


class _WeekReader:
    """Reads a week's rows once and writes the instance."""

    def __init__(self, organization, week_start, *, now, mode, repair_patients=None):
        self.organization = organization
        self.week_start = week_start
        self.now = now
        self.mode = mode                                # "full", "repair" or "check"
        self.repair_patients = list(repair_patients or [])
        self.week_end = week_start + dt.timedelta(days=6)
        self.begins, self.ends = week_bounds(week_start)
        self.week = WeekInstance(organization, week_start, repair=mode == "repair", now=now or timezone.now(),
                                 data={})
        self.as_scheduled: list[PlannedSession] = []
        self.staff_busy: dict[str, list[Span]] = defaultdict(list)     # drug screens
        self.patient_busy: dict[str, list[Span]] = defaultdict(list)

    # the moment before which nothing new is placed
    @cached_property
    def cutoff(self) -> tuple[int, int] | None:
        if self.now is None or self.now <= self.begins:
            return None
        if self.now >= self.ends:
            return (7, 0)
        local = timezone.localtime(self.now)
        minute = local.hour * 60 + local.minute + (1 if local.second or local.microsecond else 0)
        minute = -(-minute // GRID) * GRID
        return ((local.date() - self.week_start).days, minute)

    def after_cutoff(self, spans: list[Span]) -> list[Span]:
        if self.cutoff is None:
            return spans
        return keep_between(spans, self.cutoff, (6, DAY))

    def day_index(self, moment: dt.datetime) -> int:
        return (timezone.localdate(moment) - self.week_start).days

    def build(self) -> WeekInstance:
        week = self.week
        self.read_sessions()
        rooms = self.read_rooms()
        group_types = {g.code: g for g in GroupType.objects.filter(organization=self.organization)}
        staff = self.read_staff(group_types)
        sections = self.read_sections()
        patients = self.read_patients(sections)
        fixed = self.fixed_sessions()
        week.data = {
            "week_start": self.week_start.isoformat(),
            "rooms": rooms,
            "group_types": [{"id": g.code, "name": g.name, "max_size": g.max_size} for g in group_types.values()],
            "staff": staff,
            "sections": sections,
            "patients": patients,
            "fixed": fixed,
        }
        week.fingerprint = fingerprint(self.organization, self.week_start)
        return week

    # rows ---------------------------------------------------------------------------------------

    def read_sessions(self) -> None:
        sessions = list(
            Session.objects.filter(program__organization=self.organization, starts_at__gte=self.begins,
                                   starts_at__lt=self.ends)
            .select_related("program", "series", "group_type", "room")
            .prefetch_related("staff", "attendees__patient", "attendees__episode__program")
        )
        self.sessions = [s for s in sessions if s.status != SessionStatus.CANCELLED]
        self.cancelled_series = {(s.series_id, timezone.localdate(s.starts_at)) for s in sessions
                                 if s.is_cancelled and s.series_id}
        self.reminded = set(ReminderSent.objects.filter(session__in=self.sessions).values_list("session_id", flat=True))
        # Attendance recorded ahead (an excused absence) is a record about the session: keep it.
        self.with_attendance = set(Attendance.objects.filter(session__in=self.sessions)
                                   .values_list("session_id", flat=True))
        for session in self.sessions:
            for attendee in session.attendees.all():
                self.week.patients[attendee.patient.mrn] = attendee.patient
            if session.kind == SessionKind.DRUG_SCREEN:
                spans = span_of(self.week_start, session.starts_at, session.ends_at)
                for attendee in session.attendees.all():
                    self.patient_busy[attendee.patient.mrn].extend(spans)
                for member in session.staff.all():
                    self.staff_busy[member.username].extend(spans)

    def kept(self, session: Session) -> bool:
        """Whether a full solve keeps the session as it is."""
        return (session.starts_at < self.week.now or session.fixed or session.source != SessionSource.SOLVER
                or session.pk in self.reminded or session.pk in self.with_attendance)

    def read_rooms(self) -> list[dict]:
        result = []
        for room in Room.objects.filter(site__organization=self.organization).order_by("pk"):
            room_id = f"room-{room.pk}"
            self.week.rooms[room_id] = room
            result.append({"id": room_id, "capacity": room.capacity})
        self.room_list = result
        return result

    def read_staff(self, group_types) -> list[dict]:
        profiles = {
            p.user_id: p for p in StaffProfile.objects.filter(user__organization=self.organization, user__is_active=True)
            .select_related("user").prefetch_related("leads")
        }
        users = {p.user.username: p.user for p in profiles.values()}
        # People on a kept session without a profile are in the instance too (with no hours),
        # so that the session can be kept; the solver gives them nothing new.
        for session in self.sessions:
            for member in session.staff.all():
                users.setdefault(member.username, member)
        hours = defaultdict(list)
        for row in StaffAvailability.objects.filter(user__in=users.values()):
            hours[row.user_id].append((row.weekday, row.start.hour * 60 + row.start.minute,
                                       row.end.hour * 60 + row.end.minute))
        off = defaultdict(list)
        for row in TimeOff.objects.filter(user__in=users.values(), starts_at__lt=self.ends, ends_at__gt=self.begins):
            off[row.user_id].extend(span_of(self.week_start, row.starts_at, row.ends_at))
        result = []
        self.free_time: dict[str, list[Span]] = {}
        for username, user in sorted(users.items()):
            profile = profiles.get(user.pk)
            self.week.staff[username] = user
            availability = merge(hours[user.pk]) if profile else []
            if self.mode != "check":
                availability = self.after_cutoff(availability)
            self.free_time[username] = subtract(availability, [*off[user.pk], *self.staff_busy[username]])
            result.append({
                "id": username, "name": user.display_name,
                "max_minutes": profile.max_weekly_minutes if profile else 0,
                "leads": sorted(g.code for g in profile.leads.all() if g.code in group_types) if profile else [],
                "services": profile.services if profile else [],
                "availability": as_windows(availability),
                "time_off": as_windows([*off[user.pk], *self.staff_busy[username]]),
            })
        self.staff_ids = set(users)
        self.gives_individual = {p.user.username for p in profiles.values() if p.gives_individual}
        return result

    def read_sections(self) -> list[dict]:
        series_list = (
            GroupSeries.objects.filter(program__organization=self.organization, program__active=True)
            .select_related("program", "group_type", "room", "facilitator").order_by("pk")
        )
        by_series = defaultdict(list)
        for session in self.sessions:
            if session.series_id and session.kind == SessionKind.GROUP:
                by_series[session.series_id].append(session)
        self.section_session: dict[int, Session] = {}
        last_week = self.last_facilitators(series_list)
        result = []
        stand_ins = []
        for series in series_list:
            held = sorted(by_series.get(series.pk, []), key=lambda s: s.starts_at)
            # The session the section is: one kept as it is (a full solve replaces the others and
            # makes the series' session again from its template).
            session = next((s for s in held if self.mode != "full" or self.kept(s) or self.arranged_by_hand(s)), None)
            if session is not None:
                day = timezone.localdate(session.starts_at)
            else:
                day = next((d for d in week_days(self.week_start) if series.runs_on(d)), None)
                if day is None or (series.pk, day) in self.cancelled_series:
                    continue
            section_id = f"series-{series.pk}"
            index = (day - self.week_start).days
            if session is not None:
                self.section_session[session.pk] = section_id
                start, minutes = _minute_of(session.starts_at, day), session.minutes
                room, telehealth = session.room, session.telehealth
                facilitator = next((m.username for m in session.staff.all()), None)
            else:
                start, minutes = series.start.hour * 60 + series.start.minute, series.minutes
                if self.mode != "check" and self.cutoff is not None and (index, start) < self.cutoff:
                    continue                    # already past, and nobody held it
                room, telehealth = series.room, series.telehealth
                facilitator = series.facilitator.username if series.facilitator_id else None
                if facilitator and not any(d == index and s <= start and start + minutes <= e
                                           for d, s, e in self.free_time.get(facilitator, [])):
                    facilitator = None          # off that day (or out of hours): the solver finds cover
            self.week.sections[section_id] = (series, day)
            room_id = f"room-{room.pk}" if room is not None and not telehealth else None
            if self.mode == "check":
                facilitator = None      # the session's own staff are the facts to check
            elif telehealth and not (session is not None and self.fixed_here(session)):
                # The solver must not choose a room for it: a stand-in room of its own.
                room_id = f"{TELEHEALTH_ROOM}{series.pk}"
                self.week.rooms[room_id] = None
                stand_ins.append({"id": room_id, "capacity": series.group_type.max_size + 1})
            result.append({
                "id": section_id, "track": series.program.code, "group_type": series.group_type.code,
                "day": index, "start": format_time(start), "minutes": minutes, "room": room_id,
                "facilitator": facilitator if facilitator in self.staff_ids else None,
                "last_facilitator": last_week.get(series.pk),
            })
        self.room_list.extend(stand_ins)
        self.section_dicts = {section["id"]: section for section in result}
        return result

    def last_facilitators(self, series_list) -> dict[int, str]:
        """Who led each series' session the week before (for continuity when the solver picks)."""
        begins, ends = week_bounds(self.week_start - dt.timedelta(days=7))
        found = {}
        for session in (Session.objects.filter(series__in=series_list, starts_at__gte=begins, starts_at__lt=ends,
                                               status=SessionStatus.SCHEDULED)
                        .prefetch_related("staff").order_by("starts_at", "pk")):
            leader = next((m.username for m in session.staff.all() if m.username in self.staff_ids), None)
            if leader is not None:
                found.setdefault(session.series_id, leader)
        return found

    def arranged_by_hand(self, session: Session) -> bool:
        """A series session not fixed and not started where staff added someone by hand (e.g. a
        join mid-series before the week was solved)."""
        return (self.mode == "full" and not session.fixed and session.series_id is not None
                and session.starts_at >= self.week.now and bool(session.room_id or session.telehealth)
                and bool(session.staff.all()) and any(row.placed_by_hand for row in session.attendees.all()))

    def fixed_here(self, session: Session) -> bool:
        """Whether the session goes into the instance as `fixed` (not as a booked section)."""
        if self.mode == "full":
            return self.kept(session)
        if self.mode == "repair":
            # A booked section runs with its room and facilitator: a session missing either
            # (entered by hand without them) is kept as it is instead.
            joinable = (session.pk in self.section_session and session.starts_at >= self.week.now
                        and (session.room_id or session.telehealth) and session.staff.all())
            return not joinable
        return False

    def read_patients(self, sections: list[dict]) -> list[dict]:
        from openiop.plans.queries import service_mix

        episodes = self.episodes()
        availability = {
            row.patient_id: row for row in PatientAvailability.objects.filter(patient__in=[e.patient for e in episodes])
        }
        primaries = defaultdict(list)
        for member in (CareTeamMember.objects.filter(episode__in=episodes, role=CareTeamRole.PRIMARY_CLINICIAN,
                                                     end_date__isnull=True, user__is_active=True)
                       .select_related("user").order_by("start_date", "pk")):
            primaries[member.episode_id].append(member.user.username)
        memberships = defaultdict(list)
        for membership in SeriesMembership.objects.filter(episode__in=episodes, joined_on__lte=self.week_end):
            memberships[membership.patient_id].append(membership)
        by_series = {series.pk: (section_id, day) for section_id, (series, day) in self.week.sections.items()}
        result = []
        for episode in episodes:
            patient = episode.patient
            pid = patient.mrn
            self.week.patients[pid] = patient
            self.week.episodes[pid] = episode
            track = episode.program.code
            notes, assumed = [], []
            row = availability.get(patient.pk)
            spans = spans_of(row.windows) if row is not None else []
            if not spans:
                spans = self.program_hours(track, sections)
                assumed.append(NO_AVAILABILITY)
            spans = subtract(spans, self.patient_busy[pid])
            first = max(episode.admitted_on, self.week_start)
            last = min(episode.discharged_on or self.week_end, self.week_end)
            spans = keep_between(spans, ((first - self.week_start).days, 0), ((last - self.week_start).days, DAY))
            if self.mode != "check":
                spans = self.after_cutoff(spans)
            blocks, services = demand_of(episode, service_mix(episode), self.week_start)
            primary = next((u for u in primaries[episode.pk] if u in self.gives_individual), None)
            if "individual" in services and primary is None:
                del services["individual"]
                notes.append(NO_PRIMARY)
            low, high = minutes_band(episode)
            continuity = sorted(
                section_id for series_id, (section_id, day) in by_series.items()
                if any(m.series_id == series_id and m.covers(day) for m in memberships[patient.pk])
            )
            result.append({
                "id": pid, "track": track, "primary_clinician": primary,
                "availability": as_windows(spans),
                "demand": {"group_blocks": blocks} | {
                    service: {"sessions": services[service][0], "minutes": services[service][1]}
                    if service in services else None
                    for service in ("individual", "family", "medication")
                },
                "min_minutes": low, "max_minutes": high,
                "last_week_sections": continuity,
            })
            if notes:
                self.week.unmet_notes[pid] = notes
            if assumed:
                self.week.assumptions[pid] = assumed
        return result

    def episodes(self) -> list[EpisodeOfCare]:
        """The active episodes of the week, one per patient (their latest)."""
        episodes = (
            EpisodeOfCare.objects.filter(
                program__organization=self.organization, program__active=True, status=EpisodeStatus.ACTIVE,
                admitted_on__lte=self.week_end,
            ).exclude(discharged_on__lt=self.week_start)
            .select_related("patient", "program").order_by("-admitted_on", "-pk")
        )
        if self.mode == "repair":
            episodes = episodes.filter(patient__in=self.repair_patients)
        elif self.mode == "check":
            # Everyone on the week's rosters too, whatever their episode's status: the validator
            # needs to know them.
            named = [p.pk for p in self.week.patients.values()]
            episodes = (
                EpisodeOfCare.objects.filter(program__organization=self.organization, admitted_on__lte=self.week_end)
                .exclude(discharged_on__lt=self.week_start)
                .filter(Q(pk__in=episodes.values("pk")) | Q(patient__in=named))
                .select_related("patient", "program").order_by("-admitted_on", "-pk")
            )
        latest = {}
        for episode in episodes:
            latest.setdefault(episode.patient_id, episode)
        found = sorted(latest.values(), key=lambda e: e.patient.mrn)
        if self.mode == "repair":
            missing = sorted(p.mrn for p in self.repair_patients if p.pk not in latest)
            if missing:
                raise WeekError(
                    f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no active episode in the "
                    f"week of {self.week_start.isoformat()}: only admitted patients can be scheduled."
                )
        return found

    def program_hours(self, track: str, sections: list[dict]) -> list[Span]:
        spans = [(d, *ASSUMED_HOURS) for d in range(5)]
        spans += [(s["day"], parse_time(s["start"], "", []), parse_time(s["start"], "", []) + s["minutes"])
                  for s in sections if s["track"] == track]
        return merge(spans)

    def fixed_sessions(self) -> list[dict]:
        """Kept sessions (full and repair) as `fixed`; booked sections noted; in check mode every
        session becomes a schedule session instead."""
        fixed = []
        for session in self.sessions:
            if session.kind == SessionKind.DRUG_SCREEN:
                continue                        # their time is cut out of availability instead
            section_id = self.section_session.get(session.pk)
            # A session someone added a patient to by hand (a join mid-series) stays with its
            # roster, as a booked section others may still be seated in.
            if self.mode == "full" and not self.kept(session) and not (section_id and self.arranged_by_hand(session)):
                self.week.replaceable.append(session.pk)
                continue
            planned = self.planned(session, section_id)
            if self.mode == "check":
                self.as_scheduled.append(planned)
                continue
            if section_id and (not self.fixed_here(session) or self.arranged_by_hand(session)):
                # Repair: the section runs as it is; its roster stays and the solver may add to it.
                self.week.booked[section_id] = sorted(a.patient.mrn for a in session.attendees.all())
                self.section_dicts[section_id]["booked"] = self.week.booked[section_id]
                self.week.existing[section_id] = session
                continue
            raw = {
                "id": planned.id, "kind": planned.kind, "day": planned.day, "start": format_time(planned.start),
                "minutes": planned.minutes, "room": planned.room, "staff": list(planned.staff),
                "patients": list(planned.patients), "telehealth": planned.telehealth,
                "group_type": planned.group_type, "section": planned.section,
            }
            if raw["room"] is None and not raw["telehealth"]:
                # In person with no room (entered by hand without one): it takes its people's
                # time but no room's. `check_week` reports it (rule 7).
                raw["telehealth"] = True
            fixed.append(raw)
            self.week.existing[planned.id] = session
        return fixed

    def planned(self, session: Session, section_id: str | None) -> PlannedSession:
        day = timezone.localdate(session.starts_at)
        room_id = None
        if session.room_id:
            room_id = f"room-{session.room_id}"
            if room_id not in self.week.rooms:      # another organization's room: never expected
                room_id = None
        kind = session.kind if session.kind in (SessionKind.GROUP, *ONE_TO_ONE) else str(session.kind)
        return PlannedSession(
            id=section_id if (section_id and self.mode == "check") else f"s{session.pk}", kind=kind,
            day=(day - self.week_start).days, start=_minute_of(session.starts_at, day), minutes=session.minutes,
            room=room_id, staff=tuple(m.username for m in session.staff.all()),
            patients=tuple(sorted(a.patient.mrn for a in session.attendees.all())),
            telehealth=session.telehealth, group_type=session.group_type.code if session.group_type_id else None,
            section=section_id,
        )


# The usual IOP group block (three hours), when a plan names no group line.
BLOCK_MINUTES = 180


def demand_of(episode, lines, week_start: dt.date) -> tuple[int, dict[str, tuple[int, int]]]:
    """Group blocks and one-to-one services (sessions, minutes) the plan asks for this week.

    `lines` are the signed plan's service lines; with no signed plan, the default mix that new
    plans start from. A line every n weeks falls in the weeks n, 2n… after the admission week.
    Psychoeducation classes are taught inside the track's group blocks (an IOP block mixes
    process, skills and psychoeducation): only whole blocks' worth of them (e.g. a 180-minute
    class) add a block; a weekly 60-minute class adds none. Drug screens and case management are
    not booked by the solver."""
    from openiop.plans.models import Service
    from openiop.plans.services import DEFAULT_SERVICE_MIX

    rows = [(line.service, line.sessions, line.minutes, line.every_weeks) for line in lines]
    if not rows:
        rows = [tuple(row) for row in DEFAULT_SERVICE_MIX]
    weeks_in = (week_start - week_of(episode.admitted_on)).days // 7
    blocks = 0
    block_minutes = max([minutes for service, _, minutes, _ in rows if service == Service.GROUP] or [BLOCK_MINUTES])
    services: dict[str, tuple[int, int]] = {}
    for service, sessions, minutes, every_weeks in rows:
        if every_weeks > 1 and weeks_in % every_weeks:
            continue
        if service == Service.GROUP:
            blocks += sessions
        elif service == Service.PSYCHOEDUCATION:
            blocks += sessions * minutes // block_minutes
        elif service in (Service.INDIVIDUAL, Service.FAMILY, Service.MEDICATION) and sessions:
            had_sessions, had_minutes = services.get(str(service), (0, 0))
            # Two lines of one service (e.g. 30 and 60 minutes) are booked at the longer length.
            services[str(service)] = (had_sessions + sessions, max(had_minutes, minutes))
    return blocks, services


def minutes_band(episode) -> tuple[int, int]:
    """The patient's weekly minutes: the program's band, or the planned hours as the target."""
    program = episode.program
    low, high = program.min_weekly_hours * 60, program.max_weekly_hours * 60
    if episode.planned_weekly_hours:
        target = int(episode.planned_weekly_hours * 60)
        low, high = target, max(high, target)
    high = max(high, 1)
    return min(low, high), high


def fingerprint(organization, week_start: dt.date) -> tuple:
    """What the week's calendar holds now; apply refuses when it changed since the instance."""
    begins, ends = week_bounds(week_start)
    sessions = Session.objects.filter(program__organization=organization, starts_at__gte=begins, starts_at__lt=ends)
    rows = tuple(sessions.order_by("pk").values_list("pk", "status", "fixed", "source", "starts_at", "ends_at", "room_id"))
    roster = tuple(Attendee.objects.filter(session__in=sessions).order_by("pk").values_list("session_id", "patient_id"))
    reminded = tuple(ReminderSent.objects.filter(session__in=sessions).order_by("pk").values_list("session_id", flat=True))
    return rows, roster, reminded


# Writing a solved week --------------------------------------------------------------------------


@dataclass
class ApplyResult:
    sessions_created: int = 0
    sessions_removed: int = 0
    attendees_added: int = 0
    attendees_removed: int = 0
    memberships_created: int = 0
    changed: list[str] = field(default_factory=list)            # MRNs whose week changed
    unmet: dict[str, list[str]] = field(default_factory=dict)   # MRN → reasons, patients not meeting plan
    meeting_plan: int = 0
    patients: int = 0


def unmet_of(week: WeekInstance, schedule: Schedule) -> tuple[dict[str, list[str]], int]:
    """Per patient being scheduled, why their plan is not met (with what was assumed); and how
    many meet it."""
    unmet, meeting = {}, 0
    for pid in week.scheduled:
        lines = list(week.unmet_notes.get(pid, [])) + list(schedule.unmet.get(pid, []))
        patient = schedule.instance.patients[pid]
        if not schedule.meets_plan(patient) and not schedule.unmet.get(pid):
            lines.append("The plan's services could not all be placed this week.")
        if lines:
            unmet[pid] = lines + list(week.assumptions.get(pid, []))
        else:
            meeting += 1
    return unmet, meeting


def without_stand_in_rooms(week: WeekInstance, schedule: Schedule) -> Schedule:
    """Drop one-to-one visits the solver put in a telehealth section's stand-in room (which is
    no room at all) and say so in the patient's unmet reasons."""
    kept, unmet = [], {k: list(v) for k, v in schedule.unmet.items()}
    fixed = week.fixed_ids
    for session in schedule.sessions:
        if (session.kind != "group" and session.id not in fixed and session.room
                and session.room.startswith(TELEHEALTH_ROOM)):
            for pid in session.patients:
                unmet.setdefault(pid, []).append(NO_OFFICE.format(service=session.kind.capitalize()))
            continue
        kept.append(session)
    return Schedule(schedule.instance, kept, unmet, schedule.solver)


@transaction.atomic
def apply_schedule(organization, week_start: dt.date, week_instance: WeekInstance, schedule: Schedule, *,
                   by=None, repair: bool | None = None, now: dt.datetime | None = None) -> ApplyResult:
    """Write a solved week to the calendar, in one transaction.

    Full mode first removes the week's future sessions placed by the solver that were not kept
    (with their rosters); repair mode removes nothing. Then each new session is created (group
    sessions through `services.ensure_series_session`, labelled roster rows for the patients
    newly seated, and a `SeriesMembership` from that day for anyone seated in a series they were
    not a member of). Side effects: one audit CREATE event per patient whose week changed
    (detail {"week": ...}). Raises WeekError when the calendar changed since the instance was
    built, or when a session to replace has records attached (e.g. attendance)."""
    week = week_instance
    if repair is not None and repair != week.repair:
        raise ValueError("apply_schedule: `repair` differs from the mode the instance was built in.")
    if week.week_start != week_start or week.organization != organization:
        raise ValueError("apply_schedule: the instance is of another week or organization.")
    if fingerprint(organization, week_start) != week.fingerprint:
        raise WeekError(
            "The week's calendar changed while the solver was working (someone booked, moved or cancelled a "
            "session). Nothing was saved; run the solver again."
        )
    now = now or timezone.now()
    result = ApplyResult()
    before: dict[int, set] = defaultdict(set)    # patient pk → what they had (removed sessions)
    after: dict[int, set] = defaultdict(set)     # patient pk → what they got
    if not week.repair:
        _remove_replaced(week, now, result, before)
    fixed = week.fixed_ids
    membership_cache: dict[tuple[int, int], SeriesMembership] = {}
    for planned in sorted(schedule.sessions, key=lambda s: (s.day, s.start, s.id)):
        if planned.id in fixed:
            continue
        newcomers = [pid for pid in planned.patients if pid in week.episodes]
        if planned.kind == "group":
            _write_group(week, planned, newcomers, by, now, result, after, membership_cache)
        elif newcomers:
            _write_visit(week, planned, newcomers, by, now, result, after)
    by_pk = {p.pk: p for p in week.patients.values()}
    changed = [by_pk[pk] for pk in set(before) | set(after) if before.get(pk) != after.get(pk)]
    changed.sort(key=lambda p: p.mrn)
    audit.record_many(user=by, action=Action.CHANGE, patients=changed, object_type="scheduling.week",
                      detail={"scheduling": "weekly schedule", "week": week_start.isoformat()})
    result.changed = [p.mrn for p in changed]
    result.unmet, result.meeting_plan = unmet_of(week, schedule)
    result.patients = len(week.scheduled)
    return result


def _what(session_kind, starts_at, ends_at, series_id) -> tuple:
    return (str(session_kind), starts_at, ends_at, series_id)


def _remove_replaced(week: WeekInstance, now, result: ApplyResult, before) -> None:
    doomed = list(Session.objects.filter(pk__in=week.replaceable).prefetch_related("attendees"))
    for session in doomed:
        if session.starts_at < now or session.fixed or session.source != SessionSource.SOLVER:
            raise WeekError("The week's calendar changed while the solver was working. Nothing was saved; "
                            "run the solver again.")
    for session in doomed:
        rows = list(session.attendees.all())
        for row in rows:
            before[row.patient_id].add(_what(session.kind, session.starts_at, session.ends_at, session.series_id))
        try:
            Attendee.objects.filter(pk__in=[r.pk for r in rows]).delete()
            session.staff.clear()
            session.delete()
        except ProtectedError as error:
            local = timezone.localtime(session.starts_at)
            raise WeekError(
                f"The {session.title} session of {local:%A %d %B %H:%M} has records attached "
                f"({', '.join(sorted({o._meta.verbose_name for o in error.protected_objects}))}), so the solver "
                "cannot replace it. Mark it fixed (or cancel it) and run the solver again. Nothing was saved."
            ) from error
        result.attendees_removed += len(rows)
        result.sessions_removed += 1


def _when(week: WeekInstance, planned: PlannedSession) -> tuple[dt.datetime, dt.datetime]:
    day = week.week_start + dt.timedelta(days=planned.day)
    starts_at = local_moment(day, dt.time(planned.start // 60, planned.start % 60))
    return starts_at, plus_minutes(starts_at, planned.minutes)


def _write_group(week, planned, newcomers, by, now, result, after, membership_cache) -> None:
    if planned.section not in week.sections:
        raise WeekError(f"The solver placed a group in an unknown section '{planned.section}'. Nothing was saved.")
    series, day = week.sections[planned.section]
    session = week.existing.get(planned.section)
    if session is None:
        there = Session.objects.filter(series=series, starts_at=local_moment(day, series.start)).exists()
        session = services.ensure_series_session(series, day, source=SessionSource.SOLVER, by=by)
        if not there:
            result.sessions_created += 1
            session.room = None if session.telehealth else week.room_of(planned.room)
            session.save(update_fields=["room"])
            session.staff.set([week.staff[s].pk for s in planned.staff if s in week.staff])
    if session.starts_at < now:
        raise WeekError("The week's calendar changed while the solver was working. Nothing was saved; "
                        "run the solver again.")
    seated = set(session.attendees.values_list("patient_id", flat=True))
    for pid in newcomers:
        episode = week.episodes[pid]
        patient = episode.patient
        if patient.pk in seated:
            continue
        membership = _membership(series, episode, day, by, result, membership_cache)
        row = Attendee(session=session, patient=patient, episode=episode, membership=membership)
        row.label_for_program(episode.program)
        row.save()
        result.attendees_added += 1
        after[patient.pk].add(_what(session.kind, session.starts_at, session.ends_at, session.series_id))


def _membership(series, episode, day, by, result, cache) -> SeriesMembership:
    key = (series.pk, episode.patient_id)
    if key in cache:
        return cache[key]
    existing = [m for m in SeriesMembership.objects.filter(series=series, patient_id=episode.patient_id)
                if m.covers(day)]
    if existing:
        membership = existing[0]
    else:
        membership = SeriesMembership(series=series, patient=episode.patient, episode=episode, joined_on=day,
                                      added_by=by if getattr(by, "is_authenticated", False) else None)
        membership.label_for_program(episode.program)
        membership.save()
        result.memberships_created += 1
    cache[key] = membership
    return membership


def _write_visit(week, planned, newcomers, by, now, result, after) -> None:
    starts_at, ends_at = _when(week, planned)
    if starts_at < now:
        raise WeekError("The solver placed a session in the past (the solve ran long). Nothing was saved; "
                        "run the solver again.")
    episode = week.episodes[newcomers[0]]
    session = Session.objects.create(
        program=episode.program, kind=planned.kind, starts_at=starts_at, ends_at=ends_at,
        room=None if planned.telehealth else week.room_of(planned.room), telehealth=planned.telehealth,
        source=SessionSource.SOLVER, created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    session.staff.set([week.staff[s].pk for s in planned.staff if s in week.staff])
    result.sessions_created += 1
    for pid in newcomers:
        episode = week.episodes[pid]
        row = Attendee(session=session, patient=episode.patient, episode=episode)
        row.label_for_program(episode.program)
        row.save()
        result.attendees_added += 1
        after[episode.patient_id].add(_what(session.kind, starts_at, ends_at, None))


# Solving a week ---------------------------------------------------------------------------------


def solve_week(organization, week_start: dt.date, *, repair_patients=None, seconds: float = 30, by=None,
               progress: Callable[[int, str], None] | None = None, now=None, workers: int = 2) -> dict:
    """Build the week, solve it, check it with the independent validator and save it.

    `now` is the moment the solve acts at (default: now): nothing new is placed before it, and
    sessions that started before it are kept. A past week can be filled in (the demo's history)
    by passing its Monday's start.

    Raises WeekError for a week that cannot be solved as asked (not a Monday, already over,
    changed while solving) and ScheduleRefused when the validator finds a broken rule (nothing is
    saved then). Side effects: those of `apply_schedule`. Returns a summary (plain data)."""
    from openiop.scheduling.solver import solve

    report = progress or (lambda percent, stage: None)
    check_week_start(week_start)
    now = now or timezone.now()
    if week_bounds(week_start)[1] <= now:
        raise WeekError(f"The week of {week_start.isoformat()} is over: nothing can be scheduled in it.")
    report(5, "Reading the week from the calendar")
    week = instance_for_week(organization, week_start, repair_patients=repair_patients, now=now)
    report(15, f"Solving (up to {seconds:g} seconds)")
    schedule = without_stand_in_rooms(week, solve(week.instance, seconds=seconds, workers=workers))
    report(85, "Checking every rule")
    found = week.new_violations(schedule)
    if found:
        raise ScheduleRefused(found)
    report(90, "Saving the week")
    result = apply_schedule(organization, week_start, week, schedule, by=by, now=now)
    report(100, "Done")
    return {
        "week_start": week_start.isoformat(),
        "mode": "repair" if week.repair else "full",
        "patients": result.patients,
        "meeting_plan": result.meeting_plan,
        "unmet": result.unmet,
        "violations": 0,
        "seconds": schedule.solver.get("seconds"),
        "solver_status": schedule.solver.get("status"),
        "sessions_created": result.sessions_created,
        "sessions_removed": result.sessions_removed,
        "attendees_added": result.attendees_added,
        "memberships_created": result.memberships_created,
        "changed": result.changed,
    }
