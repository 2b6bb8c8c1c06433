"""Booked seats (repairing a week): patients already seated in a section stay there, the section
runs with its room and facilitator, and the solver and the greedy baseline fill only the seats
left. Also: people in fixed sessions or booked seats who are not being rescheduled."""

import pytest

from openiop.scheduling import validator
from openiop.scheduling.greedy import greedy_schedule
from openiop.scheduling.instance import InstanceError, Schedule, load_instance, session_from_json
from openiop.scheduling.solver import solve
from tests.scheduling.test_solver import clinician, evening_section, patient, week

SOLVE = {"seconds": 5, "workers": 1, "seed": 0}


def booked_week(*, booked, patients, max_size=3, room_capacity=13, **section):
    data = week(patients=patients, max_size=max_size,
                rooms=[{"id": "group-a", "capacity": room_capacity}, {"id": "office-1", "capacity": 3}],
                staff=[clinician("t1", "Marcus Bell"), clinician("t2", "Ana Ruiz")])
    data["sections"] = [evening_section("eve-mon", 0) | {"booked": booked} | section]
    return data


def both(data):
    """The solver's and the greedy baseline's weeks, each checked by the validator."""
    instance = load_instance(data)
    weeks = {"solver": solve(instance, **SOLVE), "greedy": greedy_schedule(instance)}
    for name, schedule in weeks.items():
        assert [str(v) for v in validator.violations(instance, schedule)] == [], name
    return instance, weeks


def group_of(schedule, section_id="eve-mon"):
    (session,) = [s for s in schedule.sessions if s.section == section_id]
    return session


def test_booked_patients_stay_and_the_seats_left_go_to_others():
    # Three seats; p7 (not being rescheduled) and p1 are booked: one seat left for p2 or p3.
    data = booked_week(booked=["p7", "p1"], patients=[patient("p1"), patient("p2"), patient("p3")])
    instance, weeks = both(data)
    for name, schedule in weeks.items():
        session = group_of(schedule)
        assert session.patients[:2] == ("p7", "p1"), name
        assert len(session.patients) == 3, name
        assert (session.room, session.staff) == ("group-a", ("t1",)), name
        assert schedule.meets_plan(instance.patients["p1"]), name
        assert sum(schedule.meets_plan(instance.patients[p]) for p in ("p2", "p3")) == 1, name
    assert weeks["solver"].solver["patients_meeting_plan_bound"] == 2


def test_a_booked_section_runs_even_when_nobody_else_joins():
    data = booked_week(booked=["p7"], patients=[patient("p1", availability=[])])
    _, weeks = both(data)
    for schedule in weeks.values():
        assert group_of(schedule).patients == ("p7",)


def test_the_room_counts_the_booked_patients_too():
    # The room seats 4: the facilitator, two booked patients and one more.
    data = booked_week(booked=["p7", "p8"], patients=[patient("p1"), patient("p2")], max_size=12,
                       room_capacity=4)
    _, weeks = both(data)
    for schedule in weeks.values():
        assert len(group_of(schedule).patients) == 3


def test_a_booked_patient_of_the_instance_has_that_block_and_is_busy_then():
    # p1 needs one block (booked) and one individual hour, only free Monday 17:30–21:30.
    data = booked_week(
        booked=["p1"],
        patients=[patient("p1", individual={"sessions": 1, "minutes": 60},
                          availability=[{"day": 0, "start": "17:00", "end": "21:30"}])],
    )
    instance, weeks = both(data)
    schedule = weeks["solver"]
    assert schedule.meets_plan(instance.patients["p1"])
    (individual,) = [s for s in schedule.sessions if s.kind == "individual"]
    assert (individual.day, individual.start) == (0, 17 * 60)   # before the group, not during it


