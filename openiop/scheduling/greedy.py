"""A simple first-fit week: the baseline the benchmark compares the solver with.

Honest rather than clever. Fixed sessions stay, and booked sections run as they stand (their
room, facilitator and booked patients); every other section gets its set (or else the first
qualified, free) facilitator and room; then patients, in id order, join their track's sections
in day order and get each one-to-one service at the first half-hour start where they, the right
staff member and a room are all free. It never breaks a hard rule (the tests run the validator
on it); it only places less than the solver does, and says why in `Schedule.unmet`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from openiop.scheduling.instance import (
    SERVICES,
    Instance,
    Patient,
    Schedule,
    Section,
    Session,
    Staff,
    seats_needed,
)

FIRST_START = 8 * 60  # one-to-one sessions start on a half-hour grid, 08:00 ...
LAST_START = 21 * 60  # ... to 21:00
GRID_STEP = 30
DAYS = range(7)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SHORT_NAMES = {"individual": "ind", "family": "fam", "medication": "med"}


class Calendar:
    """What each patient, staff member and room is already booked for, and their weekly minutes."""

    def __init__(self):
        self._booked: dict[tuple[str, str, int], list[tuple[int, int]]] = defaultdict(list)
        self.minutes: Counter[tuple[str, str]] = Counter()

    def free(self, key: tuple[str, str], day: int, start: int, end: int) -> bool:
        return all(end <= s or e <= start for s, e in self._booked.get((*key, day), ()))

    def book(self, key: tuple[str, str], day: int, start: int, end: int) -> None:
        self._booked[(*key, day)].append((start, end))
        self.minutes[key] += end - start

    def book_session(self, session: Session) -> None:
        for patient_id in session.patients:
            self.book(("patient", patient_id), session.day, session.start, session.end)
        for staff_id in session.staff:
            self.book(("staff", staff_id), session.day, session.start, session.end)
        if session.room is not None:
            self.book(("room", session.room), session.day, session.start, session.end)


@dataclass
class OpenSection:
    """A section that will be held, with the room and facilitator it got and who has joined."""

    section: Section
    room: str
    facilitator: str
    size: int  # the most patients: group max_size, or fewer if the room is small
    patients: list[str] = field(default_factory=list)

    def to_session(self) -> Session:
        s = self.section
        return Session(
            id=s.id,
            kind="group",
            day=s.day,
            start=s.start,
            minutes=s.minutes,
            room=self.room,
            staff=(self.facilitator,),
            patients=tuple(self.patients),
            group_type=s.group_type,
            section=s.id,
        )


@dataclass
class Week:
    """The greedy schedule as it is being built."""

    instance: Instance
    calendar: Calendar = field(default_factory=Calendar)
    fixed: list[Session] = field(default_factory=list)
    sections: dict[str, OpenSection] = field(default_factory=dict)
    one_to_one: list[Session] = field(default_factory=list)
    unmet: dict[str, list[str]] = field(default_factory=dict)

    def used_ids(self) -> set[str]:
        return (
            {s.id for s in self.fixed}
            | set(self.instance.sections)
            | {s.id for s in self.one_to_one}
        )

    def sessions_of(self, patient_id: str) -> list[Session]:
        return [s for s in self.fixed + self.one_to_one if patient_id in s.patients]


def greedy_schedule(instance: Instance) -> Schedule:
    """Return a first-fit schedule for the instance; it keeps every hard rule."""
    week = Week(instance)
    for session in instance.fixed:
        week.fixed.append(session)
        week.calendar.book_session(session)
    sections = sorted(instance.sections.values(), key=lambda s: (s.day, s.start, s.id))
    for section in sections:
        if section.booked and not _held_as_fixed(week, section):
            open_booked_section(week, section)
    for section in sections:
        if not section.booked:
            open_section(week, section)
    for patient in sorted(instance.patients.values(), key=lambda p: p.id):
        reasons = join_sections(week, patient) + place_services(week, patient)
        if reasons:
            week.unmet[patient.id] = reasons
    held = [o.to_session() for o in week.sections.values() if o.patients]
    return Schedule(
        instance, week.fixed + held + week.one_to_one, unmet=week.unmet, solver={"status": "GREEDY"}
    )


# Sections ---------------------------------------------------------------------------------------


def _held_as_fixed(week: Week, section: Section) -> bool:
    return any(s.kind == "group" and s.section == section.id for s in week.fixed)


def open_booked_section(week: Week, section: Section) -> None:
    """A section with booked patients runs as it stands: its room, its facilitator and the booked
    patients (who may be people the instance does not reschedule); the seats left are open."""
    room = week.instance.rooms[section.room]
    size = max(0, min(week.instance.section_size(section), room.capacity - 1))
    opened = OpenSection(section, section.room, section.facilitator, max(size, len(section.booked)),
                         list(section.booked))
    week.sections[section.id] = opened
    week.calendar.book_session(opened.to_session())


def open_section(week: Week, section: Section) -> None:
    """Give the section a facilitator and a room if both can be found; otherwise it is not held."""
    if _held_as_fixed(week, section):
        return  # already held as a fixed session, which nobody else may join
    facilitator = _facilitator_for(week, section)
    room = _room_for(week, section)
    if facilitator is None or room is None:
        return
    capacity = week.instance.rooms[room].capacity - 1  # the facilitator takes a seat
    size = min(week.instance.section_size(section), capacity)
    if size < 1:
        return
    for key in (("staff", facilitator), ("room", room)):
        week.calendar.book(key, section.day, section.start, section.end)
    week.sections[section.id] = OpenSection(section, room, facilitator, size)


def _staff_can_work(week: Week, staff: Staff, day: int, start: int, end: int) -> bool:
    key = ("staff", staff.id)
    return (
        staff.free(day, start, end)
        and week.calendar.free(key, day, start, end)
        and week.calendar.minutes[key] + (end - start) <= staff.max_minutes
    )


def _facilitator_for(week: Week, section: Section) -> str | None:
    if section.facilitator is not None:
        candidates = [week.instance.staff[section.facilitator]]
    else:
        candidates = sorted(week.instance.staff.values(), key=lambda s: s.id)
    for staff in candidates:
        if section.group_type in staff.leads and _staff_can_work(
            week, staff, section.day, section.start, section.end
        ):
            return staff.id
    return None


def _room_for(week: Week, section: Section) -> str | None:
    """The set room, or the first free room seating a full group, or else the largest free room."""
    rooms = sorted(week.instance.rooms.values(), key=lambda r: r.id)
    if section.room is not None:
        rooms = [week.instance.rooms[section.room]]
    free = [
        r
        for r in rooms
        if week.calendar.free(("room", r.id), section.day, section.start, section.end)
    ]
    if not free:
        return None
    full_group = week.instance.section_size(section) + 1
    seats_all = [r for r in free if r.capacity >= full_group]
    return (seats_all[0] if seats_all else max(free, key=lambda r: r.capacity)).id


def join_sections(week: Week, patient: Patient) -> list[str]:
    """Add the patient to their track's sections in day order; return why blocks are missing."""
    key = ("patient", patient.id)
    already = [s for s in week.sessions_of(patient.id) if s.kind == "group"]
    booked = {o.section.id for o in week.sections.values() if o.section.booked and patient.id in o.patients}
    attended = {s.section for s in already} | booked
    placed = len(already) + len(booked)
    why_not: Counter[str] = Counter()
    track = sorted(
        (s for s in week.instance.sections.values() if s.track == patient.track),
        key=lambda s: (s.day, s.start, s.id),
    )
    for section in track:
        if placed >= patient.group_blocks or section.id in attended:
            continue
        reason = _why_cannot_join(week, patient, section)
        if reason:
            why_not[reason] += 1
            continue
        week.sections[section.id].patients.append(patient.id)
        week.calendar.book(key, section.day, section.start, section.end)
        placed += 1
    if placed >= patient.group_blocks:
        return []
    return [_group_shortfall(patient, placed, len(track), why_not)]


