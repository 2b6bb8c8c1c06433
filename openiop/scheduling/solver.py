"""The weekly schedule with OR-Tools CP-SAT (docs/scheduling.md): `solve(instance) -> Schedule`.

`solve()` works in three parts, all within its `seconds` (importing OR-Tools and building the
models included):

1. **Who could meet their plan at all** (`could_meet_alone`). Each patient is checked alone in
   the clinic (everybody else removed; fixed sessions and booked seats stay): can their
   remaining group blocks and one-to-one sessions be placed at distinct, non-overlapping times
   when they, a qualified free staff member and a section with seats and a possible
   facilitator are available, within their weekly maximum? A small exact search answers it. A
   patient who cannot is never counted as able to meet the plan (but still gets what can be
   placed).
2. **The search** (`WeekModel`, CP-SAT), in two phases. Phase 1 maximises the number of
   patients meeting their plan, starting from the greedy baseline's week, until the proven
   bound is reached or progress stalls. Phase 2 keeps at least that many (a constraint) and
   optimises the lower tiers: sessions placed (partial attendance), continuity (last week's
   section and facilitator), idle gaps (fewer days coming in, then one-to-one sessions right
   before or after the day's group block), the busiest staff member's load.
3. **The proven bound** (`BoundModel`, `Prover`), beside the search: HiGHS is asked whether a
   relaxation of the week has a week with more patients meeting their plan than the search
   found (its linear relaxation first, then the integer programme). "No" proves the search's
   week is the best possible; otherwise what HiGHS proves about the relaxation bounds it. So
   `fraction_meeting_plan / bound` says how far from the best possible week the result can be.

The search model, in short:

- Fixed sessions and booked sections are not variables. They block their patients, staff and
  rooms and count toward demand; a section held as a fixed session is taken as it is, and a
  booked section runs with its room and facilitator and offers its remaining seats.
- Group attendance: `attend[p, slot]` for each patient of a track and each *slot* (the track's
  sections at one time) they are free for. Parallel sections at one time are interchangeable
  for a patient, so the model only chooses which sections run: `active[s]`, with exactly one of
  `lead[s, t]` (the given facilitator, or each qualified staff member free then) and one of
  `room[s, r]` (the given room, or the rooms big enough for the group), and a slot takes at
  most the seats of its running sections and at least one patient per running section (empty
  sections cost nobody's time). Who sits where is settled when reading the week back
  (`seat_in_sections`: last week's section first). Continuity counts, per section, the
  patients who were in it last week, up to its seats.
- One-to-one services: `visit[p, service, staff, day, start]` for starts on a 30-minute grid
  inside an overlap of the patient's and the right staff member's free time (individual: the
  primary clinician; family: the primary clinician when they offer it and share time with the
  patient, otherwise anyone offering it; medication: anyone offering it), at most 40 spread
  over the week per patient and service.
- Nobody in two places at once: all starts lie at known times, and two intervals overlap only
  when one contains the other's start. So for each patient, staff member and group room, at
  each start time, the sessions covering that moment sum to at most 1.
- Rooms for one-to-one sessions are a pool: every room seating two. At each moment the
  sessions using the pool (and group sections choosing a pool room) are at most the pool rooms
  free then (and the same for rooms seating 3, which family sessions need). Concrete rooms are
  handed out afterwards, earliest session first, smallest fitting room first; in the rare case
  that fails the session is dropped, so the schedule stays valid and the unmet reason says so.
- `met[p]` exists only for patients who could meet their plan alone; it requires every count
  (`sum(counts) >= need * met`, which the LP relaxation reads directly).

The bound model is a relaxation (every valid week is one of its solutions, restricted to its
grid, see below). It keeps what decides who can meet their plan and drops the rest:

- only patients who could meet their plan alone; their group blocks as one yes/no per distinct
  section time, with the seats of the sections that run then: a section runs when a qualified
  free facilitator leads it (one place at a time, within their weekly maximum) and seats its
  group size (fewer when its room is set; a booked section its seats left);
- individual therapy as one yes/no per start with the primary clinician; family sessions and
  medication visits as one yes/no per start, with staff pooled: at each moment the pooled
  sessions plus what the staff offering that service are known to do then are at most the
  number of them working then, and their minutes at most their weekly maxima together;
- no rooms (a session may be telehealth, so rooms never make the bound smaller);
- each patient in one place at a time and within their weekly maximum.

What "can meet the plan" ranges over: one-to-one sessions are for one patient and last the
plan's minutes (as the solver and the greedy baseline make them), and sessions start on a grid
of g minutes, g = the greatest common divisor of 30 and every time and length
in the instance (30 for instances on the half hour). When every time is a multiple of g,
moving each session earlier to the grid keeps a valid week valid, so the grid loses nothing and
the bound holds for every valid week. (Below a 10-minute grid the relaxation is not built and
the bound is the count of patients who could meet their plan alone.)

HiGHS, through OR-Tools, may overrun its time limit and cannot be interrupted, so a large bound
model is solved in a child process (`_CHILD`) that is stopped at the deadline; a small one is
solved in this process.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce

from openiop.scheduling.explain import unmet_reasons
from openiop.scheduling.instance import Instance, Patient, Schedule, Section, Session

GRID = 30                                   # minutes between candidate start times (search)
MAX_CHOICES = 40                            # candidate times per patient and service (search)
DAY = 24 * 60
SEATS_NEEDED = {"individual": 2, "medication": 2, "family": 3}   # patient + staff (+ family)
ID_PREFIX = {"individual": "ind", "family": "fam", "medication": "med"}
FINEST_BOUND_GRID = 10                      # minutes; below this the relaxation is not built
ALONE_SEARCH_LIMIT = 20_000                 # steps of the per-patient check before giving up
POOLED = ("family", "medication")           # one-to-one services with staff pooled in the bound
STALL_SECONDS, STALL_SHARE = 2.5, 0.5        # phase 1 ends when this long without progress
PROVE_SECONDS, PROVE_SHARE = 1.5, 0.25       # the proof starts when this long without progress
PHASE_ONE_SHARE = 0.6                        # of the time left when phase 1 starts, at most
SHORTEST_TWO_PHASES = 4.0                    # seconds left; with less, phase 2 alone
SMALL_BOUND_MODEL = 3000                    # variables; larger bound models are solved in a child

log = logging.getLogger(__name__)


# What the fixed sessions and booked seats already take -----------------------------------------


@dataclass
class Taken:
    """Fixed sessions and booked sections as busy times per person and room, and what they give
    each patient."""

    busy: dict[str, list[tuple[int, int, int]]] = field(default_factory=lambda: defaultdict(list))
    minutes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kinds: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    sections: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    fixed_sections: set[str] = field(default_factory=set)       # held as fixed sessions: closed
    booked: dict[str, tuple[str, ...]] = field(default_factory=dict)   # section → booked patients

    def is_busy(self, who: str, day: int, start: int, end: int) -> bool:
        return any(d == day and start < e and s < end for d, s, e in self.busy.get(who, ()))

    def add(self, session: Session) -> None:
        people = [*session.patients, *session.staff]
        for who in [*people, *([f"room:{session.room}"] if session.room else [])]:
            self.busy[who].append((session.day, session.start, session.end))
        for who in people:
            self.minutes[who] += session.minutes
        for patient in session.patients:
            self.kinds[patient, session.kind] += 1
            if session.section:
                self.sections[patient].add(session.section)


def booked_session(section: Section, others: tuple[str, ...] = ()) -> Session:
    """A booked section as it is held: its room, its facilitator, the booked patients and others."""
    return Session(
        id=section.id, kind="group", day=section.day, start=section.start, minutes=section.minutes,
        room=section.room, staff=(section.facilitator,), patients=(*section.booked, *others),
        group_type=section.group_type, section=section.id,
    )


def taken_by_fixed(instance: Instance) -> Taken:
    taken = Taken()
    for session in instance.fixed:
        taken.add(session)
        if session.section:
            taken.fixed_sections.add(session.section)
    for section in instance.sections.values():
        if section.booked and section.id not in taken.fixed_sections:
            taken.add(booked_session(section))
            taken.booked[section.id] = section.booked
    return taken


def remaining_demand(instance: Instance, taken: Taken) -> dict[tuple[str, str], int]:
    """Sessions still to place per (patient, "group" or service) after the fixed and booked ones."""
    left = {}
    for patient in instance.patients.values():
        left[patient.id, "group"] = max(0, patient.group_blocks - taken.kinds[patient.id, "group"])
        for service, demand in patient.services.items():
            left[patient.id, service] = max(0, demand.sessions - taken.kinds[patient.id, service])
    return left


def bound_grid(instance: Instance) -> int:
    """The greatest common divisor of 30 and every time and length in the instance: sessions
    starting on this grid lose nothing (see the module docstring)."""
    values = [GRID]
    for owner in [*instance.staff.values(), *instance.patients.values()]:
        for w in (*owner.availability, *getattr(owner, "time_off", ())):
            values += [w.start, w.end]
    for item in [*instance.sections.values(), *instance.fixed]:
        values += [item.start, item.minutes]
    for patient in instance.patients.values():
        values += [d.minutes for d in patient.services.values()]
    return reduce(math.gcd, values)


@dataclass(frozen=True)
class Visit:
    """One possible one-to-one session."""

    patient: str
    service: str
    staff: str
    day: int
    start: int
    minutes: int

    @property
    def end(self) -> int:
        return self.start + self.minutes


def spread(choices: list, most: int) -> list:
    """At most `most` choices (day, start, staff), evenly spread over the week (every k-th in
    time order)."""
    if len(choices) <= most:
        return choices
    ordered = sorted(choices)
    step = len(ordered) / most
    return [ordered[int(i * step)] for i in range(most)]


class Prepared:
    """The week as the models see it: what is taken, what is left to place, and (computed once,
    cached) everyone's free time, the sections that can run and the candidate times."""

    def __init__(self, instance: Instance):
        self.instance = instance
        self.taken = taken_by_fixed(instance)
        self.left = remaining_demand(instance, self.taken)
        self.grid = bound_grid(instance)
        self._pieces, self._leads, self._slots, self._times, self._starts = {}, {}, {}, {}, {}

    # free time
    def pieces(self, who: str) -> dict[int, list[tuple[int, int]]]:
        """Per day, the stretches the person is free: each availability window without time off
        and without fixed or booked sessions (windows are kept apart: a session must lie in one)."""
        if who not in self._pieces:
            person = self.instance.staff.get(who) or self.instance.patients[who]
            off = defaultdict(list)
            for w in getattr(person, "time_off", ()):
                off[w.day].append((w.start, w.end))
            for day, start, end in self.taken.busy.get(who, ()):
                off[day].append((start, end))
            pieces = defaultdict(list)
            for w in person.availability:
                parts = [(w.start, w.end)]
                for a, b in off[w.day]:
                    parts = [piece for s, e in parts for piece in ((s, min(e, a)), (max(s, b), e)) if piece[1] > piece[0]]
                pieces[w.day] += parts
            self._pieces[who] = dict(pieces)
        return self._pieces[who]

    def starts(self, patient_id: str, staff_id: str, minutes: int, grid: int) -> list[tuple[int, int]]:
        """(day, start) on the grid when both are free for `minutes`."""
        key = (patient_id, staff_id, minutes, grid)
        if key not in self._starts:
            found = set()
            theirs = self.pieces(staff_id)
            for day, mine in self.pieces(patient_id).items():
                for a, b in mine:
                    for c, d in theirs.get(day, ()):
                        lo, hi = max(a, c), min(b, d)
                        found.update((day, t) for t in range(lo, hi - minutes + 1, grid))
            self._starts[key] = sorted(found)
        return self._starts[key]

    def staff_left(self, staff_id: str) -> int:
        """Minutes the staff member may still be given this week."""
        return max(0, self.instance.staff[staff_id].max_minutes - self.taken.minutes[staff_id])

    # sections
    def seats_for_others(self, section: Section) -> int:
        """The most patients the solver may seat in the section, ignoring who leads it: none when
        it is held as a fixed session; the seats left when it is booked; else its group size (or
        what its set room seats besides the facilitator)."""
        if section.id in self.taken.fixed_sections:
            return 0
        size = self.instance.section_size(section)
        if section.room is not None:
            size = min(size, self.instance.rooms[section.room].capacity - 1)
        return max(0, size - len(self.taken.booked.get(section.id, ())))

    def leads(self, section: Section) -> list[str]:
        """Who may lead the section: the given facilitator, or any qualified staff member free
        then (and with the minutes left)."""
        if section.id not in self._leads:
            people = [self.instance.staff[section.facilitator]] if section.facilitator else self.instance.staff.values()
            self._leads[section.id] = [
                s.id for s in people
                if section.group_type in s.leads and self.staff_left(s.id) >= section.minutes
                and any(a <= section.start and section.end <= b for a, b in self.pieces(s.id).get(section.day, ()))
            ]
        return self._leads[section.id]

    def runs(self, section: Section) -> bool:
        """The section can take patients: seats for others and someone to lead it (booked
        sections have theirs)."""
        return self.seats_for_others(section) > 0 and (section.id in self.taken.booked or bool(self.leads(section)))

    def can_join(self, patient: Patient, section: Section) -> bool:
        return (
            patient.track == section.track and self.left[patient.id, "group"] > 0
            and section.id not in self.taken.sections[patient.id]
            and any(a <= section.start and section.end <= b for a, b in self.pieces(patient.id).get(section.day, ()))
        )

    def slots(self, patient: Patient) -> list[tuple[int, int, int]]:
        """The distinct times (day, start, end) of sections the patient could join."""
        if patient.id not in self._slots:
            self._slots[patient.id] = sorted({
                (s.day, s.start, s.end) for s in self.instance.sections.values()
                if s.track == patient.track and self.can_join(patient, s) and self.runs(s)
            })
        return self._slots[patient.id]

    def times_needed_for_groups(self, patient: Patient) -> list[tuple[int, int, int]]:
        """When the patient can attend exactly as many distinct section times as blocks they
        still need, every one of those times is needed to meet the plan: one-to-one sessions
        go elsewhere."""
        slots = self.slots(patient)
        return slots if 0 < len(slots) <= self.left[patient.id, "group"] else []

    # one-to-one services
    def qualified(self, patient: Patient, service: str) -> list:
        """Who may give the patient this service: individual therapy only the primary clinician."""
        if service == "individual":
            primary = self.instance.staff.get(patient.primary_clinician or "")
            return [primary] if primary and service in primary.services else []
        return [s for s in self.instance.staff.values() if service in s.services]

    def staff_for(self, patient: Patient, service: str) -> list:
        """The search's choice of staff: individual therapy is with the primary clinician. Family
        sessions are too when the primary clinician offers them and shares time with the patient
        (continuity of care, and it keeps the model small); otherwise anyone offering it."""
        primary = self.instance.staff.get(patient.primary_clinician or "")
        minutes = patient.services[service].minutes
        if (service == "family" and primary and service in primary.services
                and self.staff_left(primary.id) >= minutes and self.starts(patient.id, primary.id, minutes, GRID)):
            return [primary]
        return [s for s in self.qualified(patient, service) if self.staff_left(s.id) >= minutes]

    def visit_choices(self) -> list[Visit]:
        """The search's candidates: per patient and service, at most MAX_CHOICES spread over the
        week, away from the group times the patient needs."""
        visits = []
        for patient in self.instance.patients.values():
            needed = self.times_needed_for_groups(patient)
            for service in patient.services:
                if self.left[patient.id, service] == 0:
                    continue
                minutes = patient.services[service].minutes
                choices = [
                    (day, start, member.id) for member in self.staff_for(patient, service)
                    if self.staff_left(member.id) >= minutes
                    for day, start in self.starts(patient.id, member.id, minutes, GRID)
                    if not any(d == day and start < e and s < start + minutes for d, s, e in needed)
                ]
                visits.extend(Visit(patient.id, service, staff, day, start, minutes)
                              for day, start, staff in spread(choices, MAX_CHOICES))
        return visits

    def service_times(self, patient: Patient, service: str) -> list[tuple[int, int, int]]:
        """Every (day, start, end) on the bound's grid when the patient and someone who may give
        them the service are both free."""
        key = (patient.id, service)
        if key not in self._times:
            minutes = patient.services[service].minutes
            starts = set()
            for member in self.qualified(patient, service):
                if self.staff_left(member.id) >= minutes:
                    starts.update(self.starts(patient.id, member.id, minutes, self.grid))
            self._times[key] = [(day, start, start + minutes) for day, start in sorted(starts)]
        return self._times[key]


