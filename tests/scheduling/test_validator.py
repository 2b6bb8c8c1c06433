"""The validator: each hard rule of docs/scheduling.md, broken on purpose, is named by number.

Every test starts from one small valid week (`week()` and `valid_sessions()`) and changes one
thing, so the only violations are those of the rule under test.
"""

from openiop.scheduling.instance import Schedule, load_instance, session_from_json
from openiop.scheduling.validator import count, violations

WEEKDAYS_ALL_DAY = [{"day": d, "start": "08:00", "end": "21:30"} for d in range(5)]


def week() -> dict:
    """A valid instance: two tracks, three sections, three staff, five patients, one fixed session."""
    return {
        "week_start": "2026-11-30",
        "rooms": [
            {"id": "group-a", "capacity": 12},
            {"id": "group-b", "capacity": 12},
            {"id": "office-1", "capacity": 3},
        ],
        "group_types": [{"id": "process", "name": "Process group", "max_size": 3}],
        "staff": [
            {
                "id": "t1",
                "name": "Marcus Bell",
                "max_minutes": 2400,
                "leads": ["process"],
                "services": ["individual", "family"],
                "availability": WEEKDAYS_ALL_DAY,
                "time_off": [{"day": 2, "start": "12:00", "end": "17:00"}],
            },
            {
                "id": "t2",
                "name": "Dana Ruiz",
                "max_minutes": 600,
                "leads": [],
                "services": ["medication"],
                "availability": [{"day": d, "start": "07:00", "end": "21:30"} for d in range(5)],
                "time_off": [{"day": 3, "start": "14:00", "end": "15:00"}],
            },
            {
                "id": "t3",
                "name": "Lee Chen",
                "max_minutes": 2400,
                "leads": [],
                "services": ["individual"],
                "availability": WEEKDAYS_ALL_DAY,
            },
        ],
        "sections": [
            {
                "id": "eve-mon",
                "track": "sud-evening",
                "group_type": "process",
                "day": 0,
                "start": "18:00",
                "minutes": 180,
                "room": "group-a",
                "facilitator": "t1",
            },
            {
                "id": "eve-tue",
                "track": "sud-evening",
                "group_type": "process",
                "day": 1,
                "start": "18:00",
                "minutes": 180,
                "room": None,
                "facilitator": None,
            },
            {
                "id": "mh-wed",
                "track": "mh-morning",
                "group_type": "process",
                "day": 2,
                "start": "09:00",
                "minutes": 180,
                "room": None,
                "facilitator": None,
            },
        ],
        "patients": [
            {
                "id": "p1",
                "track": "sud-evening",
                "primary_clinician": "t1",
                "availability": [*WEEKDAYS_ALL_DAY, {"day": 5, "start": "08:00", "end": "21:30"}],
                "demand": {
                    "group_blocks": 2,
                    "individual": {"sessions": 2, "minutes": 60},
                    "medication": {"sessions": 1, "minutes": 30},
                },
                "min_minutes": 0,
                "max_minutes": 1140,
            },
            _patient("p2", "sud-evening", group_blocks=2),
            _patient(
                "p3",
                "mh-morning",
                group_blocks=1,
                availability=[{"day": 2, "start": "08:00", "end": "13:00"}],
            ),
            _patient("p4", "sud-evening", group_blocks=1, primary="t3", individual=True),
            _patient("p5", "sud-evening", group_blocks=1, individual=True),
        ],
        "fixed": [
            {
                "id": "f1",
                "kind": "individual",
                "day": 1,
                "start": "12:00",
                "minutes": 60,
                "room": "office-1",
                "staff": ["t1"],
                "patients": ["p1"],
                "telehealth": False,
            },
        ],
    }


def _patient(
    patient_id,
    track,
    *,
    group_blocks,
    availability=WEEKDAYS_ALL_DAY,
    primary="t1",
    individual=False,
):
    demand = {
        "group_blocks": group_blocks,
        "individual": {"sessions": 1, "minutes": 60} if individual else None,
    }
    return {
        "id": patient_id,
        "track": track,
        "primary_clinician": primary,
        "availability": availability,
        "demand": demand,
        "min_minutes": 0,
        "max_minutes": 1140,
    }


def _individual(session_id, patient, staff, *, day, start, room):
    return {
        "id": session_id,
        "kind": "individual",
        "day": day,
        "start": start,
        "minutes": 60,
        "room": room,
        "staff": [staff],
        "patients": [patient],
        "telehealth": False,
    }


def valid_sessions() -> dict[str, dict]:
    """A schedule for `week()` that keeps every rule, by session id so tests can change one."""
    sessions = [
        {
            "id": "f1",
            "kind": "individual",
            "day": 1,
            "start": "12:00",
            "minutes": 60,
            "room": "office-1",
            "staff": ["t1"],
            "patients": ["p1"],
            "telehealth": False,
        },
        _group("eve-mon", day=0, start="18:00", patients=["p1", "p2"]),
        _group("eve-tue", day=1, start="18:00", patients=["p1", "p2"]),
        _group("mh-wed", day=2, start="09:00", patients=["p3"]),
        {
            "id": "med-p1-1",
            "kind": "medication",
            "day": 3,
            "start": "10:00",
            "minutes": 30,
            "room": "office-1",
            "staff": ["t2"],
            "patients": ["p1"],
            "telehealth": False,
        },
    ]
    return {s["id"]: s for s in sessions}


