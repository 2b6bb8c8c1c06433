"""Plain words for what a schedule could not give a patient, and the nearest fix.

`unmet_reasons(instance, sessions)` returns, for each patient whose plan is not met, one line
per missing service, e.g.

    1 of 3 group blocks: available only Tue, Thu 17:30–21:30; the sud-evening track meets
    Mon, Tue, Thu 18:00–21:00. Nearest fix: ask about availability on Mon 18:00–21:00.

It looks only at the instance and the sessions (not at the solver), so the greedy baseline can
use it too. It is deterministic and cheap: a few passes over the patient's windows.
"""

from __future__ import annotations

from collections import defaultdict

from openiop.scheduling.instance import Instance, Patient, Session, Window, format_time

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SERVICE_NAMES = {"individual": "individual therapy", "family": "family session", "medication": "medication visit"}


def unmet_reasons(instance: Instance, sessions: list[Session]) -> dict[str, list[str]]:
    booked = defaultdict(list)
    for session in sessions:
        for who in (*session.patients, *session.staff):
            booked[who].append(session)
    reasons = {}
    for patient in instance.patients.values():
        lines = reasons_for(instance, patient, booked)
        if lines:
            reasons[patient.id] = lines
    return reasons


def reasons_for(instance: Instance, patient: Patient, booked) -> list[str]:
    mine = booked[patient.id]
    lines = []
    have = sum(1 for s in mine if s.kind == "group")
    if have < patient.group_blocks:
        lines.append(group_reason(instance, patient, patient.group_blocks - have, mine))
    for service, demand in patient.services.items():
        have = sum(1 for s in mine if s.kind == service)
        if have < demand.sessions:
            lines.append(service_reason(instance, patient, service, demand, demand.sessions - have, booked))
    return lines


def group_reason(instance: Instance, patient: Patient, missing: int, mine: list[Session]) -> str:
    head = f"{missing} of {patient.group_blocks} group blocks"
    sections = sorted((s for s in instance.sections.values() if s.track == patient.track),
                      key=lambda s: (s.day, s.start, s.id))
    if not sections:
        return f"{head}: the {patient.track} track has no group sections this week."
    meets = f"the {patient.track} track meets {describe(tuple(Window(s.day, s.start, s.end) for s in sections))}"
    # Parallel sections at one time count once: a patient attends one block at a time.
    times = sorted({(s.day, s.start, s.end) for s in sections})
    can_attend = [t for t in times if patient.free(*t)]
    attended = {s.section for s in mine if s.kind == "group"}
    if len(times) < patient.group_blocks:
        return (f"{head}: {meets}, only {len(times)} time{'s' if len(times) != 1 else ''} this week. Nearest fix: "
                f"add a section to the {patient.track} track at another time or lower the plan's group blocks "
                f"to {len(times)}.")
    if len(can_attend) < patient.group_blocks:
        missing_times = [s for s in sections if (s.day, s.start, s.end) not in can_attend]
        fix = nearest_missing_section(patient, missing_times)
        lower = f", or lower the plan's group blocks to {len(can_attend)}" if can_attend else ""
        return f"{head}: available {availability_words(patient)}; {meets}. Nearest fix: {fix[:-1]}{lower}."
    if patient_minutes(mine) >= patient.max_minutes:
        return f"{head}: the week is already at the patient's maximum of {hours(patient.max_minutes)}."
    taken_times = {(instance.sections[s].day, instance.sections[s].start, instance.sections[s].end)
                   for s in attended if s in instance.sections}
    open_times = [t for t in can_attend if t not in taken_times]
    names = ", ".join(f"{DAY_NAMES[d]} {format_time(a)}" for d, a, _ in open_times)
    clashes = [s for s in mine if any(s.day == d and s.start < e and a < s.end for d, a, e in open_times)
               and s.kind != "group"]
    if clashes:
        clash = clashes[0]
        return (f"{head}: the patient's {clash.kind} session ({when(clash)}) is at a time the track meets "
                f"({names}). Nearest fix: move that session to another time.")
    return (f"{head}: the sections the patient can attend ({names}) are full or have no free facilitator "
            f"or room. Nearest fix: open another section of the {patient.track} track at one of those times "
            f"or raise its group size.")


def nearest_missing_section(patient: Patient, sections) -> str:
    """The section needing the least extra availability, as something to ask the patient."""
    def extra(section) -> int:
        covered = max((min(w.end, section.end) - max(w.start, section.start)
                       for w in patient.availability if w.day == section.day), default=0)
        return section.minutes - max(0, covered)

    best = min(sections, key=lambda s: (extra(s), s.day, s.start))
    when = f"{DAY_NAMES[best.day]} {format_time(best.start)}–{format_time(best.end)}"
    return f"ask about availability on {when} (section {best.id})."


