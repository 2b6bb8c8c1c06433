"""A realistic week of an adult IOP as a scheduling instance (docs/scheduling.md), for the benchmark.

`generate(patients, seed)` returns the JSON instance; the same seed always gives the same week.

What the week looks like, and why:

- Four tracks of three 3-hour blocks. Evening tracks are for people who work or study, morning
  tracks for people who work nights, parent during school hours or are not working. Track days
  are staggered so the largest track (substance-use evening) never shares a day with two others:
  the busiest weekday then needs about 80 % of the clinicians as facilitators, not 95 %.
- Each block runs ceil(patients in track / 10) parallel sections of at most 12, so there is room
  for everybody with a little slack. Group types rotate across blocks and parallel sections.
- About one therapist per 12 patients (a small program gets one more than the busiest weekday's
  parallel sections, or somebody would have to lead two groups at once), plus prescribers who
  only see medication visits. Every weekday each therapist works either 08:00-17:00 or
  12:00-21:00; the shifts are set per day so each day's morning and evening sections have
  facilitators, and the spare clinicians lean to the evening, when working patients can come.
- Patients have realistic availability (day work, school, night shift, school-hours parenting,
  not working) and a few can come on only two days, so not everybody can meet their plan. Most
  primary clinicians work when their patients can come; a few do not (a caseload mismatch that
  a scheduler should report, not hide).
- Some sections name their room and facilitator; the rest are left null for the solver.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

WEEK_START = "2026-11-30"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = (0, 1, 2, 3, 4)
SATURDAY = 5

GROUP_TYPES = (
    ("process", "Process group"),
    ("cbt_skills", "CBT skills"),
    ("relapse_prevention", "Relapse prevention"),
    ("psychoeducation", "Psychoeducation"),
    ("dbt_skills", "DBT skills"),
)
GROUP_SIZE = 12
PATIENTS_PER_SECTION = 10          # plan sections below GROUP_SIZE so late admissions still fit
PATIENTS_PER_CLINICIAN = 12
GROUP_ROOM_CAPACITY = 14
OFFICE_CAPACITY = 3
STAFF_MAX_MINUTES = 40 * 60
MORNING_SHIFT = (8 * 60, 17 * 60)
EVENING_SHIFT = (12 * 60, 21 * 60)
MEDICATION_MINUTES_PER_PRESCRIBER = 25 * 60   # the rest of a prescriber's week is not visits


@dataclass(frozen=True)
class Track:
    id: str
    days: tuple[int, ...]
    start: int                     # minutes after midnight
    minutes: int = 180

    @property
    def period(self) -> str:
        return "morning" if self.start < 12 * 60 else "evening"

    @property
    def end(self) -> int:
        return self.start + self.minutes


TRACKS = (
    Track("sud-evening", (0, 1, 3), 18 * 60),
    Track("cod-evening", (0, 2, 4), 17 * 60 + 30),
    Track("sud-morning", (2, 3, 4), 9 * 60),
    Track("mh-morning", (1, 2, 4), 9 * 60 + 30),
)
TRACKS_BY_ID = {track.id: track for track in TRACKS}
EVENING_TRACKS = {"sud-evening": 0.6, "cod-evening": 0.4}
MORNING_TRACKS = {"sud-morning": 0.5, "mh-morning": 0.5}


# Availability patterns: (share of patients, track weights). The windows are drawn per patient
# in `_pattern_windows`, because start and end times vary a little between people.
PATTERNS = {
    "day-work": (0.34, EVENING_TRACKS),         # free after work on weekdays, and Saturday morning
    "school": (0.12, EVENING_TRACKS),           # classes in the morning, free from midday
    "night-shift": (0.12, MORNING_TRACKS),      # free in the morning, sleeps in the afternoon
    "school-hours": (0.10, MORNING_TRACKS),     # a parent free while the children are at school
    "not-working": (0.28, {"sud-evening": 0.2, "cod-evening": 0.15, "sud-morning": 0.3, "mh-morning": 0.35}),
    "two-days": (0.04, {track.id: 0.25 for track in TRACKS}),   # can come on only two track days
}
STEPPED_DOWN_SHARE = 0.08          # two group blocks instead of three, on the way to outpatient
FAMILY_SHARE = 0.30
MEDICATION_SHARE = 0.40
LAST_WEEK_SHARE = 0.70             # the rest were admitted this week
MISMATCHED_PRIMARY_SHARE = 0.03    # primary clinician who never works when the patient can come
GIVEN_FACILITATOR_SHARE = 0.5
GIVEN_ROOM_SHARE = 0.6
TIME_OFF_SHARE = 0.2

FIRST_NAMES = (
    "Marcus", "Dana", "Priya", "Luis", "Grace", "Owen", "Aisha", "Tomas", "Hannah", "Kenji",
    "Rosa", "Derek", "Mei", "Samuel", "Leah", "Andre", "Nadia", "Colin", "Fatima", "Joel",
)
LAST_NAMES = (
    "Bell", "Okafor", "Raman", "Ortega", "Lindqvist", "Park", "Haddad", "Novak", "Brennan",
    "Tanaka", "Alvarez", "Moore", "Chen", "Adeyemi", "Fischer", "Dubois", "Karimi", "Walsh",
)


def generate(patients: int, seed: int = 2026) -> dict:
    """Return a JSON instance for `patients` patients; the same seed always gives the same week."""
    if patients < 1:
        raise ValueError("patients must be at least 1")
    rng = random.Random(seed)
    people = _patients(patients, rng)
    sections_per_block = {
        track.id: max(1, math.ceil(sum(1 for p in people if p["track"] == track.id) / PATIENTS_PER_SECTION))
        for track in TRACKS
    }
    sections = _sections(sections_per_block)
    busiest_day = max(Counter(s["day"] for s in sections).values())
    therapist_count = max(math.ceil(patients / PATIENTS_PER_CLINICIAN), busiest_day + 1)
    therapists = _therapists(therapist_count, sections, people, rng)
    prescribers = _prescribers(people, rng, first_number=therapist_count + 1)
    group_room_count = _place_sections(sections, therapists, rng)
    _assign_primary_clinicians(people, therapists, rng)
    _add_last_week_sections(people, sections_per_block, rng)
    offices = [{"id": f"office-{i + 1:02d}", "capacity": OFFICE_CAPACITY}
               for i in range(math.ceil(len(therapists) / 2))]
    rooms = [{"id": f"group-{i + 1:02d}", "capacity": GROUP_ROOM_CAPACITY} for i in range(group_room_count)]
    fixed = _fixed_sessions(people, therapists + prescribers, sections, offices, rng)
    return {
        "week_start": WEEK_START,
        "rooms": rooms + offices,
        "group_types": [{"id": gid, "name": name, "max_size": GROUP_SIZE} for gid, name in GROUP_TYPES],
        "staff": [_staff_json(s) for s in therapists + prescribers],
        "sections": [{**section, "start": _time(section["start"])} for section in sections],
        "patients": [_patient_json(p) for p in people],
        "fixed": fixed,
    }


# Patients ---------------------------------------------------------------------------------------


def _patients(count: int, rng: random.Random) -> list[dict]:
    """Patients with a pattern, availability windows, a track and a demand (no clinician yet)."""
    labels = _pattern_labels(count, rng)
    people = []
    for index, pattern in enumerate(labels):
        _, track_weights = PATTERNS[pattern]
        track = rng.choices(list(track_weights), weights=list(track_weights.values()))[0]
        stepped_down = rng.random() < STEPPED_DOWN_SHARE
        people.append({
            "id": f"p{index + 1:04d}",
            "pattern": pattern,
            "track": track,
            "windows": _pattern_windows(pattern, TRACKS_BY_ID[track], rng),
            "group_blocks": 2 if stepped_down else 3,
            "family": rng.random() < FAMILY_SHARE,
            "medication": rng.random() < MEDICATION_SHARE,
            # A step-down plan sits below the adult IOP band of 9 hours on purpose.
            "min_minutes": 360 if stepped_down else 540,
        })
    return people


def _pattern_labels(count: int, rng: random.Random) -> list[str]:
    """Exactly the patterns' shares (rounded), at least one person of each, in random order."""
    labels = []
    for pattern, (share, _) in PATTERNS.items():
        if pattern != "not-working":
            labels += [pattern] * max(1, round(share * count))
    labels = labels[:count]
    labels += ["not-working"] * (count - len(labels))
    rng.shuffle(labels)
    return labels


