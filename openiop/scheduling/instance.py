"""A week to schedule, as plain data (docs/scheduling.md), and the schedule that answers it.

`load_instance(dict)` checks a JSON instance and returns an `Instance`, or raises
`InstanceError` naming every field that is wrong. The solver, the greedy baseline, the
validator and the benchmark all read this one representation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

SERVICES = ("individual", "family", "medication")
DEFAULT_GROUP_SIZE = 12
# A family session seats the patient's family too (not listed in the instance): one more person.
FAMILY_GUESTS = 1


def seats_needed(kind: str, patients: int, staff: int) -> int:
    """How many people a session puts in its room."""
    return patients + staff + (FAMILY_GUESTS if kind == "family" else 0)


class InstanceError(ValueError):
    """An instance that cannot be scheduled as written; `errors` lists "where: what" lines."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class Window:
    day: int          # 0 = Monday
    start: int        # minutes after midnight
    end: int

    def covers(self, day: int, start: int, end: int) -> bool:
        return self.day == day and self.start <= start and end <= self.end

    def overlaps(self, day: int, start: int, end: int) -> bool:
        return self.day == day and start < self.end and self.start < end


def is_free(windows: tuple[Window, ...], off: tuple[Window, ...], day: int, start: int, end: int) -> bool:
    """True when [start, end) on `day` lies inside one availability window and touches no time off."""
    return any(w.covers(day, start, end) for w in windows) and not any(o.overlaps(day, start, end) for o in off)


@dataclass(frozen=True)
class Room:
    id: str
    capacity: int


@dataclass(frozen=True)
class GroupType:
    id: str
    name: str
    max_size: int = DEFAULT_GROUP_SIZE


@dataclass(frozen=True)
class Staff:
    id: str
    name: str
    max_minutes: int
    leads: frozenset[str]
    services: frozenset[str]
    availability: tuple[Window, ...]
    time_off: tuple[Window, ...] = ()

    def free(self, day: int, start: int, end: int) -> bool:
        return is_free(self.availability, self.time_off, day, start, end)


@dataclass(frozen=True)
class Section:
    id: str
    track: str
    group_type: str
    day: int
    start: int
    minutes: int
    room: str | None = None
    facilitator: str | None = None
    # Patients already seated (repairing a week): they stay, and the section runs with its room
    # and facilitator. Ids may be of patients not in the instance (not being rescheduled).
    booked: tuple[str, ...] = ()
    # Who led the section last week, for continuity when the solver chooses the facilitator.
    last_facilitator: str | None = None

    @property
    def end(self) -> int:
        return self.start + self.minutes


@dataclass(frozen=True)
class ServiceDemand:
    sessions: int
    minutes: int

    @property
    def total(self) -> int:
        return self.sessions * self.minutes


@dataclass(frozen=True)
class Patient:
    id: str
    track: str
    primary_clinician: str | None
    availability: tuple[Window, ...]
    group_blocks: int
    services: dict[str, ServiceDemand]           # "individual" / "family" / "medication"
    min_minutes: int = 0
    max_minutes: int = 24 * 60 * 7
    last_week_sections: frozenset[str] = frozenset()

    def free(self, day: int, start: int, end: int) -> bool:
        return is_free(self.availability, (), day, start, end)


@dataclass(frozen=True)
class Session:
    """One scheduled (or fixed) session: a group section or a one-to-one service."""

    id: str
    kind: str                       # "group" or one of SERVICES
    day: int
    start: int
    minutes: int
    room: str | None
    staff: tuple[str, ...]
    patients: tuple[str, ...]
    telehealth: bool = False
    group_type: str | None = None
    section: str | None = None

    @property
    def end(self) -> int:
        return self.start + self.minutes


@dataclass(frozen=True)
class Instance:
    week_start: dt.date
    rooms: dict[str, Room]
    group_types: dict[str, GroupType]
    staff: dict[str, Staff]
    sections: dict[str, Section]
    patients: dict[str, Patient]
    fixed: tuple[Session, ...] = ()

    def section_size(self, section: Section) -> int:
        return self.group_types[section.group_type].max_size

    @property
    def outside_patients(self) -> frozenset[str]:
        """People named in fixed sessions or booked seats who are not among `patients`: they are
        not being rescheduled this time, but they are there and cannot be in two places."""
        named = {p for f in self.fixed for p in f.patients}
        named |= {p for s in self.sections.values() for p in s.booked}
        return frozenset(named - set(self.patients))

    def planned_minutes(self, patient: Patient) -> int:
        """What the patient's plan asks for this week: group blocks of their track's usual
        length plus the one-to-one services."""
        blocks = [s.minutes for s in self.sections.values() if s.track == patient.track]
        block = max(blocks) if blocks else 0
        return patient.group_blocks * block + sum(d.total for d in patient.services.values())


