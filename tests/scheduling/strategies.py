"""Hypothesis strategies for small scheduling instances, as JSON dicts (docs/scheduling.md).

Small on purpose (1–3 rooms, 1–4 staff, 1–8 patients, weekday hours on a half-hour grid) so
that people and rooms collide often and every hard rule gets exercised. Every instance loads
with `load_instance`, and its fixed sessions and booked seats keep every hard rule among
themselves. Booked seats and fixed sessions sometimes name people who are not among the
instance's patients (not being rescheduled), as a repair of a clinic's week does.
"""

from hypothesis import strategies as st

from openiop.scheduling.instance import (
    SERVICES,
    Instance,
    Session,
    format_time,
    load_instance,
    seats_needed,
    session_to_json,
)

DAY = st.integers(0, 5)  # Monday to Saturday
WINDOW_LENGTHS = (60, 120, 180, 240, 360, 600, 810)  # 810 min: 08:00–21:30, a full day
SECTION_LENGTHS = (60, 90, 180)
GRID_STARTS = st.sampled_from(range(8 * 60, 19 * 60 + 1, 30))
SERVICE_MINUTES = (30, 45, 60)


@st.composite
def windows(draw, max_size: int = 3) -> list[dict]:
    """Availability or time-off windows: up to `max_size` day/start/end entries."""
    items = []
    for _ in range(draw(st.integers(0, max_size))):
        start = draw(st.sampled_from(range(7 * 60, 21 * 60 + 1, 30)))
        end = min(start + draw(st.sampled_from(WINDOW_LENGTHS)), 24 * 60)
        items.append({"day": draw(DAY), "start": format_time(start), "end": format_time(end)})
    return items


def _ids(prefix: str, how_many: int) -> list[str]:
    return [f"{prefix}-{number}" for number in range(1, how_many + 1)]


def _every_weekday(start: int, end: int) -> list[dict]:
    return [{"day": d, "start": format_time(start), "end": format_time(end)} for d in range(5)]


# Broad, common patterns are drawn as often as random windows, so that people's hours overlap
# often enough for sections and one-to-one sessions to be placed (and to collide).
STAFF_HOURS = st.one_of(st.just(_every_weekday(8 * 60, 21 * 60 + 30)), windows(max_size=4))
PATIENT_HOURS = st.one_of(
    st.sampled_from(
        [
            _every_weekday(8 * 60, 21 * 60 + 30),
            _every_weekday(17 * 60, 21 * 60 + 30),  # works days: evenings only
            _every_weekday(8 * 60, 13 * 60),  # mornings only
        ]
    ),
    windows(),
)


def _staff(draw, staff_id: str, group_type_ids: list[str]) -> dict:
    return {
        "id": staff_id,
        "name": f"Clinician {staff_id}",
        "max_minutes": draw(st.sampled_from([2400, 2400, 2400, 600, 240, 60, 0])),
        "leads": draw(
            st.just(group_type_ids)
            | st.lists(st.sampled_from(group_type_ids), unique=True, min_size=1)
        ),
        "services": draw(
            st.just(list(SERVICES)) | st.lists(st.sampled_from(SERVICES), unique=True)
        ),
        "availability": draw(STAFF_HOURS),
        "time_off": draw(windows(max_size=2)),
    }


def _section(draw, section_id: str, tracks, group_type_ids, room_ids, staff: list[dict]) -> dict:
    group_type = draw(st.sampled_from(group_type_ids))
    # A set facilitator is mostly one who leads the group type; sometimes anyone, which the
    # greedy baseline must then leave unheld rather than break rule 4.
    leaders = [s["id"] for s in staff if group_type in s["leads"]] or [s["id"] for s in staff]
    return {
        "id": section_id,
        "track": draw(st.sampled_from(tracks)),
        "group_type": group_type,
        "day": draw(st.integers(0, 4) | DAY),
        # Usually the program's morning or evening block; sometimes any half hour.
        "start": format_time(draw(st.sampled_from([9 * 60, 18 * 60]) | GRID_STARTS)),
        "minutes": draw(st.sampled_from(SECTION_LENGTHS)),
        "room": draw(st.none() | st.sampled_from(room_ids)),
        "facilitator": draw(
            st.none() | st.sampled_from(leaders) | st.sampled_from([s["id"] for s in staff])
        ),
    }