def _pattern_windows(pattern: str, track: Track, rng: random.Random) -> list[tuple[int, int, int]]:
    """(day, start, end) windows when a patient of this pattern can come."""
    if pattern == "day-work":
        off_work = rng.choice((16 * 60, 16 * 60 + 30, 17 * 60, 17 * 60 + 30))
        return [(day, off_work, 21 * 60 + 30) for day in WEEKDAYS] + [(SATURDAY, 9 * 60, 13 * 60)]
    if pattern == "school":
        return [(day, rng.choice((12 * 60, 12 * 60 + 30, 13 * 60)), 21 * 60 + 30) for day in WEEKDAYS]
    if pattern == "night-shift":
        return [(day, 8 * 60, rng.choice((13 * 60 + 30, 14 * 60, 15 * 60))) for day in WEEKDAYS]
    if pattern == "school-hours":
        return [(day, 8 * 60 + 30, 15 * 60) for day in WEEKDAYS]
    if pattern == "not-working":
        return [(day, 8 * 60, 21 * 60) for day in WEEKDAYS]
    # "two-days": e.g. rotating shifts; free around the track's time on two of its three days.
    days = sorted(rng.sample(track.days, 2))
    return [(day, track.start - 60, track.end + 30) for day in days]


def _assign_primary_clinicians(people: list[dict], therapists: list[dict], rng: random.Random) -> None:
    """Spread caseloads evenly over the clinicians who work when each patient can come.

    The most constrained patients choose first so they are not left with nobody. A few patients
    get a clinician who never overlaps them, as happens when caseloads are assigned by hand."""
    caseload = {t["id"]: 0 for t in therapists}
    usable = {p["id"]: [t for t in therapists if _usable_overlap_days(p, t) > 0] for p in people}
    order = sorted(people, key=lambda p: (len(usable[p["id"]]), rng.random()))
    for person in order:
        candidates = usable[person["id"]]
        strangers = [t for t in therapists if t not in candidates]
        if strangers and (not candidates or rng.random() < MISMATCHED_PRIMARY_SHARE):
            candidates = strangers
        chosen = min(candidates, key=lambda t: (caseload[t["id"]], rng.random()))
        caseload[chosen["id"]] += 1
        person["primary_clinician"] = chosen["id"]


