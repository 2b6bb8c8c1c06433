"""The benchmark's generated week (bench/scheduling_instances.py) is realistic and well formed.

No solver here: these check the instance itself, so a change to the generator that would make
the benchmark's figures meaningless (too few clinicians, no seats, nobody with a narrow week)
fails fast.
"""

import json
import math
from collections import Counter

import pytest

from bench.scheduling_instances import generate
from openiop.scheduling.instance import Window, load_instance

SIZE = 300


@pytest.fixture(scope="module")
def week() -> dict:
    return generate(SIZE)


@pytest.fixture(scope="module")
def instance(week):
    return load_instance(week)


def therapists(instance):
    return [s for s in instance.staff.values() if s.leads]


def availability_kind(patient) -> str:
    """Name a patient's weekly availability the way an intake worker would."""
    windows = patient.availability
    if any(w.day == 5 for w in windows):
        return "day work"
    if len(windows) == 2:
        return "two days only"
    if all(w.start == 8 * 60 and w.end == 21 * 60 for w in windows):
        return "not working"
    if all(w.start >= 12 * 60 for w in windows):
        return "school"
    if all(w.start == 8 * 60 + 30 and w.end == 15 * 60 for w in windows):
        return "school hours"
    if all(w.start == 8 * 60 and w.end <= 15 * 60 for w in windows):
        return "night shift"
    return "other"


def test_the_same_seed_gives_the_same_week():
    assert generate(120, seed=7) == generate(120, seed=7)
    assert generate(120, seed=7) != generate(120, seed=8)


@pytest.mark.parametrize("patients", [1, 12, 50, 150, 600])
def test_the_week_loads_without_instance_errors(patients):
    week = json.loads(json.dumps(generate(patients)))  # exactly what --write-instance saves
    instance = load_instance(week)
    assert len(instance.patients) == patients


def test_there_is_about_one_therapist_per_12_patients(instance):
    assert SIZE / 12 <= len(therapists(instance)) <= SIZE / 12 + 2
    assert all(s.services == {"individual", "family"} for s in therapists(instance))


def test_a_couple_of_prescribers_see_only_medication_visits(instance):
    prescribers = [s for s in instance.staff.values() if "medication" in s.services]
    assert 2 <= len(prescribers) <= 4
    assert all(s.services == {"medication"} and not s.leads for s in prescribers)


def test_most_therapists_lead_most_group_types(instance):
    assert all(len(s.leads) >= len(instance.group_types) - 1 for s in therapists(instance))


def test_staff_work_a_morning_or_an_evening_shift_and_some_take_time_off(instance):
    shifts = {(w.start, w.end) for s in instance.staff.values() for w in s.availability}
    assert shifts == {(8 * 60, 17 * 60), (12 * 60, 21 * 60)}
    assert any(s.time_off for s in instance.staff.values())


def test_the_program_runs_four_tracks_of_three_blocks(instance):
    days_by_track = {}
    for section in instance.sections.values():
        days_by_track.setdefault(section.track, set()).add(section.day)
    assert len(days_by_track) == 4
    assert all(len(days) == 3 and days <= {0, 1, 2, 3, 4} for days in days_by_track.values())
    assert {p.track for p in instance.patients.values()} == set(days_by_track)


def test_every_block_has_a_section_per_ten_patients_of_its_track(instance):
    patients_in = Counter(p.track for p in instance.patients.values())
    sections_in = Counter((s.track, s.day) for s in instance.sections.values())
    for (track, _day), sections in sections_in.items():
        assert sections == math.ceil(patients_in[track] / 10)
        assert sections * 12 >= patients_in[track]


def test_group_types_rotate_within_a_block(instance):
    by_block = {}
    for section in instance.sections.values():
        by_block.setdefault((section.track, section.day), []).append(section.group_type)
    assert len({t for types in by_block.values() for t in types}) == 5
    assert all(len(set(types)) == min(len(types), 5) for types in by_block.values())


def test_group_rooms_seat_every_parallel_section(instance):
    group_rooms = [r for r in instance.rooms.values() if r.capacity >= 13]
    offices = [r for r in instance.rooms.values() if r.capacity == 3]
    for section in instance.sections.values():
        parallel = [
            s
            for s in instance.sections.values()
            if s.day == section.day and s.start < section.end and section.start < s.end
        ]
        assert len(parallel) <= len(group_rooms)
    assert len(offices) == math.ceil(len(therapists(instance)) / 2)


def test_each_period_has_enough_free_therapists_for_its_sections(instance):
    for section in instance.sections.values():
        parallel = [
            s
            for s in instance.sections.values()
            if s.day == section.day and s.start < section.end and section.start < s.end
        ]
        start, end = min(s.start for s in parallel), max(s.end for s in parallel)
        free = [t for t in therapists(instance) if t.free(section.day, start, end)]
        assert len(free) >= len(parallel)