def group_room_choices(instance: Instance, section: Section) -> list[str]:
    """The given room, else the rooms seating the full group and its facilitator (the largest
    rooms when none does)."""
    if section.room is not None:
        return [section.room]
    rooms = [r for r in instance.rooms.values() if r.capacity >= 2]
    if not rooms:
        return []
    wanted = min(instance.section_size(section) + 1, max(r.capacity for r in rooms))
    return [r.id for r in rooms if r.capacity >= wanted]


def one_to_one_rooms(instance: Instance) -> list[str]:
    """Every room seating two: the pool for one-to-one sessions, smallest first, so that group
    rooms are used for them only when the offices are taken."""
    rooms = [r for r in instance.rooms.values() if r.capacity >= 2]
    return [r.id for r in sorted(rooms, key=lambda r: (r.capacity, r.id))]


# Who could meet their plan at all ---------------------------------------------------------------


class _TooHard(Exception):
    pass


def could_meet_alone(prep: Prepared, patient: Patient) -> bool:
    """Whether the patient could meet their plan if nobody else were being scheduled: their
    remaining group blocks at distinct section times and every one-to-one session they still
    need, pairwise apart, within their weekly maximum. Exact (a small search); if the search
    grows past ALONE_SEARCH_LIMIT steps it answers True, which keeps the bound a bound."""
    left = prep.left
    needs = []
    if left[patient.id, "group"]:
        needs.append((left[patient.id, "group"], prep.slots(patient)))
    for service in patient.services:
        if left[patient.id, service]:
            needs.append((left[patient.id, service], prep.service_times(patient, service)))
    if any(len(times) < count for count, times in needs):
        return False
    if not needs:
        return True
    needs.sort(key=lambda need: len(need[1]))
    budget = patient.max_minutes - prep.taken.minutes[patient.id]
    chosen: list[tuple[int, int, int]] = []
    steps = [0]

    def place(index: int, count: int, first: int, used: int) -> bool:
        if count == 0:
            index += 1
            if index == len(needs):
                return True
            count, first = needs[index][0], 0
        times = needs[index][1]
        for position in range(first, len(times) - count + 1):
            steps[0] += 1
            if steps[0] > ALONE_SEARCH_LIMIT:
                raise _TooHard
            day, start, end = times[position]
            if used + end - start > budget or any(d == day and start < e and s < end for d, s, e in chosen):
                continue
            chosen.append(times[position])
            if place(index, count - 1, position + 1, used + end - start):
                return True
            chosen.pop()
        return False

    try:
        return place(0, needs[0][0], 0, 0)
    except _TooHard:
        return True


