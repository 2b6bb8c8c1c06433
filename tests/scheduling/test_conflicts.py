"""Conflicts of a session placed by hand: each kind is named in plain words, cancelled sessions
never conflict, the patient's free times are a warning (not a block), and the check costs the
same few queries however many people it is about."""

import datetime as dt

import pytest

from openiop.scheduling.conflicts import Conflict, ScheduleConflict, blocking, conflicts_for
from openiop.scheduling.models import (
    GroupType,
    PatientAvailability,
    SessionKind,
    StaffProfile,
    TimeOff,
)
from tests.factories.clinic import UserFactory, admit, make_patient
from tests.scheduling.screens_clinic import WEDNESDAY, at, build_setup, frozen, one_to_one

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


@pytest.fixture
def setup(clinic, clinician, patient_record):
    return build_setup(clinic, clinician, patient_record)


def check(setup, *, start=None, minutes=60, room="office", staff=None, patients=None, kind=SessionKind.INDIVIDUAL,
          **extra):
    starts_at = start or at(WEDNESDAY, 12)
    return conflicts_for(
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=minutes),
        room=setup[room] if isinstance(room, str) else room,
        staff=staff if staff is not None else [setup["clinician"]],
        patients=patients if patients is not None else [setup["patient"]], kind=kind, **extra)


def test_a_free_slot_has_no_conflicts(setup):
    assert check(setup, user=setup["clinician"]) == []


def test_it_names_the_patient_already_booked_and_the_other_session(setup):
    one_to_one(setup, at(WEDNESDAY, 12, 30), patient=setup["patient"], room=setup["group_room"],
               staff=UserFactory(role="clinician", organization=setup["organization"]))
    found = check(setup, user=setup["clinician"])
    assert found == ["Ave Quinlan is already booked then: Individual therapy, Wed 2 Dec 12:30–13:30."]
    assert not found[0].warning


def test_it_does_not_name_a_patient_the_user_may_not_see(setup, outsider):
    one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"], room=setup["group_room"],
               staff=UserFactory(role="clinician", organization=setup["organization"]))
    found = check(setup, user=outsider)
    assert found == ["A patient on this session is already booked then: Individual therapy, Wed 2 Dec 12:00–13:00."]
    assert "Quinlan" not in " ".join(check(setup))  # no user: nobody is named


def test_it_names_the_staff_member_and_the_room_already_booked(setup):
    one_to_one(setup, at(WEDNESDAY, 11, 30), patient=setup["second"])
    found = check(setup)
    name = setup["clinician"].display_name
    assert f"{name} is already booked then: Individual therapy, Wed 2 Dec 11:30–12:30." in found
    assert "Office 1 is already booked then: Individual therapy, Wed 2 Dec 11:30–12:30." in found
    assert "Dana Okafor" not in " ".join(found)   # the other session's patient is not the user's business here


def test_cancelled_sessions_and_the_session_itself_never_conflict(setup):
    one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"], status="cancelled")
    assert check(setup) == []
    itself = one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    assert check(setup, exclude_session=itself) == []
    assert check(setup)   # without excluding it, the session clashes with itself


def test_back_to_back_sessions_do_not_conflict(setup):
    one_to_one(setup, at(WEDNESDAY, 11), patient=setup["patient"])
    assert check(setup) == []


def test_it_counts_the_seats_with_the_family(setup):
    other = UserFactory(role="clinician", organization=setup["organization"], first_name="Tess", last_name="Lee")
    StaffProfile.objects.create(user=other, gives_family=True)
    found = check(setup, kind=SessionKind.FAMILY, staff=[setup["clinician"], other])
    assert found == ["Office 1 seats 3; this session needs 4 (1 patient, 2 staff and the family)."]


def test_it_names_the_group_size_cap(setup):
    small = GroupType.objects.create(organization=setup["organization"], code="dbt", name="DBT skills",
                                     category="skills", max_size=1)
    setup["clinician"].schedule_profile.leads.add(small)
    found = check(setup, kind=SessionKind.GROUP, group_type=small, room="group_room",
                  patients=[setup["patient"], setup["second"]], minutes=180, start=at(WEDNESDAY, 18))
    assert found == ["DBT skills groups take at most 1 patients; this one would have 2."]
    # Adding one patient to a session that already seats one counts both.
    found = check(setup, kind=SessionKind.GROUP, group_type=small, room="group_room", seated_patients=1,
                  patients=[setup["second"]], start=at(WEDNESDAY, 18), recheck_staff_and_room=False)
    assert found == ["DBT skills groups take at most 1 patients; this one would have 2."]


def test_it_names_staff_outside_their_hours(setup):
    name = setup["clinician"].display_name
    assert check(setup, start=at(WEDNESDAY, 21)) == [
        f"{name} does not work then: their hours on Wednesday are 09:00–21:30."]
    assert check(setup, start=at(dt.date(2026, 12, 6), 12)) == [f"{name} does not work on Sundays."]