def _usable_overlap_days(person: dict, staff: dict) -> int:
    """Days on which patient and staff member share an hour outside the patient's group time."""
    track = TRACKS_BY_ID[person["track"]]
    days = 0
    for day, start, end in person["windows"]:
        for free_start, free_end in _free_pieces(staff, day):
            pieces = [(max(start, free_start), min(end, free_end))]
            if day in track.days:
                pieces = [piece for a, b in pieces for piece in ((a, min(b, track.start)), (max(a, track.end), b))]
            if any(b - a >= 60 for a, b in pieces):
                days += 1
                break
    return days


def _add_last_week_sections(people: list[dict], sections_per_block: dict[str, int], rng: random.Random) -> None:
    """Most patients were here last week, in the same lettered section of each block they came to."""
    seen_in_track = dict.fromkeys(sections_per_block, 0)
    for person in people:
        person["last_week_sections"] = []
        if rng.random() >= LAST_WEEK_SHARE:
            continue
        track = TRACKS_BY_ID[person["track"]]
        letter = _section_letter(seen_in_track[track.id] % sections_per_block[track.id])
        seen_in_track[track.id] += 1
        days = [d for d in track.days if any(w[0] == d and w[1] <= track.start and track.end <= w[2]
                                              for w in person["windows"])]
        person["last_week_sections"] = [_section_id(track, day, letter) for day in days[:person["group_blocks"]]]