# Covering constraints ---------------------------------------------------------------------------


def covering_sets(items, capacity=None):
    """items: (literal, day, start, end). Yields (literals covering a start time, capacity then)
    for the moments that matter: the maximal sets (a set that the next moment's set contains,
    with no more capacity, adds nothing). `capacity(day, moment)` defaults to 1; sets that fit
    their capacity are skipped."""
    by_day = defaultdict(list)
    for item in items:
        by_day[item[1]].append(item)
    for day, todays in by_day.items():
        todays.sort(key=lambda item: item[2])
        moments = sorted({item[2] for item in todays})
        caps = [1 if capacity is None else capacity(day, m) for m in moments]
        active = []
        position = 0
        for index, moment in enumerate(moments):
            while position < len(todays) and todays[position][2] <= moment:
                active.append(todays[position])
                position += 1
            active = [item for item in active if item[3] > moment]
            if index + 1 < len(moments):
                following = moments[index + 1]
                if all(item[3] > following for item in active) and caps[index + 1] <= caps[index]:
                    continue            # the next moment's set contains this one
            if len(active) > caps[index]:
                yield [item[0] for item in active], caps[index]


# The proven bound -------------------------------------------------------------------------------


class BoundModel:
    """The relaxation of the module docstring as an integer programme (OR-Tools model_builder),
    solved with HiGHS. `bound(seconds)` returns the proven upper bound on how many of the
    patients in `possible` can meet their plan together, or None when HiGHS is unavailable or
    proved nothing."""

    def __init__(self, prep: Prepared, possible: set[str]):
        from ortools.linear_solver.python import model_builder as mb
        from ortools.linear_solver.python import model_builder_helper

        self.mb, self.mb_helper = mb, model_builder_helper
        self.model = mb.Model()
        self.helper = self.model.helper
        self.prep, self.instance, self.taken, self.left = prep, prep.instance, prep.taken, prep.left
        self.patients = [p for p in self.instance.patients.values() if p.id in possible]
        self.items = defaultdict(list)          # who → (var, day, start, end)
        self.minutes = defaultdict(list)        # who → (var, minutes)
        self.pooled = defaultdict(list)         # service → (var, day, start, end)
        self.counts = defaultdict(list)         # (patient, kind) → vars
        self.met = []
        self.target_row = None
        self._groups()
        self._visits()
        self._rows()

    def var(self):
        return self.model.new_bool_var()

    def row(self, variables, coefficients, lower=-math.inf, upper=math.inf) -> None:
        index = self.helper.add_linear_constraint()
        self.helper.set_constraint_lower_bound(index, lower)
        self.helper.set_constraint_upper_bound(index, upper)
        self.helper.add_terms_to_constraint(index, list(variables), [float(c) for c in coefficients])

    def _groups(self) -> None:
        prep = self.prep
        slots = defaultdict(list)
        for section in self.instance.sections.values():
            if prep.runs(section):
                slots[section.track, section.day, section.start, section.end].append(section)
        for (_, day, start, end), sections in slots.items():
            joining = [p for p in self.patients if any(prep.can_join(p, s) for s in sections)]
            if not joining:
                continue
            seat_terms, booked_seats = [], 0
            for section in sections:
                seats = prep.seats_for_others(section)
                if section.id in self.taken.booked:
                    booked_seats += seats
                    continue
                leads = []
                for staff_id in prep.leads(section):
                    lead = self.var()
                    leads.append(lead)
                    self.items[staff_id].append((lead, day, start, end))
                    self.minutes[staff_id].append((lead, section.minutes))
                    seat_terms.append((lead, seats))
                if len(leads) > 1:
                    self.row(leads, [1] * len(leads), upper=1)
            attend = []
            for patient in joining:
                var = self.var()
                attend.append(var)
                self.items[patient.id].append((var, day, start, end))
                self.minutes[patient.id].append((var, end - start))
                self.counts[patient.id, "group"].append(var)
            # Seats: the patients at this time fit the sections that run then.
            self.row([*attend, *(v for v, _ in seat_terms)], [1] * len(attend) + [-s for _, s in seat_terms],
                     upper=booked_seats)

    def _visits(self) -> None:
        for patient in self.patients:
            needed = self.prep.times_needed_for_groups(patient)
            for service in patient.services:
                if not self.left[patient.id, service]:
                    continue
                primary = patient.primary_clinician
                for day, start, end in self.prep.service_times(patient, service):
                    if any(d == day and start < e and s < end for d, s, e in needed):
                        continue        # that time is needed for a group block
                    var = self.var()
                    self.items[patient.id].append((var, day, start, end))
                    self.minutes[patient.id].append((var, end - start))
                    self.counts[patient.id, service].append(var)
                    if service == "individual":
                        self.items[primary].append((var, day, start, end))
                        self.minutes[primary].append((var, end - start))
                    else:
                        self.pooled[service].append((var, day, start, end))

    def _rows(self) -> None:
        instance, taken, left = self.instance, self.taken, self.left
        for items in self.items.values():
            for variables, limit in covering_sets(items):
                self.row(variables, [1] * len(variables), upper=limit)
        for who, terms in self.minutes.items():
            if who in instance.staff:
                limit = self.prep.staff_left(who)
            else:
                limit = max(0, instance.patients[who].max_minutes - taken.minutes[who])
            if sum(m for _, m in terms) > limit:
                self.row([v for v, _ in terms], [m for _, m in terms], upper=limit)
        services = [s for s in POOLED if self.pooled[s]]
        groups = [[s] for s in services]
        if len(services) == 2 and set(self._pool_staff(services[0])) & set(self._pool_staff(services[1])):
            groups.append(services)
        for group in groups:
            self._pooled_rows(group)
        for patient in self.patients:
            needs = {"group": left[patient.id, "group"], **{s: left[patient.id, s] for s in patient.services}}
            met = self.var()
            self.met.append(met)
            self.helper.set_var_objective_coefficient(met.index, 1.0)
            for kind, need in needs.items():
                if need:
                    variables = self.counts[patient.id, kind]
                    self.row([*variables, met], [1] * len(variables) + [-need], lower=0)
                    self.row(variables, [1] * len(variables), upper=need)
        self.helper.set_maximize(True)

    def _pool_staff(self, service: str) -> list[str]:
        return [s.id for s in self.instance.staff.values() if service in s.services]

    def _pooled_rows(self, services: list[str]) -> None:
        """At each moment, the pooled sessions plus what their staff are known to do then fit the
        staff working then; and their minutes fit the staff's weekly maxima together."""
        staff = sorted({s for service in services for s in self._pool_staff(service)})
        members = [self.instance.staff[s] for s in staff]
        items = [item for service in services for item in self.pooled[service]]
        known = [item for s in staff for item in self.items.get(s, ())]

        def working(day: int, moment: int) -> int:
            return sum(1 for m in members
                       if any(a <= moment < b for a, b in self.prep.pieces(m.id).get(day, ())))

        for variables, limit in covering_sets(items + known, working):
            self.row(variables, [1] * len(variables), upper=limit)
        terms = [(v, e - s) for v, _, s, e in items] + [t for s in staff for t in self.minutes.get(s, ())]
        limit = sum(self.prep.staff_left(s) for s in staff)
        if sum(m for _, m in terms) > limit:
            self.row([v for v, _ in terms], [m for _, m in terms], upper=limit)

    def require_more_than(self, found: int) -> None:
        """Ask for weeks of the relaxation in which more than `found` patients meet their plan."""
        if self.target_row is None:
            self.target_row = self.helper.add_linear_constraint()
            self.helper.set_constraint_upper_bound(self.target_row, math.inf)
            self.helper.add_terms_to_constraint(self.target_row, list(self.met), [1.0] * len(self.met))
        self.helper.set_constraint_lower_bound(self.target_row, found + 1)

    @property
    def small(self) -> bool:
        return self.model.num_variables <= SMALL_BOUND_MODEL