# Reading ----------------------------------------------------------------------------------------


def parse_time(text, where: str, errors: list[str]) -> int:
    try:
        hours, minutes = str(text).split(":")
        value = int(hours) * 60 + int(minutes)
        if not (0 <= int(minutes) < 60 and 0 <= value <= 24 * 60):
            raise ValueError
        return value
    except (ValueError, AttributeError):
        errors.append(f"{where}: '{text}' is not a time; write HH:MM, e.g. 18:00.")
        return 0


def format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _windows(raw, where: str, errors: list[str]) -> tuple[Window, ...]:
    windows = []
    for index, item in enumerate(raw or []):
        here = f"{where}[{index}]"
        day = item.get("day")
        if not isinstance(day, int) or not 0 <= day <= 6:
            errors.append(f"{here}.day: use 0 (Monday) to 6 (Sunday).")
            continue
        start = parse_time(item.get("start"), f"{here}.start", errors)
        end = parse_time(item.get("end"), f"{here}.end", errors)
        if end <= start:
            errors.append(f"{here}: the end is not after the start.")
            continue
        windows.append(Window(day, start, end))
    return tuple(windows)


def _unique(items, where: str, errors: list[str]) -> list[dict]:
    seen = set()
    result = []
    for index, item in enumerate(items or []):
        item_id = item.get("id") if isinstance(item, dict) else None
        if not item_id or not isinstance(item_id, str):
            errors.append(f"{where}[{index}].id: every entry needs a text id.")
            continue
        if item_id in seen:
            errors.append(f"{where}[{index}].id: '{item_id}' is used twice.")
            continue
        seen.add(item_id)
        result.append(item)
    return result


def _positive(value, where: str, errors: list[str], *, allow_zero: bool = False) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if allow_zero else 1):
        errors.append(f"{where}: must be a whole number{' of 0 or more' if allow_zero else ' above 0'}.")
        return 0
    return value


def load_instance(data: dict) -> Instance:
    """Check and read a JSON instance. Raises InstanceError listing every problem found."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise InstanceError(["instance: expected a JSON object."])
    try:
        week_start = dt.date.fromisoformat(str(data.get("week_start")))
    except ValueError:
        errors.append("week_start: write the Monday of the week as YYYY-MM-DD.")
        week_start = dt.date(1970, 1, 5)
    rooms = {r["id"]: Room(r["id"], _positive(r.get("capacity"), f"rooms.{r['id']}.capacity", errors))
             for r in _unique(data.get("rooms"), "rooms", errors)}
    group_types = {
        g["id"]: GroupType(g["id"], g.get("name") or g["id"],
                           _positive(g.get("max_size", DEFAULT_GROUP_SIZE), f"group_types.{g['id']}.max_size", errors))
        for g in _unique(data.get("group_types"), "group_types", errors)
    }
    staff = {s["id"]: _staff(s, group_types, errors) for s in _unique(data.get("staff"), "staff", errors)}
    sections = {s["id"]: _section(s, rooms, group_types, staff, errors)
                for s in _unique(data.get("sections"), "sections", errors)}
    patients = {p["id"]: _patient(p, staff, sections, errors) for p in _unique(data.get("patients"), "patients", errors)}
    fixed = tuple(_fixed(f, rooms, staff, sections, errors) for f in _unique(data.get("fixed"), "fixed", errors))
    _check_booked(sections, group_types, patients, fixed, errors)
    if errors:
        raise InstanceError(errors)
    return Instance(week_start, rooms, group_types, staff, sections, patients, fixed)


def _staff(raw, group_types, errors) -> Staff:
    where = f"staff.{raw['id']}"
    leads = frozenset(raw.get("leads") or [])
    for unknown in sorted(leads - set(group_types)):
        errors.append(f"{where}.leads: unknown group type '{unknown}'.")
    services = frozenset(raw.get("services") or [])
    for unknown in sorted(services - set(SERVICES)):
        errors.append(f"{where}.services: '{unknown}' is not one of {', '.join(SERVICES)}.")
    return Staff(
        id=raw["id"], name=raw.get("name") or raw["id"],
        max_minutes=_positive(raw.get("max_minutes", 40 * 60), f"{where}.max_minutes", errors, allow_zero=True),
        leads=leads, services=services,
        availability=_windows(raw.get("availability"), f"{where}.availability", errors),
        time_off=_windows(raw.get("time_off"), f"{where}.time_off", errors),
    )


def _section(raw, rooms, group_types, staff, errors) -> Section:
    where = f"sections.{raw['id']}"
    if raw.get("group_type") not in group_types:
        errors.append(f"{where}.group_type: unknown group type '{raw.get('group_type')}'.")
    if raw.get("room") is not None and raw["room"] not in rooms:
        errors.append(f"{where}.room: unknown room '{raw['room']}'.")
    if raw.get("facilitator") is not None and raw["facilitator"] not in staff:
        errors.append(f"{where}.facilitator: unknown staff member '{raw['facilitator']}'.")
    day = raw.get("day")
    if not isinstance(day, int) or not 0 <= day <= 6:
        errors.append(f"{where}.day: use 0 (Monday) to 6 (Sunday).")
        day = 0
    if not raw.get("track"):
        errors.append(f"{where}.track: say which track the section belongs to.")
    last = raw.get("last_facilitator")
    if last is not None and last not in staff:
        errors.append(f"{where}.last_facilitator: unknown staff member '{last}'.")
    booked = _id_list(raw.get("booked"), f"{where}.booked", errors)
    if booked:
        # Seated patients stay, so the section runs as it stands: its room and facilitator too.
        for name in ("room", "facilitator"):
            if raw.get(name) is None:
                errors.append(f"{where}.{name}: a section with booked patients must name its {name}.")
    return Section(
        id=raw["id"], track=raw.get("track") or "", group_type=raw.get("group_type") or "", day=day,
        start=parse_time(raw.get("start"), f"{where}.start", errors),
        minutes=_positive(raw.get("minutes"), f"{where}.minutes", errors),
        room=raw.get("room"), facilitator=raw.get("facilitator"), booked=booked, last_facilitator=last,
    )


def _id_list(raw, where: str, errors: list[str]) -> tuple[str, ...]:
    """A list of distinct text ids (None: empty)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) and item for item in raw):
        errors.append(f"{where}: write a list of patient ids, e.g. [\"p7\", \"p9\"].")
        return ()
    twice = sorted({item for item in raw if raw.count(item) > 1})
    if twice:
        errors.append(f"{where}: {', '.join(twice)} listed twice.")
    return tuple(dict.fromkeys(raw))