def test_a_fixed_session_may_name_someone_not_being_rescheduled():
    data = booked_week(booked=[], patients=[patient("p1")])
    data["fixed"] = [{"id": "f1", "kind": "individual", "day": 0, "start": "17:00", "minutes": 60,
                      "room": "office-1", "staff": ["t2"], "patients": ["p99"], "telehealth": False}]
    instance = load_instance(data)
    assert instance.outside_patients == {"p99"}
    schedule = solve(instance, **SOLVE)
    assert validator.violations(instance, schedule) == []
    assert instance.fixed[0] in schedule.sessions


# The loader -------------------------------------------------------------------------------------


def errors_of(data):
    with pytest.raises(InstanceError) as caught:
        load_instance(data)
    return caught.value.errors


def test_a_booked_section_must_name_its_room_and_facilitator():
    data = booked_week(booked=["p7"], patients=[patient("p1")], room=None, facilitator=None)
    errors = errors_of(data)
    assert "sections.eve-mon.room: a section with booked patients must name its room." in errors
    assert "sections.eve-mon.facilitator: a section with booked patients must name its facilitator." in errors


def test_booked_patients_must_fit_the_group_and_be_listed_once():
    data = booked_week(booked=["p7", "p8", "p9", "p10"], patients=[patient("p1")])
    assert any(e.startswith("sections.eve-mon.booked: 4 patients, but Process group groups take at most 3")
               for e in errors_of(data))
    data = booked_week(booked=["p7", "p7"], patients=[patient("p1")])
    assert "sections.eve-mon.booked: p7 listed twice." in errors_of(data)
    data = booked_week(booked="p7", patients=[patient("p1")])
    assert any(e.startswith("sections.eve-mon.booked: write a list of patient ids") for e in errors_of(data))


def test_a_booked_patient_of_the_instance_must_be_of_the_sections_track():
    data = booked_week(booked=["p1"], patients=[patient("p1") | {"track": "mh-morning"}])
    assert "sections.eve-mon.booked: patient p1 is in track mh-morning, not sud-evening." in errors_of(data)


def test_unknown_staff_and_rooms_are_still_errors():
    data = booked_week(booked=["p7"], patients=[patient("p1")], facilitator="nobody", last_facilitator="t9")
    errors = errors_of(data)
    assert "sections.eve-mon.facilitator: unknown staff member 'nobody'." in errors
    assert "sections.eve-mon.last_facilitator: unknown staff member 't9'." in errors


# The validator ----------------------------------------------------------------------------------


def checked(data, sessions):
    instance = load_instance(data)
    return validator.violations(instance, Schedule(instance, [session_from_json(s) for s in sessions]))


def group(patients, **changes):
    return {"id": "eve-mon", "kind": "group", "group_type": "process", "section": "eve-mon", "day": 0,
            "start": "18:00", "minutes": 180, "room": "group-a", "staff": ["t1"], "patients": patients,
            "telehealth": False} | changes


def test_the_validator_names_a_booked_patient_left_out():
    data = booked_week(booked=["p7", "p1"], patients=[patient("p1"), patient("p2")])
    assert checked(data, [group(["p7", "p1", "p2"])]) == []
    found = checked(data, [group(["p1", "p2"])])
    assert [(v.rule, v.sessions) for v in found] == [(8, ("eve-mon",))]
    assert "booked patient p7 is missing from section eve-mon" in found[0].message


def test_the_validator_names_a_booked_section_that_is_not_held():
    data = booked_week(booked=["p7"], patients=[patient("p1")])
    found = checked(data, [])
    assert [v.rule for v in found] == [8]
    assert "section eve-mon has booked patients (p7) but is not held." in found[0].message


def test_people_not_in_the_instance_are_allowed_only_in_their_own_booked_or_fixed_session():
    data = booked_week(booked=["p7"], patients=[patient("p1")])
    found = checked(data, [group(["p7", "p8"])])
    assert [(v.rule, "'p8'" in v.message) for v in found] == [(5, True)]


def test_capacity_counts_booked_patients():
    data = booked_week(booked=["p7", "p8"], patients=[patient("p1"), patient("p2")], max_size=12,
                       room_capacity=4)
    found = checked(data, [group(["p7", "p8", "p1", "p2"])])
    assert [v.rule for v in found] == [2]