def _patient(draw, patient_id: str, tracks, staff_ids, section_ids) -> dict:
    primary = draw(st.none() | st.sampled_from(staff_ids))
    demand: dict = {"group_blocks": draw(st.integers(0, 4))}
    for service in SERVICES:
        # An individual demand needs a primary clinician, or the instance does not load.
        wanted = not (service == "individual" and primary is None) and draw(st.booleans())
        demand[service] = (
            {"sessions": draw(st.integers(1, 2)), "minutes": draw(st.sampled_from(SERVICE_MINUTES))}
            if wanted
            else None
        )
    return {
        "id": patient_id,
        "track": draw(st.sampled_from(tracks)),
        "primary_clinician": primary,
        "availability": draw(PATIENT_HOURS),
        "demand": demand,
        "min_minutes": 0,
        "max_minutes": draw(st.sampled_from([60, 180, 600, 1140, 10080])),
        "last_week_sections": draw(st.lists(st.sampled_from(section_ids), unique=True))
        if section_ids
        else [],
    }


@st.composite
def instances(draw) -> dict:
    """A small week as a JSON dict, with 0–2 fixed sessions that are themselves valid."""
    room_ids = _ids("room", draw(st.integers(1, 3)))
    group_type_ids = _ids("group", draw(st.integers(1, 3)))
    staff = [_staff(draw, s, group_type_ids) for s in _ids("staff", draw(st.integers(1, 4)))]
    staff_ids = [s["id"] for s in staff]
    tracks = ["track-a", "track-b"][: draw(st.integers(1, 2))]
    section_ids = _ids("section", draw(st.integers(0, 6)))
    data = {
        "week_start": "2026-11-30",
        "rooms": [{"id": r, "capacity": draw(st.integers(1, 14))} for r in room_ids],
        "group_types": [
            {"id": g, "name": f"Group {g}", "max_size": draw(st.integers(1, 12))}
            for g in group_type_ids
        ],
        "staff": staff,
        "sections": [
            _section(draw, s, tracks, group_type_ids, room_ids, staff) for s in section_ids
        ],
        "patients": [
            _patient(draw, p, tracks, staff_ids, section_ids)
            for p in _ids("patient", draw(st.integers(1, 8)))
        ],
        "fixed": [],
    }
    booked = _booked_sections(draw, load_instance(data), data)
    data["fixed"] = [session_to_json(s) for s in _fixed_sessions(draw, load_instance(data), booked)]
    return data


# Booked seats -----------------------------------------------------------------------------------

OUTSIDERS = ("outside-1", "outside-2")  # people in the week who are not being rescheduled


def _booked_sections(draw, week: Instance, data: dict) -> list[Session]:
    """Give 0–2 sections booked patients (with the room and facilitator a booked section must
    name); returns them as the sessions they are, for the fixed sessions to fit around."""
    accepted: list[Session] = []
    for _ in range(draw(st.integers(0, 2))):
        if not data["sections"]:
            break
        raw = draw(st.sampled_from(data["sections"]))
        section = week.sections[raw["id"]]
        if raw.get("booked"):
            continue
        leaders = [s.id for s in week.staff.values()
                   if section.group_type in s.leads and s.free(section.day, section.start, section.end)
                   and (section.facilitator is None or s.id == section.facilitator)]
        rooms = [section.room] if section.room is not None else [r for r in week.rooms if week.rooms[r].capacity >= 2]
        if not leaders or not rooms:
            continue
        room = draw(st.sampled_from(rooms))
        seats = min(week.section_size(section), week.rooms[room].capacity - 1)
        members = [p.id for p in week.patients.values()
                   if p.track == section.track and p.group_blocks > 0
                   and p.free(section.day, section.start, section.end)]
        if seats < 1:
            continue
        booked = draw(st.lists(st.sampled_from([*members, *OUTSIDERS]), unique=True, min_size=1, max_size=seats))
        session = Session(id=section.id, kind="group", day=section.day, start=section.start,
                          minutes=section.minutes, room=room, staff=(draw(st.sampled_from(leaders)),),
                          patients=tuple(booked), group_type=section.group_type, section=section.id)
        if _fits(week, accepted, session):
            accepted.append(session)
            raw.update(room=room, facilitator=session.staff[0], booked=list(booked))
    return accepted


# Fixed sessions ---------------------------------------------------------------------------------
# Built to keep the hard rules by construction, with checks written out here rather than by
# calling the validator, so the strategy does not lean on the code under test.


def _fixed_sessions(draw, week: Instance, booked: list[Session]) -> list[Session]:
    accepted: list[Session] = list(booked)
    for number in range(1, draw(st.integers(0, 2)) + 1):
        build = draw(st.sampled_from([_one_to_one, _group, _outsider]))
        candidate = build(draw, week, accepted, f"fixed-{number}")
        if candidate is not None and _fits(week, accepted, candidate):
            accepted.append(candidate)
    return accepted[len(booked):]