def _patient_json(person: dict) -> dict:
    return {
        "id": person["id"],
        "track": person["track"],
        "primary_clinician": person["primary_clinician"],
        "availability": [_window_json(w) for w in person["windows"]],
        "demand": {
            "group_blocks": person["group_blocks"],
            "individual": {"sessions": 1, "minutes": 60},
            "family": {"sessions": 1, "minutes": 60} if person["family"] else None,
            "medication": {"sessions": 1, "minutes": 30} if person["medication"] else None,
        },
        "min_minutes": person["min_minutes"],
        "max_minutes": 1140,
        "last_week_sections": person["last_week_sections"],
    }


# Staff ------------------------------------------------------------------------------------------


def _therapists(count: int, sections: list[dict], people: list[dict], rng: random.Random) -> list[dict]:
    """Therapists with group types, services, a shift per weekday and some time off.

    Each therapist's `leads_on` maps a weekday to the section they can lead that day in a plan
    known to work; `_place_sections` names some of them as the facilitator."""
    evening_share = sum(1 for p in people if TRACKS_BY_ID[p["track"]].period == "evening") / len(people)
    therapists = []
    for index in range(count):
        leads = [gid for gid, _ in GROUP_TYPES]
        if rng.random() < 0.6:          # most lead all but one group type, the rest all five
            leads.remove(rng.choice(leads))
        therapists.append({
            "id": f"c{index + 1:03d}", "name": _name(rng), "leads": leads,
            "services": ["individual", "family"],
            "home": "evening" if index < round(count * evening_share) else "morning",
            "shifts": {}, "time_off": [], "leads_on": {},
        })
    days_off = _full_days_off(therapists, sections, rng)
    for day in WEEKDAYS:
        present = [t for t in therapists if day not in days_off.get(t["id"], ())]
        _plan_day(day, present, [s for s in sections if s["day"] == day], evening_share)
    for therapist in therapists:
        for day in days_off.get(therapist["id"], ()):
            therapist["shifts"][day] = MORNING_SHIFT
            therapist["time_off"].append((day, *MORNING_SHIFT))
    for therapist in rng.sample(therapists, round(len(therapists) * TIME_OFF_SHARE / 2)):
        day = rng.choice(WEEKDAYS)
        if not any(off[0] == day for off in therapist["time_off"]):
            # An afternoon appointment: between the morning and evening groups, so it costs
            # one-to-one time but never a facilitator.
            therapist["time_off"].append((day, 13 * 60, 17 * 60))
    return therapists


def _full_days_off(therapists: list[dict], sections: list[dict], rng: random.Random) -> dict[str, tuple[int]]:
    """A day off for about one therapist in ten, only where that day keeps a spare facilitator."""
    sections_on = Counter(s["day"] for s in sections)
    present = dict.fromkeys(WEEKDAYS, len(therapists))
    days_off = {}
    for therapist in rng.sample(therapists, round(len(therapists) * TIME_OFF_SHARE / 2)):
        day = rng.choice(WEEKDAYS)
        if present[day] - 1 >= sections_on[day] + 1:
            present[day] -= 1
            days_off[therapist["id"]] = (day,)
    return days_off


def _plan_day(day: int, present: list[dict], sections: list[dict], evening_share: float) -> None:
    """Give today's therapists a section each where needed, and a shift.

    Facilitators work the shift of their section. The spare clinicians are split by how many
    patients come in the evening, home shift first and then whoever has had fewest evenings."""
    leaders = _match_facilitators(sections, present)
    period_of = {s["id"]: _period(s) for s in sections}
    for therapist_id, section_id in leaders.items():
        therapist = next(t for t in present if t["id"] == therapist_id)
        therapist["leads_on"][day] = section_id
        therapist["shifts"][day] = EVENING_SHIFT if period_of[section_id] == "evening" else MORNING_SHIFT
    spare = [t for t in present if t["id"] not in leaders]
    evening_count = math.ceil(len(spare) * evening_share)
    spare.sort(key=lambda t: (t["home"] != "evening", _evening_days(t), t["id"]))
    for position, therapist in enumerate(spare):
        therapist["shifts"][day] = EVENING_SHIFT if position < evening_count else MORNING_SHIFT