def _group(section, *, day, start, patients, room="group-a", staff=("t1",)):
    return {
        "id": section,
        "kind": "group",
        "group_type": "process",
        "section": section,
        "day": day,
        "start": start,
        "minutes": 180,
        "room": room,
        "staff": list(staff),
        "patients": list(patients),
        "telehealth": False,
    }


def check(sessions: dict[str, dict], instance: dict | None = None):
    loaded = load_instance(instance or week())
    return violations(loaded, Schedule(loaded, [session_from_json(s) for s in sessions.values()]))


def only_rule(found, rule: int, session_id: str, *words: str) -> None:
    """Assert every violation is of `rule`, and one names the session and says the given words."""
    assert found, "expected a violation"
    assert {v.rule for v in found} == {rule}, [str(v) for v in found]
    assert any(
        session_id in v.sessions and session_id in v.message and all(w in v.message for w in words)
        for v in found
    ), [str(v) for v in found]


# A valid week -----------------------------------------------------------------------------------


def test_a_valid_schedule_has_no_violations():
    loaded = load_instance(week())
    schedule = Schedule(loaded, [session_from_json(s) for s in valid_sessions().values()])
    assert violations(loaded, schedule) == []
    assert count(loaded, schedule) == 0


def test_a_telehealth_session_needs_no_room():
    sessions = valid_sessions()
    sessions["med-p1-1"] |= {"room": None, "telehealth": True}
    assert check(sessions) == []


def test_sessions_that_touch_end_to_start_do_not_overlap():
    sessions = valid_sessions()
    sessions["med-p1-1"] |= {
        "day": 1,
        "start": "13:00",
        "room": "office-1",
    }  # right after f1, same room
    assert check(sessions) == []


# Rule 1 -----------------------------------------------------------------------------------------


def test_it_names_a_patient_booked_twice_at_once():
    sessions = valid_sessions()
    sessions["med-p1-1"] |= {"day": 1, "start": "12:30", "room": "group-a"}  # during f1
    only_rule(check(sessions), 1, "med-p1-1", "patient p1", "f1")


def test_it_names_a_staff_member_booked_twice_at_once():
    sessions = valid_sessions()
    sessions["ind-p5-1"] = _individual(
        "ind-p5-1", "p5", "t1", day=1, start="12:30", room="group-b"
    )  # t1: f1
    only_rule(check(sessions), 1, "ind-p5-1", "staff member t1", "f1")


def test_it_names_a_room_booked_twice_at_once():
    sessions = valid_sessions()
    sessions["ind-p4-1"] = _individual(
        "ind-p4-1", "p4", "t3", day=3, start="10:00", room="office-1"
    )
    only_rule(check(sessions), 1, "ind-p4-1", "room office-1", "med-p1-1")


# Rule 2 -----------------------------------------------------------------------------------------


def test_it_names_a_session_over_the_rooms_capacity():
    sessions = valid_sessions()
    sessions["eve-tue"] |= {"room": "office-1", "patients": ["p1", "p2", "p4"]}  # 4 people, 3 seats
    only_rule(check(sessions), 2, "eve-tue", "office-1", "seats 3")


def test_it_names_a_group_over_its_max_size():
    sessions = valid_sessions()
    sessions["eve-mon"]["patients"] = ["p1", "p2", "p4", "p5"]  # process: at most 3
    only_rule(check(sessions), 2, "eve-mon", "at most 3")


# Rule 3 -----------------------------------------------------------------------------------------


def test_it_names_staff_working_outside_their_availability():
    sessions = valid_sessions()
    sessions["med-p1-1"] |= {"day": 5}  # Saturday: p1 comes, t2 does not work
    only_rule(check(sessions), 3, "med-p1-1", "t2", "not working")


def test_it_names_staff_working_in_their_time_off():
    sessions = valid_sessions()
    sessions["med-p1-1"] |= {"start": "14:00"}  # Thursday 14:00, t2's time off
    only_rule(check(sessions), 3, "med-p1-1", "t2", "time off")


def test_it_names_staff_over_their_weekly_minutes():
    instance = week()
    instance["staff"][1]["max_minutes"] = 20  # the 30-minute visit is too long
    only_rule(check(valid_sessions(), instance), 3, "med-p1-1", "t2", "maximum is 20")


# Rule 4 -----------------------------------------------------------------------------------------


def test_it_names_a_facilitator_who_does_not_lead_the_group_type():
    sessions = valid_sessions()
    sessions["eve-tue"]["staff"] = ["t2"]
    only_rule(check(sessions), 4, "eve-tue", "t2", "does not lead process")