def service_reason(instance: Instance, patient: Patient, service: str, demand, missing: int, booked) -> str:
    name = SERVICE_NAMES[service]
    head = f"{name}: {missing} of {demand.sessions}" if demand.sessions > 1 else name
    if service == "individual":
        primary = instance.staff[patient.primary_clinician]
        if "individual" not in primary.services:
            return (f"{head}: the primary clinician, {primary.name}, does not offer individual therapy. "
                    "Nearest fix: add it to their services or choose another primary clinician.")
        staff = [primary]
        who = primary.name
    else:
        staff = [s for s in instance.staff.values() if service in s.services]
        who = f"anyone offering {name}s"
    if not staff:
        return f"{head}: no staff member offers {name}s. Nearest fix: add one to the staff list."
    shared = [(member, window) for member in staff for window in shared_time(patient, member, demand.minutes)]
    if not shared:
        return (f"{head}: no time when both the patient and {who} are free for {demand.minutes} minutes "
                f"(patient available {availability_words(patient)}). Nearest fix: "
                f"{nearest_staff_time(patient, staff, demand.minutes)}")
    if patient_minutes(booked[patient.id]) + demand.minutes > patient.max_minutes:
        return f"{head}: it would take the patient over their maximum of {hours(patient.max_minutes)}."
    full = [m for m in staff if patient_minutes(booked[m.id]) + demand.minutes > m.max_minutes]
    if len(full) == len(staff):
        return (f"{head}: {who} {'is' if len(staff) == 1 else 'are'} at the weekly maximum hours. "
                "Nearest fix: move some of their sessions to a colleague or raise their maximum.")
    taken = (f"{head}: the times when both the patient and {who} are free "
             f"({describe(tuple(w for _, w in shared))}) are taken")
    return f"{taken}{what_takes(instance, patient, shared, demand.minutes, booked)}"


def what_takes(instance: Instance, patient: Patient, shared, minutes: int, booked) -> str:
    """What fills the shared times, and the nearest fix: the session in the way of the most
    start times (a group the staff member leads, another patient's session, the patient's own),
    or no free room."""
    in_the_way = defaultdict(int)
    roomless = 0
    for member, window in shared:
        for start in range(window.start, window.end - minutes + 1, 15):
            if not member.free(window.day, start, start + minutes):
                continue
            blocking = [s for s in (*booked[member.id], *booked[patient.id])
                        if s.day == window.day and s.start < start + minutes and start < s.end]
            for session in dict.fromkeys(blocking):
                in_the_way[session, member] += 1
            roomless += not blocking
    if not in_the_way:
        return " (no room is free then). Nearest fix: free an office at one of those times."
    (session, member), _ = max(in_the_way.items(), key=lambda item: (item[1], -item[0][0].day, -item[0][0].start))
    fixed = any(session.id == f.id for f in instance.fixed)
    section = instance.sections.get(session.section or "") if session.kind == "group" else None
    if patient.id in session.patients and session.kind == "group":
        what = f"by the patient's own group block {session.section} ({when(session)})"
        fix = nearest_staff_time(patient, [member], minutes, avoid=session)[:-1]
    elif patient.id in session.patients:
        what = f"by the patient's own {session.kind} session {session.id} ({when(session)})"
        fix = "ask the patient about other times" if fixed else "move that session to another time"
    elif section is not None and member.id in session.staff:
        what = f"e.g. {member.name} leads section {section.id} ({when(session)})"
        if section.facilitator is None and not section.booked:
            fix = f"ask another clinician who leads {section.group_type} groups to lead it"
        else:
            fix = (f"ask whether another clinician who leads {section.group_type} groups could lead it "
                   f"(it is set by hand), or ask the patient about other times")
    else:
        others = ", ".join(session.patients) or "another session"
        what = f"e.g. {member.name}'s {session.kind} session with {others} ({when(session)})"
        fix = "ask the patient about other times" if fixed else "move that session to another time"
    if roomless:
        fix += " (some times have no free room)"
    return f", {what}. Nearest fix: {fix}."


def when(session: Session) -> str:
    return f"{DAY_NAMES[session.day]} {format_time(session.start)}–{format_time(session.end)}"


def shared_time(patient: Patient, member, minutes: int) -> list[Window]:
    windows = []
    for mine in patient.availability:
        for theirs in member.availability:
            if mine.day == theirs.day:
                start, end = max(mine.start, theirs.start), min(mine.end, theirs.end)
                if end - start >= minutes and any(member.free(mine.day, s, s + minutes)
                                                  for s in range(start, end - minutes + 1, 15)):
                    windows.append(Window(mine.day, start, end))
    return windows


def nearest_staff_time(patient: Patient, staff, minutes: int, avoid: Session | None = None) -> str:
    """Suggest the staff working time on a day the patient already comes in, else any (outside
    the `avoid` session, e.g. the patient's group block)."""
    patient_days = {w.day for w in patient.availability}
    options = [(w.day not in patient_days, w.day, w.start, member.name, w)
               for member in staff for w in member.availability if w.end - w.start >= minutes
               and not (avoid is not None and w.day == avoid.day and avoid.start - w.start < minutes
                        and w.end - avoid.end < minutes)]
    if not options:
        return "ask the staff to add working hours."
    _, _, _, name, window = min(options, key=lambda option: option[:4])
    return (f"ask about availability on {DAY_NAMES[window.day]} {format_time(window.start)}–"
            f"{format_time(window.end)}, when {name} works.")


# Words -----------------------------------------------------------------------------------------


def describe(windows: tuple[Window, ...]) -> str:
    """'Mon, Tue, Thu 18:00–21:00; Sat 09:00–12:00': days sharing the same hours together."""
    by_hours = defaultdict(set)
    for w in windows:
        by_hours[w.start, w.end].add(w.day)
    parts = sorted(by_hours.items(), key=lambda item: (min(item[1]), item[0]))
    return "; ".join(
        f"{', '.join(DAY_NAMES[d] for d in sorted(days))} {format_time(start)}–{format_time(end)}"
        for (start, end), days in parts
    )


def availability_words(patient: Patient) -> str:
    if not patient.availability:
        return "at no time this week"
    return f"only {describe(patient.availability)}"


def patient_minutes(sessions: list[Session]) -> int:
    return sum(s.minutes for s in sessions)


def hours(minutes: int) -> str:
    return f"{minutes / 60:g} hours"