def _highs(helper, mbh, *, relax: bool, seconds: float) -> tuple[str, str, float | None]:
    """Solve a model_builder model with HiGHS: (step, status name, objective bound or value)."""
    if relax:
        for index in range(helper.num_variables()):
            helper.set_var_integrality(index, False)
    solver = mbh.ModelSolverHelper("highs")
    if not solver.solver_is_supported():
        return ("linear" if relax else "integer"), "UNAVAILABLE", None
    solver.enable_output(False)
    solver.set_solver_specific_parameters("output_flag=false\nmip_heuristic_effort=0")
    solver.set_time_limit_in_seconds(max(0.1, seconds))
    solver.solve(helper)
    status = solver.status().name
    value = None
    if status == "OPTIMAL":
        value = solver.objective_value() if relax else solver.best_objective_bound()
    return ("linear" if relax else "integer"), status, value


# The child process that proves the bound of a large model: reads the model, prints one JSON
# line per step (the linear relaxation, then the integer programme) as soon as it has it.
_CHILD = """
import json, sys, time
from ortools.linear_solver.python import model_builder_helper as mbh
began = time.perf_counter()
path, seconds = sys.argv[1], float(sys.argv[2])
for relax in (True, False):
    helper = mbh.ModelBuilderHelper()
    helper.read_model_from_proto_file(path)
    if relax:
        for index in range(helper.num_variables()):
            helper.set_var_integrality(index, False)
    solver = mbh.ModelSolverHelper("highs")
    solver.enable_output(False)
    solver.set_solver_specific_parameters("output_flag=false\\nmip_heuristic_effort=0")
    solver.set_time_limit_in_seconds(max(0.1, seconds - (time.perf_counter() - began)))
    solver.solve(helper)
    status = solver.status().name
    value = None
    if status == "OPTIMAL":
        value = solver.objective_value() if relax else solver.best_objective_bound()
    print(json.dumps({"step": "linear" if relax else "integer", "status": status, "value": value}), flush=True)
    if status == "INFEASIBLE":
        break
"""


# The search model -------------------------------------------------------------------------------