def test_given_rooms_and_facilitators_never_clash(instance):
    given = [s for s in instance.sections.values() if s.room or s.facilitator]
    for one in given:
        for other in given:
            if (
                one.id < other.id
                and one.day == other.day
                and one.start < other.end
                and other.start < one.end
            ):
                assert one.room is None or one.room != other.room
                assert one.facilitator is None or one.facilitator != other.facilitator
        if one.facilitator:
            facilitator = instance.staff[one.facilitator]
            assert one.group_type in facilitator.leads
            assert facilitator.free(one.day, one.start, one.end)


def test_some_sections_leave_room_and_facilitator_to_the_solver(instance):
    sections = list(instance.sections.values())
    assert 0 < sum(1 for s in sections if s.facilitator is None) < len(sections)
    assert 0 < sum(1 for s in sections if s.room is None) < len(sections)


def test_patients_have_the_availability_of_real_lives(instance):
    kinds = Counter(availability_kind(p) for p in instance.patients.values())
    assert set(kinds) == {
        "day work",
        "school",
        "night shift",
        "school hours",
        "not working",
        "two days only",
    }
    assert kinds["day work"] > kinds["two days only"] > 0


def test_patients_are_in_a_track_they_can_mostly_attend(instance):
    can_attend = Counter()
    for patient in instance.patients.values():
        track_sections = {s.day: s for s in instance.sections.values() if s.track == patient.track}
        can_attend[
            sum(1 for s in track_sections.values() if patient.free(s.day, s.start, s.end))
        ] += 1
    assert can_attend[3] >= 0.9 * SIZE
    assert can_attend[2] > 0  # the narrow weeks: not everybody can meet plan
    assert can_attend[0] == can_attend[1] == 0


def test_the_demand_is_a_typical_iop_service_mix(instance):
    patients = list(instance.patients.values())
    assert all(p.services["individual"].total == 60 and p.primary_clinician for p in patients)
    assert 0.2 <= sum(1 for p in patients if "family" in p.services) / SIZE <= 0.4
    assert 0.3 <= sum(1 for p in patients if "medication" in p.services) / SIZE <= 0.5
    blocks = Counter(p.group_blocks for p in patients)
    assert set(blocks) == {2, 3} and blocks[2] < 0.15 * SIZE
    assert all(
        p.max_minutes == 1140 and p.min_minutes <= instance.planned_minutes(p) for p in patients
    )


def test_primary_caseloads_are_even_and_mostly_share_working_hours(instance):
    caseloads = Counter(p.primary_clinician for p in instance.patients.values())
    assert set(caseloads) == {t.id for t in therapists(instance)}
    assert max(caseloads.values()) - min(caseloads.values()) <= 4

    def shares_an_hour(patient) -> bool:
        clinician = instance.staff[patient.primary_clinician]
        return any(
            clinician.free(w.day, start, start + 60)
            for w in patient.availability
            for start in range(w.start, w.end - 59, 30)
        )

    sharing = sum(1 for p in instance.patients.values() if shares_an_hour(p))
    assert sharing >= 0.95 * SIZE


def test_most_patients_were_here_last_week_in_their_own_track(instance):
    returning = [p for p in instance.patients.values() if p.last_week_sections]
    assert 0.6 * SIZE <= len(returning) <= 0.8 * SIZE
    for patient in returning:
        assert {instance.sections[s].track for s in patient.last_week_sections} == {patient.track}


def test_a_few_fixed_sessions_fit_the_people_booked_into_them(instance):
    assert 2 <= len(instance.fixed) <= SIZE // 25
    for session in instance.fixed:
        (patient_id,) = session.patients
        (staff_id,) = session.staff
        assert instance.patients[patient_id].free(session.day, session.start, session.end)
        assert instance.staff[staff_id].free(session.day, session.start, session.end)
        assert session.telehealth or instance.rooms[session.room].capacity == 3
    assert any(s.telehealth for s in instance.fixed) and any(
        not s.telehealth for s in instance.fixed
    )


def test_staff_windows_are_weekdays_only(instance):
    assert all(
        isinstance(w, Window) and w.day < 5 for s in instance.staff.values() for w in s.availability
    )


def test_the_benchmark_measures_one_size_with_patients_and_prints_json(capsys):
    from bench.scheduling import main

    main(["--patients", "12", "--json", "--seconds", "4"])
    result = json.loads(capsys.readouterr().out)
    assert result["patients"] == 12
    assert result["hard_violations"] == result["greedy_hard_violations"] == 0
    assert result["solve_seconds"] <= 4.5
    assert 0 <= result["greedy_fraction_meeting_plan"] <= result["fraction_meeting_plan"]
    assert result["fraction_meeting_plan"] <= result["bound_fraction_meeting_plan"] <= 1
    assert set(result) >= {"patients", "solve_seconds", "fraction_meeting_plan", "hard_violations",
                           "greedy_fraction_meeting_plan", "greedy_hard_violations", "bound_fraction_meeting_plan"}