def _outsider(draw, week: Instance, accepted: list[Session], session_id: str) -> Session | None:
    """A fixed one-to-one session of someone who is not being rescheduled."""
    service = draw(st.sampled_from(SERVICES))
    staff = [s for s in week.staff.values() if service in s.services]
    if not staff:
        return None
    member = draw(st.sampled_from(staff))
    starts = [(w.day, start) for w in member.availability for start in range(w.start, w.end - 60 + 1, 30)
              if member.free(w.day, start, start + 60)]
    if not starts:
        return None
    day, start = draw(st.sampled_from(starts))
    return Session(id=session_id, kind=service, day=day, start=start, minutes=60, room=None,
                   staff=(member.id,), patients=(draw(st.sampled_from(OUTSIDERS)),), telehealth=True)


def _one_to_one(draw, week: Instance, accepted: list[Session], session_id: str) -> Session | None:
    wanted = [(p, service) for p in week.patients.values() for service in p.services]
    if not wanted:
        return None
    patient, service = draw(st.sampled_from(wanted))
    minutes = patient.services[service].minutes
    qualified = [
        s
        for s in week.staff.values()
        if service in s.services and (service != "individual" or s.id == patient.primary_clinician)
    ]
    if not qualified:
        return None
    staff = draw(st.sampled_from(qualified))
    starts = [
        (day, start)
        for day in range(7)
        for start in range(0, 24 * 60 - minutes + 1, 30)
        if staff.free(day, start, start + minutes) and patient.free(day, start, start + minutes)
    ]
    rooms = [r.id for r in week.rooms.values() if r.capacity >= 2]
    if not starts:
        return None
    day, start = draw(st.sampled_from(starts))
    telehealth = not rooms or draw(st.booleans())
    return Session(
        id=session_id,
        kind=service,
        day=day,
        start=start,
        minutes=minutes,
        room=None if telehealth else draw(st.sampled_from(rooms)),
        staff=(staff.id,),
        patients=(patient.id,),
        telehealth=telehealth,
    )


def _group(draw, week: Instance, accepted: list[Session], session_id: str) -> Session | None:
    if not week.sections:
        return None
    section = draw(st.sampled_from(list(week.sections.values())))
    if any(s.section == section.id for s in accepted) or section.booked:
        return None
    leaders = [
        s.id
        for s in week.staff.values()
        if section.group_type in s.leads and s.free(section.day, section.start, section.end)
    ]
    if section.facilitator is not None:
        leaders = [s for s in leaders if s == section.facilitator]
    rooms = [section.room] if section.room is not None else list(week.rooms)
    if not leaders:
        return None
    room = draw(st.sampled_from(rooms))
    seats = min(week.section_size(section), week.rooms[room].capacity - 1)
    members = [
        p.id
        for p in week.patients.values()
        if p.track == section.track
        and p.group_blocks > 0
        and p.free(section.day, section.start, section.end)
    ]
    chosen = (
        draw(st.lists(st.sampled_from(members), unique=True, max_size=max(seats, 0)))
        if members
        else []
    )
    return Session(
        id=session_id,
        kind="group",
        day=section.day,
        start=section.start,
        minutes=section.minutes,
        room=room,
        staff=(draw(st.sampled_from(leaders)),),
        patients=tuple(chosen),
        group_type=section.group_type,
        section=section.id,
    )


def _overlap(first: Session, second: Session) -> bool:
    return first.day == second.day and first.start < second.end and second.start < first.end


def _fits(week: Instance, accepted: list[Session], session: Session) -> bool:
    """True when adding the session to the accepted ones double-books nobody and exceeds nothing."""
    for other in filter(lambda o: _overlap(o, session), accepted):
        if set(other.patients) & set(session.patients) or set(other.staff) & set(session.staff):
            return False
        if other.room is not None and other.room == session.room:
            return False
    seats = seats_needed(session.kind, len(session.patients), len(session.staff))
    if session.room is not None and seats > week.rooms[session.room].capacity:
        return False
    together = [*accepted, session]
    for staff_id in session.staff:
        if (
            sum(s.minutes for s in together if staff_id in s.staff)
            > week.staff[staff_id].max_minutes
        ):
            return False
    for patient_id in session.patients:
        patient = week.patients.get(patient_id)
        if patient is None:
            continue  # not being rescheduled: only "not in two places" applies to them
        theirs = [s for s in together if patient_id in s.patients]
        same_kind = [s for s in theirs if s.kind == session.kind]
        if sum(s.minutes for s in theirs) > patient.max_minutes:
            return False
        if session.kind == "group" and len(same_kind) > patient.group_blocks:
            return False
        demand = patient.services.get(session.kind)
        if session.kind != "group" and (
            len(same_kind) > demand.sessions or sum(s.minutes for s in same_kind) > demand.total
        ):
            return False
    return True