class WeekModel:
    """The CP-SAT model for one instance and the way back from its solution to sessions.

    Group attendance is one yes/no per patient and *slot* (a track's sections at one time):
    parallel sections at one time are interchangeable for a patient, so the model only chooses
    which sections run (facilitator, room) and how many patients each slot takes; who sits in
    which section is settled when reading the week back (`seat_in_sections`), last week's
    section first. `start` is a valid schedule to start from (the greedy baseline's): its
    one-to-one sessions join the candidates and all its choices are given to CP-SAT as a hint,
    so the search begins from a complete week instead of an empty one. `possible`: the patients
    who get a `met` variable (those who could meet their plan alone; default everybody)."""

    def __init__(self, instance: Instance, start: Schedule | None = None, *, prep: Prepared | None = None,
                 possible: set[str] | None = None):
        from ortools.sat.python import cp_model

        self.instance = instance
        self.prep = prep or Prepared(instance)
        self.taken, self.left = self.prep.taken, self.prep.left
        self.possible = set(instance.patients) if possible is None else possible
        fixed = set(instance.fixed)
        self.start_from = [s for s in (start.sessions if start else []) if s not in fixed]
        self.model = cp_model.CpModel()
        self.slots: dict[tuple, list[Section]] = defaultdict(list)     # (track, day, start, end) → sections
        self.attend, self.lead, self.room, self.active, self.kept = {}, {}, {}, {}, {}
        self.visits: dict[Visit, object] = {}
        self.pool = one_to_one_rooms(instance)
        self.met = {}
        self.met_needs, self.comes_from, self.staff_terms, self.touching = {}, [], {}, []
        self.already_met = 0
        self.weights = {}
        self._variables()
        self._no_double_booking()
        self._limits()
        self._objective()
        self.hint_from_start()

    # hints
    def hint_from_start(self) -> None:
        chosen = set()
        for session in self.start_from:
            if session.kind == "group" and session.section in self.instance.sections:
                section = self.instance.sections[session.section]
                slot = (section.track, section.day, section.start, section.end)
                chosen |= {("active", section.id), ("room", section.id, session.room)}
                chosen |= {("lead", section.id, person) for person in session.staff}
                chosen |= {("attend", p, slot) for p in session.patients}
            elif session.kind != "group" and len(session.patients) == len(session.staff) == 1:
                chosen.add(("visit", Visit(session.patients[0], session.kind, session.staff[0], session.day,
                                           session.start, session.minutes)))
        values = {}
        for name, variables in (("active", self.active), ("lead", self.lead), ("room", self.room),
                                ("attend", self.attend), ("visit", self.visits)):
            for key, var in variables.items():
                key = key if isinstance(key, tuple) and name != "visit" else (key,)
                values[var.index] = (name, *key) in chosen
        self.hint(values)

    def _seats_of(self, section: Section, values: dict | None = None):
        """The seats the section offers the solver's patients: an expression of its room choice,
        or with `values` (by variable index) the number."""
        if section.id in self.taken.booked:
            return self.prep.seats_for_others(section)
        if values is None:
            return _weighted([(var, size) for var, size in self.room_seats[section.id]])
        return sum(values[var.index] * size for var, size in self.room_seats[section.id])

    def decisions(self) -> list:
        return [v for d in (self.active, self.lead, self.room, self.attend, self.visits) for v in d.values()]

    def hint(self, values: dict[int, int]) -> None:
        """Hint every decision (values by variable index) and the derived variables with it, so
        that the hint is a complete, feasible solution."""
        model = self.model
        model.clear_hints()
        for var in self.decisions():
            model.add_hint(var, bool(values[var.index]))
        for met in self.met.values():
            needs = self.met_needs[met.index]
            model.add_hint(met, all(sum(values[v.index] for v in vars_) >= need for vars_, need in needs))
        for comes, vars_ in self.comes_from:
            model.add_hint(comes, any(values[v.index] for v in vars_))
        for both, visit, attend in self.touching:
            model.add_hint(both, bool(values[visit.index] and values[attend.index]))
        for section_id, (var, wanting) in self.kept.items():
            seats = self._seats_of(self.instance.sections[section_id], values)
            model.add_hint(var, min(seats, sum(values[v.index] for v in wanting)))
        busiest = max((sum(values[v.index] * m for v, m in terms) + fixed
                       for terms, fixed in self.staff_terms.values()), default=0)
        model.add_hint(self.load, -(-busiest // GRID))

    # variables
    def _variables(self) -> None:
        model, taken, prep, instance = self.model, self.taken, self.prep, self.instance
        self.room_seats = {}
        for section in instance.sections.values():
            if section.id not in taken.fixed_sections:
                self.slots[section.track, section.day, section.start, section.end].append(section)
        for slot, sections in self.slots.items():
            _, day, start, end = slot
            joining = [p.id for p in instance.patients.values()
                       if any(prep.can_join(p, s) for s in sections)]
            capacity, booked_seats, actives = [], 0, []
            for section in sections:
                seats = prep.seats_for_others(section)
                if section.id in taken.booked:
                    # Held as it stands (facilitator and room in `taken`): only its seats left.
                    booked_seats += seats
                    self.room_seats[section.id] = []
                    continue
                leads = prep.leads(section)
                rooms = [r for r in group_room_choices(instance, section)
                         if not taken.is_busy(f"room:{r}", day, start, end)]
                if not (leads and rooms and seats and joining):
                    continue
                active = self.active[section.id] = model.new_bool_var(f"active[{section.id}]")
                actives.append(active)
                for t in leads:
                    self.lead[section.id, t] = model.new_bool_var(f"lead[{section.id},{t}]")
                for r in rooms:
                    self.room[section.id, r] = model.new_bool_var(f"room[{section.id},{r}]")
                model.add_exactly_one([self.lead[section.id, t] for t in leads] + [active.negated()])
                model.add_exactly_one([self.room[section.id, r] for r in rooms] + [active.negated()])
                size = instance.section_size(section)
                self.room_seats[section.id] = [
                    (self.room[section.id, r], min(size, instance.rooms[r].capacity - 1)) for r in rooms]
                capacity += self.room_seats[section.id]
            if not joining or not (capacity or booked_seats):
                continue
            attend = []
            for p in joining:
                var = self.attend[p, slot] = model.new_bool_var(f"attend[{p},{day},{start}]")
                attend.append(var)
            # The slot's patients fit the sections running then, and every section that runs
            # (other than a booked one) has at least one of them.
            model.add(_total(attend) <= _weighted(capacity) + booked_seats)
            if actives:
                model.add(_total(attend) >= _total(actives))
        hinted = [Visit(s.patients[0], s.kind, s.staff[0], s.day, s.start, s.minutes)
                  for s in self.start_from if s.kind != "group" and len(s.patients) == len(s.staff) == 1]
        for visit in dict.fromkeys([*prep.visit_choices(), *hinted]):
            if self.pool and self._pool_can_seat(visit):
                self.visits[visit] = model.new_bool_var(
                    f"visit[{visit.patient},{visit.service},{visit.staff},{visit.day},{visit.start}]"
                )

    def _pool_can_seat(self, visit: Visit) -> bool:
        return any(
            self.instance.rooms[r].capacity >= SEATS_NEEDED[visit.service]
            and not self.taken.is_busy(f"room:{r}", visit.day, visit.start, visit.end)
            for r in self.pool
        )

    def _items(self):
        """(who, literal, day, start, end) for everything that may take someone's time."""
        by_id = self.instance.sections
        for (p, (_, day, start, end)), var in self.attend.items():
            yield p, var, day, start, end
        for (s, t), var in self.lead.items():
            yield t, var, by_id[s].day, by_id[s].start, by_id[s].end
        for (s, r), var in self.room.items():
            yield f"room:{r}", var, by_id[s].day, by_id[s].start, by_id[s].end
        for visit, var in self.visits.items():
            yield visit.patient, var, visit.day, visit.start, visit.end
            yield visit.staff, var, visit.day, visit.start, visit.end

    def _no_double_booking(self) -> None:
        per_who = defaultdict(list)
        for who, var, day, start, end in self._items():
            per_who[who].append((var, day, start, end))
        for items in per_who.values():
            for variables, _ in covering_sets(items):
                self.model.add_at_most_one(variables)
        for seats in (2, 3):
            items, limit = self._pool_use(seats)
            for variables, most in covering_sets(items, limit):
                self.model.add(_total(variables) <= most)

    def _pool_use(self, seats: int):
        """What may take a pool room seating `seats` (one-to-one sessions needing that many
        seats, group sections choosing such a room), and the rooms free at each moment."""
        rooms = [r for r in self.pool if self.instance.rooms[r].capacity >= seats]
        by_id = self.instance.sections
        items = []
        for visit, var in self.visits.items():
            if SEATS_NEEDED[visit.service] >= seats:
                items.append((var, visit.day, visit.start, visit.end))
        for (section, room), var in self.room.items():
            if room in rooms:
                items.append((var, by_id[section].day, by_id[section].start, by_id[section].end))

        def limit(day, moment):
            return sum(1 for r in rooms if not self.taken.is_busy(f"room:{r}", day, moment, moment + 1))

        return items, limit

    def _limits(self) -> None:
        model, instance = self.model, self.instance
        terms = defaultdict(list)
        for who, var, _, start, end in self._items():
            if not who.startswith("room:"):
                terms[who].append((var, end - start))
        counts = defaultdict(lambda: defaultdict(list))
        for (p, _), var in self.attend.items():
            counts[p]["group"].append(var)
        for visit, var in self.visits.items():
            counts[visit.patient][visit.service].append(var)
        for patient in instance.patients.values():
            mine = terms[patient.id]
            limit = max(0, patient.max_minutes - self.taken.minutes[patient.id])
            if sum(m for _, m in mine) > limit:
                model.add(_weighted(mine) <= limit)
            self._plan_met(patient, counts[patient.id])
        self.staff_minutes = {}
        for member in instance.staff.values():
            mine = terms[member.id]
            limit = self.prep.staff_left(member.id)
            if sum(m for _, m in mine) > limit:
                model.add(_weighted(mine) <= limit)
            self.staff_minutes[member.id] = (_weighted(mine), self.taken.minutes[member.id])
            self.staff_terms[member.id] = (mine, self.taken.minutes[member.id])

    def _plan_met(self, patient, counts) -> None:
        needs = {"group": self.left[patient.id, "group"]}
        needs |= {service: self.left[patient.id, service] for service in patient.services}
        for kind, need in needs.items():
            if len(counts[kind]) > need:
                self.model.add(_total(counts[kind]) <= need)
        if all(need == 0 for need in needs.values()):
            self.already_met += 1
            return
        if patient.id not in self.possible or any(len(counts[kind]) < need for kind, need in needs.items()):
            return                      # cannot meet the plan whatever the solver does
        met = self.met[patient.id] = self.model.new_bool_var(f"met[{patient.id}]")
        self.met_needs[met.index] = [(counts[kind], need) for kind, need in needs.items() if need]
        for kind, need in needs.items():
            if need:
                self.model.add(_total(counts[kind]) >= need * met)

    def _objective(self) -> None:
        model, instance = self.model, self.instance
        placed = [*self.attend.values(), *self.visits.values()]
        # Continuity: patients back in last week's section (as many as it seats when it runs),
        # and sections led by last week's facilitator.
        continuity = []
        for slot, sections in self.slots.items():
            for section in sections:
                wanting = [self.attend[p, slot] for p in instance.patients
                           if (p, slot) in self.attend and section.id in instance.patients[p].last_week_sections]
                if not wanting or section.id not in self.room_seats:
                    continue
                most = min(len(wanting), instance.section_size(section))
                kept = model.new_int_var(0, most, f"kept[{section.id}]")
                model.add(kept <= _total(wanting))
                model.add(kept <= self._seats_of(section))
                self.kept[section.id] = (kept, wanting)
                continuity.append((kept, most))
        continuity += [(var, 1) for (s, t), var in self.lead.items() if instance.sections[s].last_facilitator == t]
        days = defaultdict(list)
        for (p, (_, day, _, _)), var in self.attend.items():
            days[p, day].append(var)
        for visit, var in self.visits.items():
            days[visit.patient, visit.day].append(var)
        not_coming = []
        for (p, day), vars_ in days.items():
            if self.taken.is_busy(p, day, 0, DAY):
                continue                # already coming in that day for a fixed session
            comes = model.new_bool_var(f"comes[{p},{day}]")
            self.comes_from.append((comes, vars_))
            for var in vars_:
                model.add_implication(var, comes)
            not_coming.append(comes.negated())
        # Idle gaps, within a day: a one-to-one session right before or after the patient's
        # group block that day (a day saved counts for more than any number of these).
        slots_of = defaultdict(list)
        for (p, slot), var in self.attend.items():
            slots_of[p, slot[1]].append((slot, var))
        touching = []
        for visit, var in self.visits.items():
            for (_, _, start, end), attend in slots_of.get((visit.patient, visit.day), ()):
                if visit.end == start or visit.start == end:
                    both = model.new_bool_var(f"touch[{visit.patient},{visit.day},{visit.start}]")
                    model.add_implication(both, var)
                    model.add_implication(both, attend)
                    self.touching.append((both, var, attend))
                    touching.append(both)
        longest = max([m.max_minutes for m in instance.staff.values()] or [0])
        top = math.ceil(longest / GRID)
        load = self.load = model.new_int_var(0, top, "busiest_staff_half_hours")
        for variable, fixed in self.staff_minutes.values():
            model.add(GRID * load >= variable + fixed)
        # Tiers, most important first: (name, expression ≥ 0, its largest value). Weights make
        # each tier worth more than every lower tier together. Phase 2 keeps the number meeting
        # their plan by a constraint, so when the weights would not fit in 62 bits that tier goes
        # first, then the least important ones.
        needed = sum(self.left[p.id, "group"] + sum(self.left[p.id, s] for s in p.services)
                     for p in instance.patients.values())
        one_to_one = sum(self.left[p.id, s] for p in instance.patients.values() for s in p.services)
        self.met_count = _total(list(self.met.values()))
        tiers = [
            ("met", self.met_count, len(self.met)),
            ("placed", _total(placed), min(len(placed), needed)),
            ("continuity", _total([var for var, _ in continuity]), sum(most for _, most in continuity)),
            ("days", _total(not_coming), len(not_coming)),
            ("touching", _total(touching), min(len(touching), one_to_one)),
            ("load", top - load, top),
        ]
        for dropped in ((), ("met",), ("met", "touching"), ("met", "touching", "load"),
                        ("met", "touching", "load", "days")):
            kept_tiers = [tier for tier in tiers if tier[0] not in dropped]
            if math.prod(most + 1 for _, _, most in kept_tiers) < 2 ** 62:
                break
        self.weights, weight = {}, 1
        for name, _, most in reversed(kept_tiers):
            self.weights[name] = weight
            weight *= most + 1
        self.full_objective = _weighted([(expression, self.weights[name]) for name, expression, _ in kept_tiers])
        model.maximize(self.full_objective)

    # the way back
    def sessions(self, solver) -> list[Session]:
        instance = self.instance
        sessions = list(instance.fixed)
        for slot, sections in self.slots.items():
            running = {}
            for section in sections:
                if section.id in self.taken.booked:
                    running[section.id] = (section.room, section.facilitator, self.prep.seats_for_others(section))
                elif section.id in self.active and solver.value(self.active[section.id]):
                    facilitator = next(t for (s, t), v in self.lead.items() if s == section.id and solver.value(v))
                    room = next(r for (s, r), v in self.room.items() if s == section.id and solver.value(v))
                    size = min(instance.section_size(section), instance.rooms[room].capacity - 1)
                    running[section.id] = (room, facilitator, size)
            if not running:
                continue
            coming = [p for p in instance.patients if (p, slot) in self.attend and solver.value(self.attend[p, slot])]
            seated = seat_in_sections(instance, coming, running, self.taken.booked)
            for section in sections:
                if section.id not in running:
                    continue
                room, facilitator, _ = running[section.id]
                sessions.append(Session(
                    id=section.id, kind="group", day=section.day, start=section.start, minutes=section.minutes,
                    room=room, staff=(facilitator,),
                    patients=(*self.taken.booked.get(section.id, ()), *seated[section.id]),
                    group_type=section.group_type, section=section.id,
                ))
        chosen = [v for v, var in self.visits.items() if solver.value(var)]
        return sessions + rooms_for_visits(instance, chosen, self.pool, sessions)


def _total(variables):
    from ortools.sat.python import cp_model

    return cp_model.LinearExpr.sum(variables)


def _weighted(terms):
    """(variable, coefficient) pairs as one linear expression."""
    from ortools.sat.python import cp_model

    return cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms])