def _match_facilitators(sections: list[dict], therapists: list[dict]) -> dict[str, str]:
    """Match the day's sections to distinct qualified therapists (augmenting paths), trying
    first those whose home shift is the section's period. Returns therapist id -> section id."""
    qualified = {
        s["id"]: [t["id"] for t in sorted(therapists, key=lambda t: t["home"] != _period(s))
                  if s["group_type"] in t["leads"]]
        for s in sections
    }
    leader_of: dict[str, str] = {}

    def place(section_id: str, visited: set[str]) -> bool:
        for therapist_id in qualified[section_id]:
            if therapist_id in visited:
                continue
            visited.add(therapist_id)
            if therapist_id not in leader_of or place(leader_of[therapist_id], visited):
                leader_of[therapist_id] = section_id
                return True
        return False

    for section in sections:
        place(section["id"], set())
    return leader_of


def _evening_days(therapist: dict) -> int:
    return sum(1 for shift in therapist["shifts"].values() if shift == EVENING_SHIFT)


def _prescribers(people: list[dict], rng: random.Random, first_number: int) -> list[dict]:
    """Prescribers for the medication visits; they alternate morning and evening shifts."""
    visit_minutes = sum(30 for p in people if p["medication"])
    count = max(2, math.ceil(visit_minutes / MEDICATION_MINUTES_PER_PRESCRIBER))
    prescribers = []
    for index in range(count):
        prescribers.append({
            "id": f"c{first_number + index:03d}", "name": _name(rng), "leads": [], "services": ["medication"],
            "home": "", "time_off": [],
            "shifts": {day: EVENING_SHIFT if (index + day) % 2 else MORNING_SHIFT for day in WEEKDAYS},
        })
    return prescribers


def _free_pieces(staff: dict, day: int) -> list[tuple[int, int]]:
    """The staff member's working time on `day` with time off cut out."""
    if day not in staff["shifts"]:
        return []
    pieces = [staff["shifts"][day]]
    for off_day, off_start, off_end in staff["time_off"]:
        if off_day == day:
            pieces = [piece for a, b in pieces for piece in ((a, min(b, off_start)), (max(a, off_end), b))
                      if piece[1] > piece[0]]
    return pieces


def _staff_free(staff: dict, day: int, start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in _free_pieces(staff, day))


def _staff_json(staff: dict) -> dict:
    return {
        "id": staff["id"], "name": staff["name"], "max_minutes": STAFF_MAX_MINUTES,
        "leads": staff["leads"], "services": staff["services"],
        "availability": [_window_json((day, *staff["shifts"][day])) for day in sorted(staff["shifts"])],
        "time_off": [_window_json(w) for w in staff["time_off"]],
    }


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


# Sections and rooms -----------------------------------------------------------------------------


def _section_letter(index: int) -> str:
    return chr(ord("a") + index) if index < 26 else str(index + 1)


def _section_id(track: Track, day: int, letter: str) -> str:
    return f"{track.id}-{DAY_NAMES[day]}-{letter}"


def _period(section: dict) -> str:
    return TRACKS_BY_ID[section["track"]].period


def _sections(sections_per_block: dict[str, int]) -> list[dict]:
    """The week's sections (start in minutes until written out), group types rotating over blocks and
    parallel sections so a patient who stays in one lettered section meets three types."""
    sections = []
    for track_index, track in enumerate(TRACKS):
        for block, day in enumerate(track.days):
            for index in range(sections_per_block[track.id]):
                group_type = GROUP_TYPES[(track_index + block + index) % len(GROUP_TYPES)][0]
                sections.append({
                    "id": _section_id(track, day, _section_letter(index)), "track": track.id,
                    "group_type": group_type, "day": day, "start": track.start, "minutes": track.minutes,
                })
    return sorted(sections, key=lambda s: (s["day"], s["start"], s["id"]))