def test_it_names_staff_who_do_not_offer_the_service():
    sessions = valid_sessions()
    sessions["med-p1-1"]["staff"] = ["t1"]
    only_rule(check(sessions), 4, "med-p1-1", "t1", "does not offer medication")


def test_it_names_an_individual_session_not_with_the_primary_clinician():
    sessions = valid_sessions()
    sessions["ind-p1-2"] = _individual(
        "ind-p1-2", "p1", "t3", day=3, start="12:00", room="office-1"
    )
    only_rule(check(sessions), 4, "ind-p1-2", "primary clinician (t1)")


def test_it_names_a_session_with_an_unknown_staff_member():
    sessions = valid_sessions()
    sessions["med-p1-1"]["staff"] = ["nobody"]
    only_rule(check(sessions), 4, "med-p1-1", "'nobody'")


# Rule 5 -----------------------------------------------------------------------------------------


def test_it_names_a_patient_scheduled_outside_their_availability():
    sessions = valid_sessions()
    sessions["med-p1-1"] |= {"day": 4, "start": "07:00"}  # t2 starts at 07:00, p1 at 08:00
    only_rule(check(sessions), 5, "med-p1-1", "patient p1", "not available")


def test_it_names_a_patient_in_another_tracks_section():
    sessions = valid_sessions()
    sessions["mh-wed"]["patients"] = ["p3", "p4"]
    only_rule(check(sessions), 5, "mh-wed", "p4", "track mh-morning")


def test_it_names_a_patient_in_one_section_twice():
    sessions = valid_sessions()
    sessions["eve-mon"]["patients"] = ["p1", "p2", "p1"]
    only_rule(check(sessions), 5, "eve-mon", "p1", "2 times")


def test_it_names_a_patient_given_more_group_blocks_than_planned():
    sessions = valid_sessions()
    sessions["eve-mon"]["patients"] = ["p1", "p2", "p4"]
    sessions["eve-tue"]["patients"] = ["p1", "p2", "p4"]
    only_rule(check(sessions), 5, "eve-tue", "p4", "2 group blocks", "asks for 1")


def test_it_names_a_patient_given_more_of_a_service_than_planned():
    sessions = valid_sessions()
    sessions["med-p1-2"] = sessions["med-p1-1"] | {"id": "med-p1-2", "day": 4}
    only_rule(check(sessions), 5, "med-p1-2", "p1", "2 medication sessions")


def test_it_names_a_patient_over_their_weekly_minutes():
    instance = week()
    instance["patients"][1]["max_minutes"] = 300  # p2 has two 180-minute groups
    only_rule(check(valid_sessions(), instance), 5, "eve-tue", "p2", "maximum is 300")


def test_it_names_a_group_session_at_another_time_than_its_section():
    sessions = valid_sessions()
    sessions["eve-tue"]["start"] = "17:30"
    only_rule(check(sessions), 5, "eve-tue", "section eve-tue meets Tue 18:00–21:00")


def test_it_names_a_group_session_of_an_unknown_section():
    sessions = valid_sessions()
    sessions["eve-tue"]["section"] = "eve-sun"
    only_rule(check(sessions), 5, "eve-tue", "'eve-sun'")


# Rule 6 -----------------------------------------------------------------------------------------


def test_it_names_a_fixed_session_that_was_moved():
    sessions = valid_sessions()
    sessions["f1"]["start"] = "13:00"
    only_rule(check(sessions), 6, "f1", "changed")


def test_it_names_a_fixed_session_that_is_missing():
    sessions = valid_sessions()
    del sessions["f1"]
    only_rule(check(sessions), 6, "f1", "missing")


def test_it_names_a_section_moved_out_of_its_set_room():
    sessions = valid_sessions()
    sessions["eve-mon"]["room"] = "group-b"
    only_rule(check(sessions), 6, "eve-mon", "group-a")


# Rule 7 -----------------------------------------------------------------------------------------


def test_it_names_a_session_in_person_without_a_room():
    sessions = valid_sessions()
    sessions["med-p1-1"]["room"] = None
    only_rule(check(sessions), 7, "med-p1-1", "no room")


def test_it_names_a_session_in_a_room_the_instance_does_not_have():
    sessions = valid_sessions()
    sessions["med-p1-1"]["room"] = "basement"
    only_rule(check(sessions), 7, "med-p1-1", "'basement'")


def test_a_family_session_needs_a_seat_for_the_family_too():
    instance = week()
    instance["rooms"].append({"id": "office-2", "capacity": 2})
    instance["patients"][1]["demand"]["family"] = {"sessions": 1, "minutes": 60}  # p2, with t1
    sessions = valid_sessions()
    sessions["fam-p2-1"] = {
        "id": "fam-p2-1", "kind": "family", "day": 3, "start": "14:00", "minutes": 60,
        "room": "office-2", "staff": ["t1"], "patients": ["p2"], "telehealth": False,
    }
    only_rule(check(sessions, instance), 2, "fam-p2-1", "office-2", "seats 2", "family")
    sessions["fam-p2-1"]["room"] = "office-1"
    assert check(sessions, instance) == []