def seat_in_sections(instance: Instance, coming: list[str], running: dict, booked: dict) -> dict[str, list[str]]:
    """Who sits in which of a slot's running sections (id → (room, facilitator, seats for the
    solver's patients)): last week's section first while it has seats, then one patient for each
    section still empty (a section that runs is not held for nobody, unless it is booked), then
    the fullest-room-first rest."""
    seated = {section_id: [] for section_id in running}
    room_left = {section_id: seats for section_id, (_, _, seats) in running.items()}
    rest = []
    for patient_id in coming:
        wanted = next((s for s in instance.patients[patient_id].last_week_sections
                       if s in running and room_left[s] > 0), None)
        if wanted is None:
            rest.append(patient_id)
        else:
            seated[wanted].append(patient_id)
            room_left[wanted] -= 1
    for section_id in running:
        if not seated[section_id] and section_id not in booked:
            if rest:
                seated[section_id].append(rest.pop())
            else:               # borrow (continuity gives way): the model leaves someone to borrow
                donor = next(s for s in seated if len(seated[s]) > (0 if s in booked else 1))
                seated[section_id].append(seated[donor].pop())
                room_left[donor] += 1
            room_left[section_id] -= 1
    for patient_id in rest:
        target = max(room_left, key=lambda s: room_left[s])
        seated[target].append(patient_id)
        room_left[target] -= 1
    return seated