def _check_booked(sections, group_types, patients, fixed, errors) -> None:
    """Booked seats must fit the group and belong to the section's track; a section held as a
    fixed session cannot also have booked seats (list its patients there)."""
    held = {f.section: f.id for f in fixed if f.section is not None}
    for section in sections.values():
        if not section.booked:
            continue
        where = f"sections.{section.id}.booked"
        if section.id in held:
            errors.append(f"{where}: the section is held as fixed session {held[section.id]}; list its "
                          f"patients there instead.")
        group_type = group_types.get(section.group_type)
        if group_type is not None and len(section.booked) > group_type.max_size:
            errors.append(f"{where}: {len(section.booked)} patients, but {group_type.name} groups take at most "
                          f"{group_type.max_size}.")
        for patient_id in section.booked:
            patient = patients.get(patient_id)
            if patient is not None and patient.track != section.track:
                errors.append(f"{where}: patient {patient_id} is in track {patient.track}, not {section.track}.")


def _patient(raw, staff, sections, errors) -> Patient:
    where = f"patients.{raw['id']}"
    demand = raw.get("demand") or {}
    services = {}
    for service in SERVICES:
        item = demand.get(service)
        if item is None:
            continue
        sessions = _positive(item.get("sessions"), f"{where}.demand.{service}.sessions", errors)
        minutes = _positive(item.get("minutes"), f"{where}.demand.{service}.minutes", errors)
        services[service] = ServiceDemand(sessions, minutes)
    primary = raw.get("primary_clinician")
    if primary is not None and primary not in staff:
        errors.append(f"{where}.primary_clinician: unknown staff member '{primary}'.")
    if "individual" in services and primary is None:
        errors.append(f"{where}.primary_clinician: individual therapy needs the primary clinician.")
    unknown_sections = sorted(set(raw.get("last_week_sections") or []) - set(sections))
    if unknown_sections:
        errors.append(f"{where}.last_week_sections: unknown sections {', '.join(unknown_sections)}.")
    min_minutes = _positive(raw.get("min_minutes", 0), f"{where}.min_minutes", errors, allow_zero=True)
    max_minutes = _positive(raw.get("max_minutes", 24 * 60 * 7), f"{where}.max_minutes", errors)
    if max_minutes < min_minutes:
        errors.append(f"{where}.max_minutes: is below min_minutes.")
    return Patient(
        id=raw["id"], track=raw.get("track") or "", primary_clinician=primary,
        availability=_windows(raw.get("availability"), f"{where}.availability", errors),
        group_blocks=_positive(demand.get("group_blocks", 0), f"{where}.demand.group_blocks", errors, allow_zero=True),
        services=services, min_minutes=min_minutes, max_minutes=max_minutes,
        last_week_sections=frozenset(raw.get("last_week_sections") or []),
    )