def _why_cannot_join(week: Week, patient: Patient, section: Section) -> str | None:
    opened = week.sections.get(section.id)
    key = ("patient", patient.id)
    if not patient.free(section.day, section.start, section.end):
        return "outside their availability"
    if opened is None:
        return "not held (no free qualified facilitator or room)"
    if len(opened.patients) >= opened.size:
        return "full"
    if not week.calendar.free(key, section.day, section.start, section.end):
        return "at the same time as another of their sessions"
    if week.calendar.minutes[key] + section.minutes > patient.max_minutes:
        return f"past their maximum of {patient.max_minutes} minutes"
    return None


def _group_shortfall(patient: Patient, placed: int, sections: int, why_not: Counter[str]) -> str:
    """E.g. '1 of 3 group blocks: track sud-evening has 4 sections this week; 2 outside their
    availability, 1 full.'"""
    wanted = f"{placed} of {patient.group_blocks} group blocks"
    if sections == 0:
        return f"{wanted}: track {patient.track} has no sections this week."
    if not why_not:
        return f"{wanted}: track {patient.track} has only {sections} sections this week."
    details = ", ".join(f"{n} {reason}" for reason, n in sorted(why_not.items()))
    return f"{wanted}: track {patient.track} has {sections} sections this week; {details}."