def rooms_for_visits(instance: Instance, visits: list[Visit], pool: list[str], placed: list[Session]) -> list[Session]:
    """Give each chosen visit a pool room, earliest first, smallest fitting room first; a visit
    that finds none is dropped (see the module docstring)."""
    used_ids = {s.id for s in placed}
    busy = defaultdict(list)
    for session in placed:
        if session.room:
            busy[session.room].append((session.day, session.start, session.end))
    by_size = sorted(pool, key=lambda r: (instance.rooms[r].capacity, r))
    numbers = defaultdict(int)
    sessions = []
    for visit in sorted(visits, key=lambda v: (v.day, v.start, -SEATS_NEEDED[v.service], v.patient, v.service)):
        room = next((
            r for r in by_size
            if instance.rooms[r].capacity >= SEATS_NEEDED[visit.service]
            and not any(d == visit.day and visit.start < e and s < visit.end for d, s, e in busy[r])
        ), None)
        if room is None:
            continue
        busy[room].append((visit.day, visit.start, visit.end))
        numbers[visit.patient, visit.service] += 1
        session_id = f"{ID_PREFIX[visit.service]}-{visit.patient}-{numbers[visit.patient, visit.service]}"
        while session_id in used_ids:
            session_id += "b"
        used_ids.add(session_id)
        sessions.append(Session(
            id=session_id, kind=visit.service, day=visit.day, start=visit.start, minutes=visit.minutes,
            room=room, staff=(visit.staff,), patients=(visit.patient,),
        ))
    return sessions


# Solving --------------------------------------------------------------------------------------


@dataclass
class Proof:
    """The best proven bound so far on how many patients can meet their plan, and how."""

    patients: int
    how: str