def _fixed(raw, rooms, staff, sections, errors) -> Session:
    where = f"fixed.{raw['id']}"
    kind = raw.get("kind")
    if kind not in ("group", *SERVICES):
        errors.append(f"{where}.kind: use group, individual, family or medication.")
    telehealth = bool(raw.get("telehealth", False))
    room = raw.get("room")
    if room is not None and telehealth:
        errors.append(f"{where}.room: a telehealth session has no room (remove the room or telehealth).")
    if room is None and not telehealth:
        errors.append(f"{where}.room: a session in person needs a room (or set telehealth).")
    if room is not None and room not in rooms:
        errors.append(f"{where}.room: unknown room '{room}'.")
    for person in raw.get("staff") or []:
        if person not in staff:
            errors.append(f"{where}.staff: unknown staff member '{person}'.")
    # Patients not among the instance's `patients` are allowed: they are not being rescheduled
    # this time, but the session keeps their time (Instance.outside_patients).
    section = raw.get("section")
    if section is not None and section not in sections:
        errors.append(f"{where}.section: unknown section '{section}'.")
    day = raw.get("day")
    if not isinstance(day, int) or not 0 <= day <= 6:
        errors.append(f"{where}.day: use 0 (Monday) to 6 (Sunday).")
        day = 0
    return Session(
        id=raw["id"], kind=kind or "", day=day, start=parse_time(raw.get("start"), f"{where}.start", errors),
        minutes=_positive(raw.get("minutes"), f"{where}.minutes", errors), room=room,
        staff=tuple(raw.get("staff") or []), patients=tuple(raw.get("patients") or []), telehealth=telehealth,
        group_type=raw.get("group_type"), section=section,
    )


# Writing ----------------------------------------------------------------------------------------


def session_to_json(session: Session) -> dict:
    return {
        "id": session.id, "kind": session.kind, "group_type": session.group_type, "section": session.section,
        "day": session.day, "start": format_time(session.start), "minutes": session.minutes, "room": session.room,
        "staff": list(session.staff), "patients": list(session.patients), "telehealth": session.telehealth,
    }


def session_from_json(raw: dict) -> Session:
    errors: list[str] = []
    where = f"sessions.{raw.get('id')}"
    start = parse_time(raw.get("start"), f"{where}.start", errors)
    if not isinstance(raw.get("day"), int) or not 0 <= raw["day"] <= 6:
        errors.append(f"{where}.day: use 0 (Monday) to 6 (Sunday).")
    _positive(raw.get("minutes"), f"{where}.minutes", errors)
    if errors:
        raise InstanceError(errors)
    return Session(
        id=raw["id"], kind=raw["kind"], day=raw["day"], start=start, minutes=raw["minutes"], room=raw.get("room"),
        staff=tuple(raw.get("staff") or []), patients=tuple(raw.get("patients") or []),
        telehealth=bool(raw.get("telehealth", False)), group_type=raw.get("group_type"), section=raw.get("section"),
    )


@dataclass
class Schedule:
    """A solved (or greedy) week: the sessions, and per patient what was met."""

    instance: Instance
    sessions: list[Session]
    unmet: dict[str, list[str]] = field(default_factory=dict)
    solver: dict = field(default_factory=dict)

    def minutes_of(self, patient_id: str) -> int:
        return sum(s.minutes for s in self.sessions if patient_id in s.patients)

    def meets_plan(self, patient: Patient) -> bool:
        """Every service of the patient's demand scheduled in full."""
        mine = [s for s in self.sessions if patient.id in s.patients]
        if sum(1 for s in mine if s.kind == "group") < patient.group_blocks:
            return False
        for service, demand in patient.services.items():
            if sum(1 for s in mine if s.kind == service) < demand.sessions:
                return False
        return True

    def fraction_meeting_plan(self) -> float:
        patients = list(self.instance.patients.values())
        if not patients:
            return 1.0
        return sum(1 for p in patients if self.meets_plan(p)) / len(patients)

    def to_json(self) -> dict:
        return {
            "week_start": self.instance.week_start.isoformat(),
            "sessions": [session_to_json(s) for s in sorted(self.sessions, key=lambda s: (s.day, s.start, s.id))],
            "patients": [
                {"id": p.id, "planned_minutes": self.instance.planned_minutes(p),
                 "scheduled_minutes": self.minutes_of(p.id), "meets_plan": self.meets_plan(p),
                 "unmet": self.unmet.get(p.id, [])}
                for p in self.instance.patients.values()
            ],
            "solver": self.solver,
        }