# One-to-one services ----------------------------------------------------------------------------


def place_services(week: Week, patient: Patient) -> list[str]:
    """Place each one-to-one service at the first free half-hour; return why any are missing."""
    reasons = []
    for service in SERVICES:
        demand = patient.services.get(service)
        if demand is None:
            continue
        given = [s for s in week.sessions_of(patient.id) if s.kind == service]
        placed = len(given)
        minutes = sum(s.minutes for s in given)
        while placed < demand.sessions and minutes + demand.minutes <= demand.total:
            session = _first_free_slot(week, patient, service, demand.minutes)
            if session is None:
                break
            week.one_to_one.append(session)
            week.calendar.book_session(session)
            placed += 1
            minutes += demand.minutes
        if placed < demand.sessions:
            reasons.append(
                f"{placed} of {demand.sessions} {service} sessions ({demand.minutes} min): "
                f"{_why_no_slot(week, patient, service, demand.minutes)}"
            )
    return reasons


def _staff_for(week: Week, patient: Patient, service: str) -> list[Staff]:
    if service == "individual":
        primary = week.instance.staff.get(patient.primary_clinician or "")
        return [primary] if primary is not None and service in primary.services else []
    return sorted(
        (s for s in week.instance.staff.values() if service in s.services), key=lambda s: s.id
    )


def _first_free_slot(week: Week, patient: Patient, service: str, minutes: int) -> Session | None:
    key = ("patient", patient.id)
    if week.calendar.minutes[key] + minutes > patient.max_minutes:
        return None
    staff = _staff_for(week, patient, service)
    seats = seats_needed(service, 1, 1)
    rooms = sorted((r for r in week.instance.rooms.values() if r.capacity >= seats), key=lambda r: r.id)
    for day in DAYS:
        for start in range(FIRST_START, LAST_START + 1, GRID_STEP):
            end = start + minutes
            if not (patient.free(day, start, end) and week.calendar.free(key, day, start, end)):
                continue
            person = next((s for s in staff if _staff_can_work(week, s, day, start, end)), None)
            if person is None:
                continue
            room = next(
                (r for r in rooms if week.calendar.free(("room", r.id), day, start, end)), None
            )
            if room is not None:
                return Session(
                    id=_new_id(week, service, patient.id),
                    kind=service,
                    day=day,
                    start=start,
                    minutes=minutes,
                    room=room.id,
                    staff=(person.id,),
                    patients=(patient.id,),
                )
    return None


def _new_id(week: Week, service: str, patient_id: str) -> str:
    used = week.used_ids()
    number = 1
    while f"{SHORT_NAMES[service]}-{patient_id}-{number}" in used:
        number += 1
    return f"{SHORT_NAMES[service]}-{patient_id}-{number}"


def _why_no_slot(week: Week, patient: Patient, service: str, minutes: int) -> str:
    if week.calendar.minutes[("patient", patient.id)] + minutes > patient.max_minutes:
        return (
            f"another session would take them past their maximum of {patient.max_minutes} minutes."
        )
    if not _staff_for(week, patient, service):
        if service == "individual":
            clinician = patient.primary_clinician
            return f"their primary clinician ({clinician}) does not offer individual sessions."
        return f"no staff member offers {service} sessions."
    seats = seats_needed(service, 1, 1)
    if not any(r.capacity >= seats for r in week.instance.rooms.values()):
        return f"no room seats {seats} people."
    who = (
        "their primary clinician"
        if service == "individual"
        else f"a staff member offering {service}"
    )
    days = sorted({w.day for w in patient.availability})
    available = "/".join(DAY_NAMES[d] for d in days) or "no day"
    return (
        f"no half-hour start from 08:00 to 21:00 on any day when they (available {available}), "
        f"{who} and a room are all free."
    )