class Prover:
    """Proves, beside the search, that no week lets more patients meet their plan than the
    search found: asks HiGHS whether the relaxation (`BoundModel`) has a week with more. First
    its linear relaxation (quick: infeasible proves it, else its optimum rounded down is a
    bound), then the integer programme with primal heuristics off (the point is the proof):
    infeasible proves it; solved, its optimum is the bound.

    A small model is solved at once, here. A large one is solved in a child process, started
    again when the search finds more: HiGHS (through OR-Tools) can overrun its time limit and
    cannot be interrupted, but a process can be stopped at the deadline."""

    def __init__(self, model: BoundModel | None, already: int, proof: Proof, deadline: float):
        self.model, self.already, self.proof, self.deadline = model, already, proof, deadline
        self.target = None                  # `found` the current or last proof is about
        self.child = self.waiter = self.folder = None
        self.lock = threading.Lock()

    def settled(self, found: int) -> bool:
        return self.already + found >= self.proof.patients

    def start(self, found: int) -> None:
        """Begin proving that `found` (of the patients in the bound model) is the most."""
        with self.lock:
            if self.model is None or self.settled(found) or self.target == found:
                return
            self._stop()
            self.target = found
            self.model.require_more_than(found)
            seconds = self.deadline - time.perf_counter()
            if self.model.small:
                self._record(found, [_highs(self.model.helper, self.model.mb_helper, relax=False, seconds=seconds)])
                return
            import subprocess
            import sys
            import tempfile

            self.folder = self.folder or tempfile.TemporaryDirectory(prefix="openiop-bound-")
            path = f"{self.folder.name}/model-{found}.pb"
            if not self.model.helper.write_model_to_proto_file(path):
                return
            try:
                # Our own code and Python, with a path we made: no untrusted input.
                self.child = subprocess.Popen(  # noqa: S603
                    [sys.executable, "-c", _CHILD, path, str(max(0.1, seconds))],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            except OSError:
                self.child = None
                return
            self.waiter = threading.Thread(target=self._wait, args=(self.child, found), daemon=True)
            self.waiter.start()
            log.debug("proving that %d is the most", self.already + found)

    def _wait(self, child, found: int) -> None:
        """Record what the child proves (all of it, or what it printed before being stopped)."""
        out, _ = child.communicate()
        with self.lock:
            self._record(found, _parse(out))
            if self.child is child:
                self.child = None

    def finish(self, until: float) -> None:
        """Wait for a proof under way until `until`, then stop it; clean up."""
        waiter = self.waiter
        if waiter is not None:
            waiter.join(timeout=max(0.0, until - time.perf_counter()))
        with self.lock:
            self._stop()
        if waiter is not None:
            waiter.join()
        if self.folder is not None:
            self.folder.cleanup()
            self.folder = None

    def _stop(self) -> None:
        """Stop the child under way (its waiter records what it printed)."""
        if self.child is not None:
            self.child.kill()
            self.child = None

    def _record(self, found: int, results) -> None:
        most = len(self.model.met)
        for step, status, value in results:
            if status == "INFEASIBLE":
                bound, how = found, f"relaxation ({step}): no week meets more plans"
            elif status == "OPTIMAL" and value is not None and math.isfinite(value):
                bound = min(most, max(found, math.floor(value + 1e-6)))
                how = "relaxation, solved" if step == "integer" else "linear relaxation"
            else:
                continue
            log.debug("bound: %d (%s)", self.already + bound, how)
            if self.already + bound < self.proof.patients:
                self.proof.patients, self.proof.how = self.already + bound, how


def _parse(out: str) -> list:
    import json

    results = []
    for line in (out or "").splitlines():
        try:
            item = json.loads(line)
            results.append((item["step"], item["status"], item["value"]))
        except (ValueError, KeyError, TypeError):
            continue
    return results


def solve(instance: Instance, *, seconds: float = 30, workers: int = 2, seed: int = 0) -> Schedule:
    """The best week CP-SAT finds within `seconds` (everything included); always valid (docs/
    scheduling.md hard rules). `schedule.solver` has the status, the time taken and the proven
    bound on the number of patients who can meet their plan (module docstring)."""
    began = time.perf_counter()             # importing ortools takes a second or more: count it
    deadline = began + seconds
    from ortools.sat.python import cp_model

    from openiop.scheduling.greedy import greedy_schedule

    start = greedy_schedule(instance)
    prep = Prepared(instance)
    left = prep.left
    unfinished = [p for p in instance.patients.values()
                  if left[p.id, "group"] or any(left[p.id, s] for s in p.services)]
    already = len(instance.patients) - len(unfinished)
    possible = {p.id for p in unfinished if could_meet_alone(prep, p)}
    proof = Proof(already + len(possible), "each patient alone")
    week = WeekModel(instance, start, prep=prep, possible=possible)
    # Kept back for reading the week back and explaining the unmet, and for CP-SAT and the
    # proof overrunning their limits a little on a busy machine.
    reserve = min(2.0, 0.07 * seconds) + 0.3
    log.debug("%.1f s: %d of %d could meet their plan alone; search model built (%d visits, %d attendances)",
              time.perf_counter() - began, len(possible), len(unfinished), len(week.visits), len(week.attend))

    # The bound model is built while phase 1 runs (CP-SAT works outside Python's lock).
    bound_model = [None]

    def build() -> None:
        try:
            if possible and prep.grid >= FINEST_BOUND_GRID:
                bound_model[0] = BoundModel(prep, possible)
        except Exception:               # the bound is extra: never let it cost the week
            log.exception("building the bound model failed")

    builder = threading.Thread(target=build, daemon=True)
    builder.start()
    prover = Prover(None, already, proof, deadline - reserve)
    finished = False
    try:
        best, status = None, cp_model.UNKNOWN
        found = sum(1 for p in possible if start.meets_plan(instance.patients[p]))
        if week.met and deadline - reserve - time.perf_counter() > SHORTEST_TWO_PHASES:
            # Phase 1: as many patients meeting their plan as possible, until the bound is reached
            # or progress stalls. (With little time, phase 2 alone: meeting plans is its top tier.)
            best, status = _run(week, cp_model, week.met_count, workers=workers, seed=seed,
                                seconds=PHASE_ONE_SHARE * (deadline - reserve - time.perf_counter()),
                                phase_one=(prover, builder, bound_model))
            if best is not None:
                found = max(found, round(best.objective_value))
            log.debug("%.1f s: phase 1 found %s", time.perf_counter() - began, found)
        builder.join()
        prover.model = bound_model[0]
        prover.start(found)
        # Phase 2: keep that many and place as much as possible, continuity, fewer days, load.
        if best is not None:
            week.model.add(week.met_count >= round(best.objective_value))
            week.hint({var.index: best.value(var) for var in week.decisions()})
        if deadline - reserve - time.perf_counter() > 0.05 or best is None:
            second, second_status = _run(week, cp_model, week.full_objective, workers=workers, seed=seed,
                                         seconds=deadline - reserve - time.perf_counter())
            if second is not None:
                best, status = second, second_status
        finished = True
    finally:                            # no proof left running, whatever happens
        prover.finish(deadline - 0.75 * reserve if finished else time.perf_counter())
    log.debug("%.1f s: searching and proving done", time.perf_counter() - began)

    sessions = week.sessions(best) if best is not None else list(start.sessions)
    schedule = Schedule(instance, sessions)
    schedule.unmet = unmet_reasons(instance, sessions)
    patients = len(instance.patients)
    meeting = sum(1 for p in instance.patients.values() if schedule.meets_plan(p))
    schedule.solver = {
        "status": best.status_name(status) if best is not None else "GREEDY",
        "seconds": round(time.perf_counter() - began, 2),
        "objective": best.objective_value if best is not None else None,
        "bound": best.best_objective_bound if best is not None else None,
        "patients_meeting_plan": meeting,
        "patients_meeting_plan_bound": proof.patients,
        "bound_method": proof.how,
        "patients_who_could_meet_alone": already + len(possible),
        "fraction_meeting_plan": meeting / patients if patients else 1.0,
        "fraction_meeting_plan_bound": proof.patients / patients if patients else 1.0,
    }
    if proof.patients < meeting:            # a proof below a week that exists: a bug somewhere
        log.error("proven bound %d is below the %d patients meeting their plan", proof.patients, meeting)
    return schedule


def _run(week: WeekModel, cp_model, objective, *, workers: int, seed: int, seconds: float, phase_one=None):
    """Solve the week's model for `objective` within `seconds`; (solver, status), or (None,
    status) when no week was found.

    In phase 1 (`phase_one` = (prover, bound model builder, its result)) a watcher also starts
    the proof once progress quiets down (a quarter of the time since the first week, at least
    1.5 s), and stops the search when the proof matches the best week or progress stalls (half
    the time since the first week, at least 2.5 s)."""
    week.model.maximize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if phase_one is None:
        status = solver.solve(week.model)
    else:
        # A lighter presolve: phase 1 starts from the hint and finds the best week sooner.
        solver.parameters.max_presolve_iterations = 1
        prover, builder, bound_model = phase_one
        progress = _Progress(cp_model)
        running = threading.Event()
        running.set()

        def watch() -> None:
            while running.is_set():
                time.sleep(0.1)
                if not progress.first:
                    continue
                if prover.model is None and not builder.is_alive():
                    prover.model = bound_model[0]
                found = round(progress.value)
                now = time.perf_counter()
                quiet, since = now - progress.last, now - progress.first
                if prover.settled(found) or quiet > max(STALL_SECONDS, STALL_SHARE * since):
                    solver.stop_search()
                    return
                if quiet > max(PROVE_SECONDS, PROVE_SHARE * since):
                    prover.start(found)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            status = solver.solve(week.model, progress.callback)
        finally:
            running.clear()
            watcher.join()
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return solver, status
    return None, status


class _Progress:
    """When phase 1 found its first and its latest better week, and how many met their plan."""

    def __init__(self, cp_model):
        self.first = self.last = 0.0
        self.value = None
        progress = self

        class Callback(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self):
                value = self.objective_value
                if progress.value is None or value > progress.value:
                    progress.value, progress.last = value, time.perf_counter()
                    progress.first = progress.first or progress.last
                    log.debug("phase 1: %d", round(value))

        self.callback = Callback()
