"""The weekly schedule with OR-Tools CP-SAT (docs/scheduling.md): `solve(instance) -> Schedule`.

The model, in short:

- Fixed sessions are not variables. They block their patients, staff and rooms, count toward
  demand, and a section with a fixed session is taken as it is.
- Group sections: `seat[p, s]` for each patient of the section's track who is free for the
  whole section; `lead[s, t]` for the given facilitator (or each qualified staff member free
  then); `room[s, r]` for the given room (or the rooms big enough for the group). `active[s]`
  says the section runs: exactly one facilitator and one room when it does, none when no
  patient is seated, so empty sections cost nobody's time.
- One-to-one services: `visit[p, service, staff, day, start]` for every start on a 30-minute
  grid inside an overlap of the patient's and the right staff member's free time (individual:
  the primary clinician; family and medication: anyone offering it). A patient needing 2
  medication visits may take any 2 candidates: the sessions of one service are interchangeable,
  so counting them (sum ≤ demand) leaves no symmetry to break.
- Nobody in two places at once: all starts lie at known times, and two intervals overlap only
  when one contains the other's start. So for each patient, staff member and group room, at
  each start time, the sessions covering that moment sum to at most 1. This is exact, linear
  and small (each candidate appears in as many constraints as the starts it covers).
- Rooms for one-to-one sessions are a pool: every room seating two. Choosing a concrete room
  per candidate would multiply the model, so it only bounds, at each moment, how many sessions
  use the pool: one-to-one sessions plus group sections choosing a pool room, at most the pool
  rooms free of fixed sessions then (and the same for rooms seating 3, which family sessions
  need). Concrete rooms are handed out afterwards, earliest session first, smallest fitting room
  first. When every free room is free all day this always succeeds (interval graphs colour
  greedily in start order); when fixed sessions or group sections hold some rooms for part of
  the day it can, rarely, fail: that session is then dropped, so the schedule stays valid and
  the patient's unmet reason says what is missing.
- Objective, lexicographic by weights: patients meeting their plan, then sessions placed, then
  continuity (last week's sections), then fewer days on which a patient comes in (a cheap
  stand-in for idle gaps), then the busiest staff member's load (in half hours).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from openiop.scheduling.explain import unmet_reasons
from openiop.scheduling.instance import Instance, Schedule, Section, Session

GRID = 30                                   # minutes between candidate start times
MAX_CHOICES = 40                            # candidate times per patient and service
DAY = 24 * 60
SEATS_NEEDED = {"individual": 2, "medication": 2, "family": 3}   # patient + staff (+ family)
ID_PREFIX = {"individual": "ind", "family": "fam", "medication": "med"}


# What the fixed sessions already take ---------------------------------------------------------


@dataclass
class Taken:
    """Fixed sessions as busy times per person and room, and what they give each patient."""

    busy: dict[str, list[tuple[int, int, int]]] = field(default_factory=lambda: defaultdict(list))
    minutes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kinds: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    sections: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    fixed_sections: set[str] = field(default_factory=set)

    def is_busy(self, who: str, day: int, start: int, end: int) -> bool:
        return any(d == day and start < e and s < end for d, s, e in self.busy.get(who, ()))


def taken_by_fixed(instance: Instance) -> Taken:
    taken = Taken()
    for session in instance.fixed:
        people = [*session.patients, *session.staff]
        for who in [*people, *([f"room:{session.room}"] if session.room else [])]:
            taken.busy[who].append((session.day, session.start, session.end))
        for who in people:
            taken.minutes[who] += session.minutes
        for patient in session.patients:
            taken.kinds[patient, session.kind] += 1
            if session.section:
                taken.sections[patient].add(session.section)
        if session.section:
            taken.fixed_sections.add(session.section)
    return taken


def remaining_demand(instance: Instance, taken: Taken) -> dict[tuple[str, str], int]:
    """Sessions still to place per (patient, "group" or service) after the fixed ones."""
    left = {}
    for patient in instance.patients.values():
        left[patient.id, "group"] = max(0, patient.group_blocks - taken.kinds[patient.id, "group"])
        for service, demand in patient.services.items():
            left[patient.id, service] = max(0, demand.sessions - taken.kinds[patient.id, service])
    return left


# Candidates -------------------------------------------------------------------------------------


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


def facilitator_choices(instance: Instance, section: Section, taken: Taken) -> list[str]:
    people = [instance.staff[section.facilitator]] if section.facilitator else instance.staff.values()
    return [
        s.id for s in people
        if section.group_type in s.leads and s.free(section.day, section.start, section.end)
        and not taken.is_busy(s.id, section.day, section.start, section.end)
    ]


def seat_choices(instance: Instance, section: Section, taken: Taken, left) -> list[str]:
    return [
        p.id for p in instance.patients.values()
        if p.track == section.track and left[p.id, "group"] > 0
        and section.id not in taken.sections[p.id]
        and p.free(section.day, section.start, section.end)
        and not taken.is_busy(p.id, section.day, section.start, section.end)
    ]


def visit_choices(instance: Instance, taken: Taken, left) -> list[Visit]:
    visits = []
    for patient in instance.patients.values():
        needed_times = times_needed_for_groups(instance, patient, taken, left)
        for service, demand in patient.services.items():
            if left[patient.id, service] == 0:
                continue
            choices = []
            for member in staff_for(instance, patient, service, demand.minutes):
                choices.extend(
                    v for v in visits_with(patient, service, demand.minutes, member, taken)
                    if not any(d == v.day and v.start < e and s < v.end for d, s, e in needed_times)
                )
            visits.extend(spread(choices, MAX_CHOICES))
    return visits


def staff_for(instance: Instance, patient, service: str, minutes: int) -> list:
    """Individual therapy is with the primary clinician. Family sessions are too when the
    primary clinician offers them and shares time with the patient (continuity of care, and it
    keeps the model small); otherwise anyone offering the service."""
    primary = instance.staff.get(patient.primary_clinician or "")
    if service == "individual":
        return [primary] if primary and service in primary.services else []
    if service == "family" and primary and service in primary.services and shared_starts(patient, primary, minutes):
        return [primary]
    return [s for s in instance.staff.values() if service in s.services]


def times_needed_for_groups(instance: Instance, patient, taken: Taken, left) -> list[tuple[int, int, int]]:
    """When the patient can attend exactly as many distinct section times as blocks they still
    need, every one of those times is needed to meet the plan: one-to-one sessions go elsewhere."""
    times = {
        (s.day, s.start, s.end) for s in instance.sections.values()
        if s.track == patient.track and patient.free(s.day, s.start, s.end)
        and not taken.is_busy(patient.id, s.day, s.start, s.end)
    }
    return sorted(times) if 0 < len(times) <= left[patient.id, "group"] else []


def spread(choices: list, most: int) -> list:
    """At most `most` choices, evenly spread over the week (every k-th in time order)."""
    if len(choices) <= most:
        return choices
    ordered = sorted(choices, key=lambda v: (v.day, v.start, v.staff))
    step = len(ordered) / most
    return [ordered[int(i * step)] for i in range(most)]


def shared_starts(patient, member, minutes: int) -> list[tuple[int, int]]:
    starts = set()
    for mine in patient.availability:
        for theirs in member.availability:
            if mine.day != theirs.day:
                continue
            start, end = max(mine.start, theirs.start), min(mine.end, theirs.end)
            for begin in range(start, end - minutes + 1, GRID):
                starts.add((mine.day, begin))
    return sorted(starts)


def visits_with(patient, service: str, minutes: int, member, taken: Taken) -> list[Visit]:
    return [
        Visit(patient.id, service, member.id, day, start, minutes)
        for day, start in shared_starts(patient, member, minutes)
        if member.free(day, start, start + minutes)
        and not taken.is_busy(patient.id, day, start, start + minutes)
        and not taken.is_busy(member.id, day, start, start + minutes)
    ]


def one_to_one_rooms(instance: Instance) -> list[str]:
    """Every room seating two: the pool for one-to-one sessions, smallest first, so that group
    rooms are used for them only when the offices are taken."""
    rooms = [r for r in instance.rooms.values() if r.capacity >= 2]
    return [r.id for r in sorted(rooms, key=lambda r: (r.capacity, r.id))]


# The model ------------------------------------------------------------------------------------


def at_most_one_at_a_time(model, items, limit_at=None) -> None:
    """items: (literal, day, start, end). At each start, the items covering it sum to at most 1
    (or `limit_at(day, start, covering)`, which may return None to skip that moment)."""
    by_day = defaultdict(list)
    for item in items:
        by_day[item[1]].append(item)
    seen = set()
    for day, todays in by_day.items():
        for moment in sorted({start for _, _, start, _ in todays}):
            covering = [item for item in todays if item[2] <= moment < item[3]]
            limit = 1 if limit_at is None else limit_at(day, moment, covering)
            if limit is None or len(covering) <= limit:
                continue
            key = (frozenset(id(item[0]) for item in covering), limit)
            if key in seen:
                continue
            seen.add(key)
            model.Add(sum(item[0] for item in covering) <= limit)


class WeekModel:
    """The CP-SAT model for one instance and the way back from its solution to sessions.

    `start` is a valid schedule to start from (the greedy baseline's): its one-to-one sessions
    join the candidates and all its choices are given to CP-SAT as a hint, so the search begins
    from a complete week instead of an empty one."""

    def __init__(self, instance: Instance, start: Schedule | None = None):
        from ortools.sat.python import cp_model

        self.instance = instance
        self.start_from = [s for s in (start.sessions if start else []) if s not in instance.fixed]
        self.model = cp_model.CpModel()
        self.taken = taken_by_fixed(instance)
        self.left = remaining_demand(instance, self.taken)
        self.sections = [s for s in instance.sections.values() if s.id not in self.taken.fixed_sections]
        self.seat, self.lead, self.room, self.active = {}, {}, {}, {}
        self.visits: dict[Visit, object] = {}
        self.pool = one_to_one_rooms(instance)
        self.met = {}
        self.met_needs, self.comes_from, self.staff_terms = {}, [], {}
        self.already_met = 0
        self.weights = {}
        self._variables()
        self._no_double_booking()
        self._limits()
        self._objective()
        self._hint()

    def _hint(self) -> None:
        chosen = set()
        for session in self.start_from:
            if session.kind == "group":
                chosen |= {("active", session.section), ("lead", session.section, *session.staff),
                           ("room", session.section, session.room)}
                chosen |= {("seat", p, session.section) for p in session.patients}
            elif len(session.patients) == len(session.staff) == 1:
                chosen.add(("visit", Visit(session.patients[0], session.kind, session.staff[0], session.day,
                                           session.start, session.minutes)))
        values = {}
        for name, variables in (("active", self.active), ("lead", self.lead), ("room", self.room),
                                ("seat", self.seat), ("visit", self.visits)):
            for key, var in variables.items():
                key = key if isinstance(key, tuple) and name != "visit" else (key,)
                values[var.Index()] = (name, *key) in chosen
                self.model.AddHint(var, values[var.Index()])
        # The derived variables too, so that the hint is a complete, feasible solution.
        for met in self.met.values():
            self.model.AddHint(met, self.start_plan_met(met, values))
        for comes, vars_ in self.comes_from:
            self.model.AddHint(comes, any(values[v.Index()] for v in vars_))
        busiest = max((sum(values[v.Index()] * m for v, m in terms) + fixed
                       for terms, fixed in self.staff_terms.values()), default=0)
        self.model.AddHint(self.load, -(-busiest // GRID))

    def start_plan_met(self, met, values) -> bool:
        needs = self.met_needs[met.Index()]
        return all(sum(values[v.Index()] for v in vars_) >= need for vars_, need in needs)

    # variables
    def _variables(self) -> None:
        model, taken, left = self.model, self.taken, self.left
        for section in self.sections:
            leads = facilitator_choices(self.instance, section, taken)
            rooms = [r for r in group_room_choices(self.instance, section)
                     if not taken.is_busy(f"room:{r}", section.day, section.start, section.end)]
            seats = seat_choices(self.instance, section, taken, left) if leads and rooms else []
            if not seats:
                continue
            active = self.active[section.id] = model.NewBoolVar(f"active[{section.id}]")
            for t in leads:
                self.lead[section.id, t] = model.NewBoolVar(f"lead[{section.id},{t}]")
            for r in rooms:
                self.room[section.id, r] = model.NewBoolVar(f"room[{section.id},{r}]")
            for p in seats:
                self.seat[p, section.id] = model.NewBoolVar(f"seat[{p},{section.id}]")
            model.Add(sum(self.lead[section.id, t] for t in leads) == active)
            model.Add(sum(self.room[section.id, r] for r in rooms) == active)
            seated = [self.seat[p, section.id] for p in seats]
            model.Add(sum(seated) >= active)
            for var in seated:
                model.AddImplication(var, active)
            size = self.instance.section_size(section)
            model.Add(sum(seated) <= sum(
                min(size, self.instance.rooms[r].capacity - 1) * self.room[section.id, r] for r in rooms
            ))
        hinted = [Visit(s.patients[0], s.kind, s.staff[0], s.day, s.start, s.minutes)
                  for s in self.start_from if s.kind != "group" and len(s.patients) == len(s.staff) == 1]
        for visit in dict.fromkeys([*visit_choices(self.instance, taken, left), *hinted]):
            if self.pool and self._pool_can_seat(visit):
                self.visits[visit] = model.NewBoolVar(
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
        for (p, s), var in self.seat.items():
            yield p, var, by_id[s].day, by_id[s].start, by_id[s].end
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
            at_most_one_at_a_time(self.model, items)
        for seats in (2, 3):
            at_most_one_at_a_time(self.model, *self._pool_use(seats))

    def _pool_use(self, seats: int):
        """What may take a pool room seating `seats` (one-to-one sessions needing that many
        seats, group sections choosing such a room), and the limit at each moment: the rooms
        not taken by fixed sessions then."""
        rooms = [r for r in self.pool if self.instance.rooms[r].capacity >= seats]
        by_id = self.instance.sections
        items, who = [], {}
        for visit, var in self.visits.items():
            if SEATS_NEEDED[visit.service] >= seats:
                items.append((var, visit.day, visit.start, visit.end))
                who[id(var)] = ("staff", visit.staff)
        for (section, room), var in self.room.items():
            if room in rooms:
                items.append((var, by_id[section].day, by_id[section].start, by_id[section].end))
                who[id(var)] = ("section", section)

        def limit(day, moment, covering):
            free = sum(1 for r in rooms if not self.taken.is_busy(f"room:{r}", day, moment, moment + 1))
            # A staff member sees one patient at a time and a section takes one room, so when
            # there are rooms enough for all of them the moment needs no constraint.
            return None if free >= len({who[id(item[0])] for item in covering}) else free

        return items, limit

    def _limits(self) -> None:
        model, instance = self.model, self.instance
        minutes, terms = defaultdict(list), defaultdict(list)
        for who, var, _, start, end in self._items():
            if not who.startswith("room:"):
                minutes[who].append((end - start) * var)
                terms[who].append((var, end - start))
        for patient in instance.patients.values():
            model.Add(sum(minutes[patient.id]) <= max(0, patient.max_minutes - self.taken.minutes[patient.id]))
            counts = defaultdict(list)
            for (p, _), var in self.seat.items():
                if p == patient.id:
                    counts["group"].append(var)
            for visit, var in self.visits.items():
                if visit.patient == patient.id:
                    counts[visit.service].append(var)
            self._plan_met(patient, counts)
        self.staff_minutes = {}
        for member in instance.staff.values():
            model.Add(sum(minutes[member.id]) <= max(0, member.max_minutes - self.taken.minutes[member.id]))
            self.staff_minutes[member.id] = (sum(minutes[member.id]), self.taken.minutes[member.id])
            self.staff_terms[member.id] = (terms[member.id], self.taken.minutes[member.id])

    def _plan_met(self, patient, counts) -> None:
        needs = {"group": self.left[patient.id, "group"]}
        needs |= {service: self.left[patient.id, service] for service in patient.services}
        for kind, need in needs.items():
            self.model.Add(sum(counts[kind]) <= need)
        if all(need == 0 for need in needs.values()):
            self.already_met += 1
            return
        if any(len(counts[kind]) < need for kind, need in needs.items()):
            return                      # cannot meet the plan whatever the solver does
        met = self.met[patient.id] = self.model.NewBoolVar(f"met[{patient.id}]")
        self.met_needs[met.Index()] = [(counts[kind], need) for kind, need in needs.items() if need]
        for kind, need in needs.items():
            if need:
                self.model.Add(sum(counts[kind]) >= need).OnlyEnforceIf(met)

    def _objective(self) -> None:
        model, instance = self.model, self.instance
        placed = [*self.seat.values(), *self.visits.values()]
        continuity = [var for (p, s), var in self.seat.items() if s in instance.patients[p].last_week_sections]
        days = defaultdict(list)
        for (p, s), var in self.seat.items():
            days[p, instance.sections[s].day].append(var)
        for visit, var in self.visits.items():
            days[visit.patient, visit.day].append(var)
        not_coming = []
        for (p, day), vars_ in days.items():
            if self.taken.is_busy(p, day, 0, DAY):
                continue                # already coming in that day for a fixed session
            comes = model.NewBoolVar(f"comes[{p},{day}]")
            self.comes_from.append((comes, vars_))
            for var in vars_:
                model.AddImplication(var, comes)
            not_coming.append(comes.Not())
        longest = max([m.max_minutes for m in instance.staff.values()] or [0])
        top = math.ceil(longest / GRID)
        load = self.load = model.NewIntVar(0, top, "busiest_staff_half_hours")
        for variable, fixed in self.staff_minutes.values():
            model.Add(GRID * load >= variable + fixed)
        # Weights make each tier worth more than every lower tier together (all terms ≥ 0), so
        # floor(bound / met weight) bounds the number of patients who can meet their plan.
        w_load = 1
        w_days = w_load * (top + 1)
        w_cont = w_days * (len(not_coming) + 1)
        w_placed = w_cont * (len(continuity) + 1)
        w_met = w_placed * (len(placed) + 1)
        self.weights = {"met": w_met, "placed": w_placed, "continuity": w_cont, "days": w_days, "load": w_load}
        model.Maximize(
            w_met * sum(self.met.values()) + w_placed * sum(placed) + w_cont * sum(continuity)
            + w_days * sum(not_coming) + w_load * (top - load)
        )

    # the way back
    def sessions(self, solver) -> list[Session]:
        instance = self.instance
        sessions = list(instance.fixed)
        for section in self.sections:
            if section.id not in self.active or not solver.Value(self.active[section.id]):
                continue
            facilitator = next(t for (s, t), v in self.lead.items() if s == section.id and solver.Value(v))
            room = next(r for (s, r), v in self.room.items() if s == section.id and solver.Value(v))
            seated = tuple(p for (p, s), v in self.seat.items() if s == section.id and solver.Value(v))
            sessions.append(Session(
                id=section.id, kind="group", day=section.day, start=section.start, minutes=section.minutes,
                room=room, staff=(facilitator,), patients=seated, group_type=section.group_type,
                section=section.id,
            ))
        chosen = [v for v, var in self.visits.items() if solver.Value(var)]
        return sessions + rooms_for_visits(instance, chosen, self.pool, sessions)


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


def solve(instance: Instance, *, seconds: float = 30, workers: int = 2, seed: int = 0) -> Schedule:
    """The best week CP-SAT finds within `seconds`; always valid (docs/scheduling.md hard rules)."""
    began = time.perf_counter()             # importing ortools takes a second or more: count it
    from ortools.sat.python import cp_model

    from openiop.scheduling.greedy import greedy_schedule

    week = WeekModel(instance, start=greedy_schedule(instance))
    solver = cp_model.CpSolver()
    # Leave a little of the time for reading the solution back and explaining what is unmet.
    solver.parameters.max_time_in_seconds = max(0.1, seconds - (time.perf_counter() - began) - 1)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.Solve(week.model)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    sessions = week.sessions(solver) if found else list(instance.fixed)
    schedule = Schedule(instance, sessions)
    schedule.unmet = unmet_reasons(instance, sessions)
    patients = len(instance.patients)
    bound = solver.BestObjectiveBound() if found else None
    can_meet = len(week.met) + week.already_met
    if bound is not None:
        can_meet = min(can_meet, week.already_met + math.floor(bound / week.weights["met"]))
    schedule.solver = {
        "status": solver.StatusName(status),
        "seconds": round(time.perf_counter() - began, 2),
        "objective": solver.ObjectiveValue() if found else None,
        "bound": bound,
        "patients_meeting_plan_bound": can_meet,
        "fraction_meeting_plan": schedule.fraction_meeting_plan(),
        "fraction_meeting_plan_bound": can_meet / patients if patients else 1.0,
    }
    return schedule
