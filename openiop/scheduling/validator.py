"""The hard rules of docs/scheduling.md, re-checked on any schedule in plain Python.

Independent of the solver on purpose: it shares only the instance dataclasses, so a mistake in
the CP-SAT model shows up here as a violation instead of being repeated. Each check is one
small generator of `Violation`s; `violations()` runs them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from openiop.scheduling.instance import (
    SERVICES,
    Instance,
    Schedule,
    Session,
    format_time,
    seats_needed,
)

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Violation:
    rule: int  # 1..8, the numbered hard rules of docs/scheduling.md
    sessions: tuple[str, ...]  # the sessions involved (for a missing fixed session, its id)
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule}: {self.message}"


def violations(instance: Instance, schedule: Schedule) -> list[Violation]:
    """Return every broken hard rule in the schedule, in rule order."""
    sessions = list(schedule.sessions)
    found = [violation for check in CHECKS for violation in check(instance, sessions)]
    return sorted(found, key=lambda v: v.rule)


def count(instance: Instance, schedule: Schedule) -> int:
    """Return how many hard-rule violations the schedule has (0 for a valid schedule)."""
    return len(violations(instance, schedule))


# Helpers ----------------------------------------------------------------------------------------


def when(session: Session) -> str:
    """'Mon 18:00–21:00': how a session's time reads in a message."""
    day = DAY_NAMES[session.day] if 0 <= session.day <= 6 else f"day {session.day}"
    return f"{day} {format_time(session.start)}–{format_time(session.end)}"


def _ids(sessions: Iterable[Session]) -> tuple[str, ...]:
    return tuple(s.id for s in sessions)


def _listed(sessions: Iterable[Session]) -> str:
    return ", ".join(s.id for s in sessions)


def _overlapping_pairs(sessions: Iterable[Session]) -> Iterator[tuple[Session, Session]]:
    ordered = sorted(sessions, key=lambda s: (s.day, s.start, s.id))
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            # Sorted by start: once one starts after `first` ends, so do all that follow.
            if second.day != first.day or second.start >= first.end:
                break
            yield first, second


def _by_holder(
    sessions: list[Session], holders: Callable[[Session], Iterable[str]]
) -> dict[str, list[Session]]:
    """The sessions of each patient, staff member or room, sorted by holder id."""
    grouped: dict[str, list[Session]] = defaultdict(list)
    for session in sessions:
        for holder in set(holders(session)):
            grouped[holder].append(session)
    return dict(sorted(grouped.items()))


def _room_of(session: Session) -> tuple[str, ...]:
    return (session.room,) if session.room is not None else ()


def _section_of(instance: Instance, session: Session):
    """The instance section a group session holds, or None (not a group, or no such section)."""
    if session.kind != "group" or session.section is None:
        return None
    return instance.sections.get(session.section)


# Rule 1: nobody is in two places at once --------------------------------------------------------