def test_staff_without_hours_on_record_are_not_checked(setup):
    other = UserFactory(role="clinician", organization=setup["organization"])
    StaffProfile.objects.create(user=other, gives_individual=True)
    assert check(setup, start=at(dt.date(2026, 12, 6), 7), staff=[other]) == []


def test_it_names_time_off(setup):
    TimeOff.objects.create(user=setup["clinician"], starts_at=at(WEDNESDAY, 8), ends_at=at(WEDNESDAY, 17),
                           reason="Dentist")
    found = check(setup)
    assert found == [f"{setup['clinician'].display_name} is on time off then (until Wed 2 Dec 17:00)."]
    assert "Dentist" not in found[0]   # the reason is the staff member's own business


def test_it_names_staff_who_are_not_qualified(setup, director):
    profile = setup["clinician"].schedule_profile
    profile.gives_family = False
    profile.save()
    other_group = GroupType.objects.create(organization=setup["organization"], code="dbt", name="DBT skills",
                                           category="skills")
    name = setup["clinician"].display_name
    assert check(setup, kind=SessionKind.FAMILY, room="group_room") == [f"{name} does not give family sessions."]
    assert check(setup, kind=SessionKind.MEDICATION) == [
        f"{name} may not prescribe, so cannot hold a medication management visit."]
    assert check(setup, kind=SessionKind.GROUP, group_type=other_group, room="group_room") == [
        f"{name} does not lead DBT skills groups."]
    # Someone with no scheduling profile at all is qualified for nothing.
    assert check(setup, staff=[director]) == [f"{director.display_name} does not give individual therapy."]
    # Anyone may collect a drug screen.
    assert check(setup, kind=SessionKind.DRUG_SCREEN, staff=[director]) == []


def test_it_names_staff_over_their_weekly_maximum(setup):
    profile = setup["clinician"].schedule_profile
    profile.max_weekly_minutes = 150
    profile.save()
    one_to_one(setup, at(dt.date(2026, 11, 30), 12), minutes=60)                 # Monday, same week
    one_to_one(setup, at(dt.date(2026, 12, 7), 12), minutes=120)                 # next week: not counted
    one_to_one(setup, at(dt.date(2026, 12, 1), 12), minutes=120, status="cancelled")
    assert check(setup, minutes=90) == []
    assert check(setup, minutes=91) == [
        f"{setup['clinician'].display_name} would have 151 minutes of sessions that week; their most is 150."]


def test_the_patients_free_times_are_a_warning(setup, clinician):
    PatientAvailability.objects.create(patient=setup["patient"], windows=[
        {"day": 2, "start": "17:30", "end": "21:30"}, {"day": 3, "start": "9:00", "end": "12:00"}])
    found = check(setup, user=clinician)
    assert found == ["Ave Quinlan said they are not free then (Wednesday: 17:30–21:30)."]
    assert found[0].warning
    assert blocking(found) == found and blocking(found, patient_agreed=True) == []
    assert ScheduleConflict(found).needs_agreement
    assert check(setup, start=at(WEDNESDAY, 18), user=clinician) == []
    assert check(setup, start=at(dt.date(2026, 12, 4), 18), user=clinician) == [
        "Ave Quinlan said they are not free then (Friday: no free times)."]


def test_a_patient_without_free_times_on_record_is_not_checked(setup):
    PatientAvailability.objects.create(patient=setup["patient"], windows=[])
    assert check(setup, start=at(WEDNESDAY, 12)) == []


def test_a_hard_conflict_is_not_waived_by_the_patients_agreement():
    assert blocking([Conflict("Room booked"), Conflict("Not free", warning=True)], patient_agreed=True) == ["Room booked"]
    assert not ScheduleConflict([Conflict("Room booked"), Conflict("Not free", warning=True)]).needs_agreement


@pytest.mark.parametrize("people", [1, 6])
def test_it_costs_the_same_queries_for_one_or_many_people(setup, clinician, people, django_assert_num_queries):
    patients, staff = [], []
    for n in range(people):
        patient = make_patient(organization=setup["organization"], program=setup["sud"], legal_first_name=f"P{n}",
                               legal_last_name="Many", date_of_birth=dt.date(1990, 1, 1 + n))
        admit(patient=patient, program=setup["sud"])
        patients.append(patient)
        member = UserFactory(role="clinician", organization=setup["organization"])
        StaffProfile.objects.create(user=member).leads.add(setup["group_type"])
        staff.append(member)
        # Each one is booked somewhere else at the same time.
        one_to_one(setup, at(WEDNESDAY, 18), patient=patient, staff=member, room=setup["office"])
    # Visible names, overlapping sessions, their staff and patients, staff hours, time off,
    # profiles, minutes this week, patients' free times.
    with django_assert_num_queries(9):
        found = check(setup, kind=SessionKind.GROUP, group_type=setup["group_type"], room="group_room",
                      patients=patients, staff=staff, start=at(WEDNESDAY, 18), minutes=180, user=clinician)
    assert len([m for m in found if "already booked" in m]) == 2 * people