def _place_sections(sections: list[dict], therapists: list[dict], rng: random.Random) -> int:
    """Name the room and facilitator of some sections, and return how many group rooms we need.

    Parallel sections get distinct rooms; morning and evening groups never overlap, so each
    period of a day numbers its rooms from the first. The rest are left null for the solver."""
    leader_of = {section_id: t["id"] for t in therapists for section_id in t["leads_on"].values()}
    group_rooms = 0
    for day in WEEKDAYS:
        for period in ("morning", "evening"):
            parallel = [s for s in sections if s["day"] == day and _period(s) == period]
            for room_index, section in enumerate(parallel):
                section["room"] = f"group-{room_index + 1:02d}" if rng.random() < GIVEN_ROOM_SHARE else None
                leader = leader_of.get(section["id"])
                section["facilitator"] = leader if leader and rng.random() < GIVEN_FACILITATOR_SHARE else None
            group_rooms = max(group_rooms, len(parallel))
    return group_rooms + 1          # one spare room, for a family session or a crowd


# Fixed sessions ---------------------------------------------------------------------------------


def _fixed_sessions(people: list[dict], staff: list[dict], sections: list[dict], offices: list[dict],
                    rng: random.Random) -> list[dict]:
    """A few sessions already booked by hand: individual sessions, some by telehealth, and
    medication visits, each at a time the patient and staff member are both free."""
    staff_by_id = {s["id"]: s for s in staff}
    prescribers = [s for s in staff if "medication" in s["services"]]
    busy: list[tuple[str, int, int, int]] = [
        (s["facilitator"], s["day"], s["start"], s["start"] + s["minutes"])
        for s in sections if s["facilitator"]
    ]
    fixed = []
    for person in rng.sample(people, min(len(people), max(2, len(people) // 50))):
        kind = "medication" if person["medication"] and len(fixed) % 2 else "individual"
        candidates = prescribers if kind == "medication" else [staff_by_id[person["primary_clinician"]]]
        minutes = 30 if kind == "medication" else 60
        telehealth = len(fixed) % 3 == 0
        for staff_member in candidates:
            slot = _first_common_slot(person, staff_member, minutes, busy, offices, telehealth)
            if slot is None:
                continue
            day, start, room = slot
            busy += [(staff_member["id"], day, start, start + minutes), (person["id"], day, start, start + minutes)]
            if room:
                busy.append((room, day, start, start + minutes))
            fixed.append({
                "id": f"fixed-{len(fixed) + 1}", "kind": kind, "day": day,
                "start": _time(start), "minutes": minutes, "room": room,
                "staff": [staff_member["id"]], "patients": [person["id"]], "telehealth": telehealth,
            })
            break
    return fixed


def _first_common_slot(person: dict, staff: dict, minutes: int, busy: list, offices: list[dict],
                       telehealth: bool) -> tuple[int, int, str | None] | None:
    """The first half-hour start when patient and staff member are free, away from the patient's
    group time, with a free office unless it is a telehealth session."""
    track = TRACKS_BY_ID[person["track"]]
    for day, window_start, window_end in person["windows"]:
        for start in range(window_start - window_start % 30, window_end - minutes + 1, 30):
            end = start + minutes
            if start < window_start or not _staff_free(staff, day, start, end):
                continue
            if day in track.days and start < track.end and track.start < end:
                continue
            if any(who in (staff["id"], person["id"]) and d == day and start < b and a < end for who, d, a, b in busy):
                continue
            if telehealth:
                return day, start, None
            for office in offices:
                if not any(who == office["id"] and d == day and start < b and a < end for who, d, a, b in busy):
                    return day, start, office["id"]
    return None


# JSON helpers -----------------------------------------------------------------------------------


def _window_json(window: tuple[int, int, int]) -> dict:
    day, start, end = window
    return {"day": day, "start": _time(start), "end": _time(end)}


def _time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
