"""Reading an instance: a broken one is refused with errors that name the field at fault."""

import pytest

from openiop.scheduling.instance import InstanceError, load_instance
from tests.scheduling.test_validator import week


def errors_of(data: dict) -> list[str]:
    with pytest.raises(InstanceError) as caught:
        load_instance(data)
    return caught.value.errors


def test_the_example_week_loads():
    loaded = load_instance(week())
    assert set(loaded.patients) == {"p1", "p2", "p3", "p4", "p5"}
    assert loaded.sections["eve-mon"].start == 18 * 60
    assert loaded.fixed[0].id == "f1"


def test_it_names_a_section_in_an_unknown_room():
    data = week()
    data["sections"][0]["room"] = "basement"
    assert "sections.eve-mon.room: unknown room 'basement'." in errors_of(data)


def test_it_names_a_time_that_is_not_a_time():
    data = week()
    data["sections"][1]["start"] = "25:00"
    errors = errors_of(data)
    assert any(
        e.startswith("sections.eve-tue.start:") and "'25:00' is not a time" in e for e in errors
    )


def test_it_names_an_id_used_twice():
    data = week()
    data["patients"][1]["id"] = "p1"
    assert "patients[1].id: 'p1' is used twice." in errors_of(data)


def test_it_names_a_window_that_ends_before_it_starts():
    data = week()
    data["staff"][0]["time_off"] = [{"day": 2, "start": "17:00", "end": "12:00"}]
    assert "staff.t1.time_off[0]: the end is not after the start." in errors_of(data)


def test_it_names_individual_therapy_without_a_primary_clinician():
    data = week()
    data["patients"][0]["primary_clinician"] = None
    errors = errors_of(data)
    assert (
        "patients.p1.primary_clinician: individual therapy needs the primary clinician." in errors
    )


def test_it_lists_every_problem_at_once():
    data = week()
    data["sections"][0]["room"] = "basement"
    data["patients"][0]["primary_clinician"] = None
    assert len(errors_of(data)) >= 2


def test_a_fixed_session_may_name_a_patient_who_is_not_being_rescheduled():
    data = week()
    data["fixed"][0]["patients"] = ["p1", "p-elsewhere"]
    loaded = load_instance(data)
    assert loaded.outside_patients == {"p-elsewhere"}


def test_a_fixed_session_with_an_unknown_staff_member_or_room_is_still_refused():
    data = week()
    data["fixed"][0]["staff"] = ["t404"]
    data["fixed"][0]["room"] = "attic"
    errors = errors_of(data)
    assert "fixed.f1.staff: unknown staff member 't404'." in errors
    assert "fixed.f1.room: unknown room 'attic'." in errors


def test_a_section_may_carry_booked_patients_and_last_weeks_facilitator():
    data = week()
    data["sections"][0] |= {"booked": ["p2", "p-elsewhere"], "last_facilitator": "t1"}
    section = load_instance(data).sections["eve-mon"]
    assert (section.booked, section.last_facilitator) == (("p2", "p-elsewhere"), "t1")