def no_double_booking(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    holders = (
        ("patient", lambda s: s.patients),
        ("staff member", lambda s: s.staff),
        ("room", _room_of),
    )
    for what, holders_of in holders:
        for holder, theirs in _by_holder(sessions, holders_of).items():
            for first, second in _overlapping_pairs(theirs):
                message = (
                    f"{what} {holder} is booked twice at once: {first.id} ({when(first)}) "
                    f"and {second.id} ({when(second)})."
                )
                yield Violation(1, (first.id, second.id), message)


# Rule 2: capacity and group size ----------------------------------------------------------------


def room_capacity(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    for session in sessions:
        room = instance.rooms.get(session.room) if session.room is not None else None
        people = seats_needed(session.kind, len(session.patients), len(session.staff))
        if room is not None and people > room.capacity:
            family = " and the family" if session.kind == "family" else ""
            message = (
                f"session {session.id} puts {people} people ({len(session.patients)} patients, "
                f"{len(session.staff)} staff{family}) in room {room.id}, which seats {room.capacity}."
            )
            yield Violation(2, (session.id,), message)


def group_size(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    for session in sessions:
        section = _section_of(instance, session)
        if section is None:
            continue  # not a group, or not a real section: rule 5 says so
        group_type = instance.group_types[section.group_type]
        if len(session.patients) > group_type.max_size:
            message = (
                f"group session {session.id} has {len(session.patients)} patients; "
                f"{group_type.name} groups take at most {group_type.max_size}."
            )
            yield Violation(2, (session.id,), message)


# Rule 3: staff availability, time off and weekly maximum ----------------------------------------


def staff_availability(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    for session in sessions:
        for staff_id in session.staff:
            staff = instance.staff.get(staff_id)
            if staff is not None and not staff.free(session.day, session.start, session.end):
                message = (
                    f"staff member {staff_id} is not working at {when(session)} (session "
                    f"{session.id}): outside their availability or in their time off."
                )
                yield Violation(3, (session.id,), message)


def staff_max_minutes(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    for staff_id, theirs in _by_holder(sessions, lambda s: s.staff).items():
        staff = instance.staff.get(staff_id)
        minutes = sum(s.minutes for s in theirs)
        if staff is not None and minutes > staff.max_minutes:
            message = (
                f"staff member {staff_id} has {minutes} minutes of sessions this week "
                f"({_listed(theirs)}); their maximum is {staff.max_minutes}."
            )
            yield Violation(3, _ids(theirs), message)


# Rule 4: staff are qualified --------------------------------------------------------------------


def sessions_have_known_staff(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    """Qualifications can be checked only for a known kind of session and known staff."""
    for session in sessions:
        if session.kind not in ("group", *SERVICES):
            message = (
                f"session {session.id} is of kind '{session.kind}'; use group, individual, "
                f"family or medication."
            )
            yield Violation(4, (session.id,), message)
        if not session.staff:
            yield Violation(4, (session.id,), f"session {session.id} has no staff member.")
        for staff_id in session.staff:
            if staff_id not in instance.staff:
                message = (
                    f"session {session.id} names staff member '{staff_id}', "
                    f"who is not in the instance."
                )
                yield Violation(4, (session.id,), message)


def facilitators_lead_their_group(
    instance: Instance, sessions: list[Session]
) -> Iterator[Violation]:
    for session in sessions:
        section = _section_of(instance, session)
        if section is None:
            continue
        for staff_id in session.staff:
            staff = instance.staff.get(staff_id)
            if staff is not None and section.group_type not in staff.leads:
                message = (
                    f"staff member {staff_id} facilitates session {session.id} but does not "
                    f"lead {section.group_type} groups."
                )
                yield Violation(4, (session.id,), message)


def staff_offer_the_service(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    for session in sessions:
        if session.kind not in SERVICES:
            continue
        for staff_id in session.staff:
            staff = instance.staff.get(staff_id)
            if staff is not None and session.kind not in staff.services:
                message = (
                    f"staff member {staff_id} gives {session.kind} session {session.id} "
                    f"but does not offer {session.kind} sessions."
                )
                yield Violation(4, (session.id,), message)


def individual_with_primary_clinician(
    instance: Instance, sessions: list[Session]
) -> Iterator[Violation]:
    for session in sessions:
        if session.kind != "individual":
            continue
        for patient_id in session.patients:
            patient = instance.patients.get(patient_id)
            if patient is not None and patient.primary_clinician not in session.staff:
                message = (
                    f"individual session {session.id} for patient {patient_id} is not with "
                    f"their primary clinician ({patient.primary_clinician or 'none named'})."
                )
                yield Violation(4, (session.id,), message)


# Rule 5: patients' availability, track, sections, demand and maximum ----------------------------


def patients_exist(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    """Every patient of a session is one of the instance's, except people named in a fixed
    session or a booked seat (not being rescheduled this time), in that session only."""
    fixed = {f.id: set(f.patients) for f in instance.fixed}
    booked = {s.id: set(s.booked) for s in instance.sections.values() if s.booked}
    for session in sessions:
        for patient_id in session.patients:
            if patient_id in instance.patients or patient_id in fixed.get(session.id, ()):
                continue
            if session.kind == "group" and patient_id in booked.get(session.section, ()):
                continue
            message = (
                f"session {session.id} names patient '{patient_id}', "
                f"who is not in the instance."
            )
            yield Violation(5, (session.id,), message)


def patient_availability(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    for session in sessions:
        for patient_id in session.patients:
            patient = instance.patients.get(patient_id)
            if patient is not None and not patient.free(session.day, session.start, session.end):
                message = (
                    f"patient {patient_id} is not available at {when(session)} "
                    f"(session {session.id})."
                )
                yield Violation(5, (session.id,), message)


def group_sessions_are_sections(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    """A group session is one of the week's sections, held once, at the section's time.

    Rule 5 because patients may join only their track's sections: a group at another time, or
    of no section, is not one of them.
    """
    held: dict[str, list[Session]] = defaultdict(list)
    for session in (s for s in sessions if s.kind == "group"):
        section = _section_of(instance, session)
        if section is None:
            message = (
                f"group session {session.id} names section '{session.section}', "
                f"which is not one of the week's sections."
            )
            yield Violation(5, (session.id,), message)
            continue
        held[section.id].append(session)
        timing = (section.day, section.start, section.minutes)
        if (session.day, session.start, session.minutes) != timing:
            meets = f"{DAY_NAMES[section.day]} {format_time(section.start)}"
            message = (
                f"group session {session.id} is at {when(session)}, "
                f"but section {section.id} meets {meets}–{format_time(section.end)}."
            )
            yield Violation(5, (session.id,), message)
        if session.group_type is not None and session.group_type != section.group_type:
            message = (
                f"group session {session.id} says group type {session.group_type}, "
                f"but section {section.id} is {section.group_type}."
            )
            yield Violation(5, (session.id,), message)
    for section_id, theirs in sorted(held.items()):
        if len(theirs) > 1:
            message = (
                f"section {section_id} is held {len(theirs)} times ({_listed(theirs)}); "
                f"a section meets once a week."
            )
            yield Violation(5, _ids(theirs), message)


def own_track_sections(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    for session in sessions:
        section = _section_of(instance, session)
        if section is None:
            continue
        for patient_id in session.patients:
            patient = instance.patients.get(patient_id)
            if patient is not None and patient.track != section.track:
                message = (
                    f"patient {patient_id} (track {patient.track}) is in session {session.id} "
                    f"of section {section.id}, which belongs to track {section.track}."
                )
                yield Violation(5, (session.id,), message)


def section_once_per_patient(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    attended: dict[tuple[str, str], list[Session]] = defaultdict(list)
    for session in sessions:
        if session.kind == "group" and session.section is not None:
            # No set(): a patient listed twice in one session attends that section twice.
            for patient_id in session.patients:
                attended[(patient_id, session.section)].append(session)
    for (patient_id, section_id), theirs in sorted(attended.items()):
        if len(theirs) > 1:
            message = (
                f"patient {patient_id} attends section {section_id} {len(theirs)} times "
                f"({_listed(theirs)}); each section at most once."
            )
            yield Violation(5, _ids(theirs), message)


def demand_not_exceeded(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    for patient_id, theirs in _by_holder(sessions, lambda s: s.patients).items():
        patient = instance.patients.get(patient_id)
        if patient is None:
            continue
        groups = [s for s in theirs if s.kind == "group"]
        if len(groups) > patient.group_blocks:
            message = (
                f"patient {patient_id} has {len(groups)} group blocks ({_listed(groups)}); "
                f"their plan asks for {patient.group_blocks}."
            )
            yield Violation(5, _ids(groups), message)
        for service in SERVICES:
            given = [s for s in theirs if s.kind == service]
            demand = patient.services.get(service)
            most_sessions, most_minutes = (demand.sessions, demand.total) if demand else (0, 0)
            minutes = sum(s.minutes for s in given)
            if len(given) > most_sessions or minutes > most_minutes:
                message = (
                    f"patient {patient_id} has {len(given)} {service} sessions "
                    f"({_listed(given)}; {minutes} min); their plan asks for {most_sessions} "
                    f"({most_minutes} min)."
                )
                yield Violation(5, _ids(given), message)


def patient_max_minutes(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    for patient_id, theirs in _by_holder(sessions, lambda s: s.patients).items():
        patient = instance.patients.get(patient_id)
        minutes = sum(s.minutes for s in theirs)
        if patient is not None and minutes > patient.max_minutes:
            message = (
                f"patient {patient_id} has {minutes} minutes of sessions this week "
                f"({_listed(theirs)}); their maximum is {patient.max_minutes}."
            )
            yield Violation(5, _ids(theirs), message)


# Rule 6: fixed sessions appear unchanged --------------------------------------------------------


def _as_placed(session: Session) -> tuple:
    """What must not change about a fixed session; the order people are listed in may."""
    staff, patients = tuple(sorted(session.staff)), tuple(sorted(session.patients))
    placed = (session.kind, session.day, session.start, session.minutes, session.room)
    return (*placed, staff, patients, session.telehealth, session.section)


def _describe(session: Session) -> str:
    where = "telehealth" if session.telehealth else f"room {session.room}"
    staff = ", ".join(session.staff) or "none"
    patients = ", ".join(session.patients) or "none"
    return f"{session.kind} {when(session)}, {where}, staff {staff}, patients {patients}"


def fixed_sessions_unchanged(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    by_id: dict[str, list[Session]] = defaultdict(list)
    for session in sessions:
        by_id[session.id].append(session)
    for fixed in instance.fixed:
        matches = by_id.get(fixed.id, [])
        if not matches:
            message = f"fixed session {fixed.id} ({when(fixed)}) is missing."
        elif len(matches) > 1:
            message = f"fixed session {fixed.id} appears {len(matches)} times."
        elif _as_placed(matches[0]) != _as_placed(fixed):
            message = (
                f"fixed session {fixed.id} was changed: {_describe(matches[0])} "
                f"instead of {_describe(fixed)}."
            )
        else:
            continue
        yield Violation(6, (fixed.id,), message)


def sections_keep_their_room_and_facilitator(
    instance: Instance, sessions: list[Session]
) -> Iterator[Violation]:
    """A section that names its room or facilitator was set by hand, like a fixed session."""
    for session in sessions:
        section = _section_of(instance, session)
        if section is None:
            continue
        if section.room is not None and session.room != section.room:
            message = (
                f"group session {session.id} is in room {session.room}; "
                f"section {section.id} is set to room {section.room}."
            )
            yield Violation(6, (session.id,), message)
        if section.facilitator is not None and section.facilitator not in session.staff:
            message = (
                f"group session {session.id} is not facilitated by {section.facilitator}, "
                f"whom section {section.id} names."
            )
            yield Violation(6, (session.id,), message)


# Rule 7: sessions in person have a room ---------------------------------------------------------


def in_person_sessions_have_a_room(
    instance: Instance, sessions: list[Session]
) -> Iterator[Violation]:
    for session in sessions:
        if session.room is None and not session.telehealth:
            message = f"session {session.id} ({when(session)}) is in person but has no room."
            yield Violation(7, (session.id,), message)
        elif session.room is not None and session.room not in instance.rooms:
            message = (
                f"session {session.id} is in room '{session.room}', which is not in the instance."
            )
            yield Violation(7, (session.id,), message)


# Rule 8: booked patients stay in their section -------------------------------------------------


def booked_patients_stay(instance: Instance, sessions: list[Session]) -> Iterator[Violation]:
    """A section with booked patients is held, and every booked patient is in it."""
    held: dict[str, list[Session]] = defaultdict(list)
    for session in sessions:
        if session.kind == "group" and session.section is not None:
            held[session.section].append(session)
    for section in instance.sections.values():
        if not section.booked:
            continue
        if not held.get(section.id):
            message = (
                f"section {section.id} has booked patients ({', '.join(section.booked)}) "
                f"but is not held."
            )
            yield Violation(8, (section.id,), message)
            continue
        for session in held[section.id]:
            missing = [p for p in section.booked if p not in session.patients]
            if missing:
                message = (
                    f"booked patient{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                    f"{'are' if len(missing) > 1 else 'is'} missing from section {section.id} "
                    f"(session {session.id}); booked patients stay in their section."
                )
                yield Violation(8, (session.id,), message)


CHECKS: tuple[Callable[[Instance, list[Session]], Iterable[Violation]], ...] = (
    no_double_booking,
    room_capacity,
    group_size,
    staff_availability,
    staff_max_minutes,
    sessions_have_known_staff,
    facilitators_lead_their_group,
    staff_offer_the_service,
    individual_with_primary_clinician,
    patients_exist,
    patient_availability,
    group_sessions_are_sections,
    own_track_sections,
    section_once_per_patient,
    demand_not_exceeded,
    patient_max_minutes,
    fixed_sessions_unchanged,
    sections_keep_their_room_and_facilitator,
    in_person_sessions_have_a_room,
    booked_patients_stay,
)
