"""The clinic's week as a solver instance, and a solved week written back to the calendar."""

import datetime as dt

import pytest
import time_machine
from django.db.models import ProtectedError

from openiop.audit.models import Action, AuditEvent
from openiop.scheduling import weeks
from openiop.scheduling.exports import check_week
from openiop.scheduling.models import (
    Attendee,
    SeriesMembership,
    Session,
    SessionKind,
    SessionSource,
    SessionStatus,
    StaffProfile,
)
from openiop.scheduling.rules import local_moment
from tests.scheduling import week_clinic
from tests.scheduling.week_clinic import WEEK

SOLVE = {"seconds": 3, "workers": 1}


@pytest.fixture(autouse=True)
def _before_the_week():
    with time_machine.travel(week_clinic.BEFORE_THE_WEEK, tick=True):
        yield


@pytest.fixture
def setup(clinic, clinician, patient_record):
    return week_clinic.build(clinic, clinician, patient_record)


def by_id(items):
    return {item["id"]: item for item in items}


def section_id(series):
    return f"series-{series.pk}"


def add_session(setup, *, day, start, minutes, kind=SessionKind.INDIVIDUAL, patients=(), staff=(), room=None,
                source=SessionSource.HAND, fixed=True, status=SessionStatus.SCHEDULED, series=None):
    starts_at = local_moment(WEEK + dt.timedelta(days=day), dt.time.fromisoformat(start))
    session = Session.objects.create(
        program=setup["organization"].programs.get(code="sud-evening"), kind=kind, series=series,
        group_type=series.group_type if series else None, starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes), room=room, source=source, fixed=fixed, status=status,
    )
    session.staff.set(staff)
    for patient in patients:
        row = Attendee(session=session, patient=patient, episode=patient.episodes.get())
        row.label_for_program(session.program)
        row.save()
    return session


def rosters(organization):
    """Every roster row of the week: (row pk, session pk, patient pk)."""
    return set(Attendee.objects.filter(session__program__organization=organization)
               .values_list("pk", "session_id", "patient_id"))


def placed(organization):
    """Every session of the week as placed: (pk, start, end, room, staff, status)."""
    return {
        (s.pk, s.starts_at, s.ends_at, s.room_id, tuple(sorted(m.pk for m in s.staff.all())), s.status)
        for s in Session.objects.filter(program__organization=organization).prefetch_related("staff")
    }


# The instance ----------------------------------------------------------------------------------


def test_the_instance_has_the_organizations_rooms_staff_and_the_weeks_group_sections(setup):
    built = weeks.instance_for_week(setup["organization"], WEEK)
    data = built.data
    rooms = by_id(data["rooms"])
    assert rooms[f"room-{setup['rooms']['group'].pk}"]["capacity"] == 12
    # The telehealth series meets in a stand-in room that seats the group and maps back to none.
    stand_in = f"telehealth-{setup['series']['tuesday'].pk}"
    assert rooms[stand_in]["capacity"] == 13 and built.rooms[stand_in] is None
    assert {g["id"]: g["max_size"] for g in data["group_types"]} == {"process": 12, "cbt-skills": 12}

    sections = by_id(data["sections"])
    monday, tuesday, thursday = (sections[section_id(setup["series"][d])] for d in ("monday", "tuesday", "thursday"))
    assert (monday["day"], monday["start"], monday["minutes"], monday["track"]) == (0, "18:00", 180, "sud-evening")
    assert monday["room"] == f"room-{setup['rooms']['group'].pk}" and monday["facilitator"] == "clinician"
    assert tuesday["room"] == stand_in and tuesday["group_type"] == "cbt-skills"
    assert thursday["facilitator"] is None                      # the solver chooses one who leads process
    assert built.sections[monday["id"]] == (setup["series"]["monday"], WEEK)

    staff = by_id(data["staff"])
    assert staff["clinician"]["leads"] == ["cbt-skills", "process"]
    assert staff["clinician"]["services"] == ["individual", "family"]
    assert staff["drpatel"]["services"] == ["medication"]
    assert staff["tlee"]["availability"][0] == {"day": 0, "start": "12:00", "end": "21:30"}
    assert staff["clinician"]["time_off"] == [{"day": 4, "start": "12:00", "end": "17:00"}]
    assert staff["clinician"]["max_minutes"] == 1800
    assert built.instance.staff["clinician"].free(4, 17 * 60, 18 * 60)
    assert not built.instance.staff["clinician"].free(4, 13 * 60, 14 * 60)


def test_demand_comes_from_the_signed_plan_and_fortnightly_lines_fall_in_their_weeks(setup):
    avery = setup["patients"]["avery"].mrn
    this_week = by_id(weeks.instance_for_week(setup["organization"], WEEK).data["patients"])[avery]
    # Admitted 1 October: 30 November is 9 weeks in, so the fortnightly family session is not due.
    assert this_week["demand"] == {"group_blocks": 3, "individual": {"sessions": 1, "minutes": 60},
                                   "family": None, "medication": None}
    next_week = by_id(weeks.instance_for_week(setup["organization"], WEEK + dt.timedelta(days=7)).data["patients"])
    assert next_week[avery]["demand"]["family"] == {"sessions": 1, "minutes": 60}
    devon = by_id(weeks.instance_for_week(setup["organization"], WEEK).data["patients"])[setup["patients"]["devon"].mrn]
    assert devon["demand"] == {"group_blocks": 2, "individual": None, "family": None,
                               "medication": {"sessions": 1, "minutes": 30}}


def test_a_patient_without_a_signed_plan_gets_the_default_mix(setup):
    blake = setup["patients"]["blake"].mrn
    # Admitted in the week of 16 November: 30 November is 2 weeks in (family due, medication not).
    data = by_id(weeks.instance_for_week(setup["organization"], WEEK).data["patients"])[blake]
    assert data["demand"] == {"group_blocks": 3, "individual": {"sessions": 1, "minutes": 60},
                              "family": {"sessions": 1, "minutes": 60}, "medication": None}
    later = by_id(weeks.instance_for_week(setup["organization"], WEEK + dt.timedelta(days=14)).data["patients"])
    assert later[blake]["demand"]["medication"] == {"sessions": 1, "minutes": 30}


def test_a_patient_with_no_availability_is_free_in_program_hours_and_it_is_said(setup):
    blake = setup["patients"]["blake"].mrn
    built = weeks.instance_for_week(setup["organization"], WEEK)
    windows = by_id(built.data["patients"])[blake]["availability"]
    # Weekdays 08:00-20:00, joined with the track's 18:00-21:00 groups on Mon, Tue and Thu.
    assert windows == [
        {"day": 0, "start": "08:00", "end": "21:00"}, {"day": 1, "start": "08:00", "end": "21:00"},
        {"day": 2, "start": "08:00", "end": "20:00"}, {"day": 3, "start": "08:00", "end": "21:00"},
        {"day": 4, "start": "08:00", "end": "20:00"},
    ]
    assert built.assumptions[blake] == [weeks.NO_AVAILABILITY]
    assert setup["patients"]["avery"].mrn not in built.assumptions


def test_the_band_is_the_programs_unless_the_episode_plans_its_hours(setup):
    patients = by_id(weeks.instance_for_week(setup["organization"], WEEK).data["patients"])
    avery, devon = patients[setup["patients"]["avery"].mrn], patients[setup["patients"]["devon"].mrn]
    assert (avery["min_minutes"], avery["max_minutes"]) == (9 * 60, 19 * 60)
    assert (devon["min_minutes"], devon["max_minutes"]) == (12 * 60, 19 * 60)


def test_the_primary_clinician_and_last_weeks_series_come_from_the_care_team_and_memberships(setup):
    built = weeks.instance_for_week(setup["organization"], WEEK)
    avery = by_id(built.data["patients"])[setup["patients"]["avery"].mrn]
    assert avery["primary_clinician"] == "clinician"
    assert avery["last_week_sections"] == [section_id(setup["series"]["monday"])]
    assert by_id(built.data["patients"])[setup["patients"]["blake"].mrn]["primary_clinician"] == "tlee"


def test_last_weeks_facilitator_is_named_for_continuity(setup):
    weeks.solve_week(setup["organization"], WEEK, **SOLVE)
    thursday = Session.objects.get(series=setup["series"]["thursday"])
    built = weeks.instance_for_week(setup["organization"], WEEK + dt.timedelta(days=7))
    section = by_id(built.data["sections"])[section_id(setup["series"]["thursday"])]
    assert section["facilitator"] is None and section["last_facilitator"] == thursday.staff.get().username


def test_a_series_whose_facilitator_is_off_gets_cover_from_the_solver(setup):
    from openiop.scheduling.models import TimeOff

    clinician = setup["staff"]["clinician"]
    TimeOff.objects.create(user=clinician, starts_at=local_moment(WEEK, dt.time(12)),
                           ends_at=local_moment(WEEK, dt.time(23)), reason="Sick")
    built = weeks.instance_for_week(setup["organization"], WEEK)
    assert by_id(built.data["sections"])[section_id(setup["series"]["monday"])]["facilitator"] is None
    weeks.solve_week(setup["organization"], WEEK, **SOLVE)
    monday = Session.objects.get(series=setup["series"]["monday"])
    assert list(monday.staff.all()) == [setup["staff"]["tlee"]]


def test_individual_therapy_is_not_booked_without_a_primary_clinician_who_gives_it(setup):
    StaffProfile.objects.filter(user__username="tlee").update(gives_individual=False)
    built = weeks.instance_for_week(setup["organization"], WEEK)
    blake = setup["patients"]["blake"].mrn
    assert by_id(built.data["patients"])[blake]["demand"]["individual"] is None
    assert built.unmet_notes[blake] == [weeks.NO_PRIMARY]
    assert built.instance.patients[blake].services.keys() == {"family"}      # and the instance loads


def test_drug_screens_take_the_patients_and_the_staff_members_time(setup):
    avery = setup["patients"]["avery"]
    add_session(setup, day=0, start="17:00", minutes=15, kind=SessionKind.DRUG_SCREEN, patients=[avery],
                staff=[setup["staff"]["drpatel"]])
    built = weeks.instance_for_week(setup["organization"], WEEK)
    assert by_id(built.data["patients"])[avery.mrn]["availability"][0] == {"day": 0, "start": "17:15", "end": "21:30"}
    assert by_id(built.data["staff"])["drpatel"]["time_off"] == [{"day": 0, "start": "17:00", "end": "17:15"}]
    assert built.data["fixed"] == []


def test_hand_placed_and_started_sessions_are_fixed_and_the_solvers_future_ones_replaceable(setup):
    avery, clinician = setup["patients"]["avery"], setup["staff"]["clinician"]
    office = setup["rooms"]["offices"][0]
    hand = add_session(setup, day=1, start="12:00", minutes=60, patients=[avery], staff=[clinician], room=office)
    solver = add_session(setup, day=2, start="12:00", minutes=60, patients=[avery], staff=[clinician], room=office,
                         source=SessionSource.SOLVER, fixed=False)
    add_session(setup, day=3, start="12:00", minutes=60, patients=[avery], staff=[clinician], room=office,
                status=SessionStatus.CANCELLED)
    built = weeks.instance_for_week(setup["organization"], WEEK)
    assert built.data["fixed"] == [{
        "id": f"s{hand.pk}", "kind": "individual", "day": 1, "start": "12:00", "minutes": 60,
        "room": f"room-{office.pk}", "staff": ["clinician"], "patients": [avery.mrn], "telehealth": False,
        "group_type": None, "section": None,
    }]
    assert built.replaceable == [solver.pk]
    # Once the solver's session has started, it is kept too.
    started = weeks.instance_for_week(setup["organization"], WEEK, now=solver.starts_at + dt.timedelta(minutes=5))
    assert f"s{solver.pk}" in started.fixed_ids and started.replaceable == []


def test_a_solver_session_with_an_absence_recorded_ahead_is_kept(setup):
    from openiop.attendance import services as attendance

    avery, clinician = setup["patients"]["avery"], setup["staff"]["clinician"]
    solver = add_session(setup, day=2, start="12:00", minutes=60, patients=[avery], staff=[clinician],
                         room=setup["rooms"]["offices"][0], source=SessionSource.SOLVER, fixed=False)
    attendance.record_attendance(actor=clinician, attendee=solver.attendees.get(), status="absent_excused",
                                 absence_reason="Called ahead: court date")
    built = weeks.instance_for_week(setup["organization"], WEEK)
    assert f"s{solver.pk}" in built.fixed_ids and built.replaceable == []


def test_nothing_new_is_placed_before_now_in_the_current_week(setup):
    now = local_moment(WEEK + dt.timedelta(days=1), dt.time(19, 10))          # Tuesday during the group
    built = weeks.instance_for_week(setup["organization"], WEEK, now=now)
    sections = by_id(built.data["sections"])
    assert section_id(setup["series"]["monday"]) not in sections              # past, and nobody held it
    assert section_id(setup["series"]["tuesday"]) not in sections
    assert section_id(setup["series"]["thursday"]) in sections
    avery = by_id(built.data["patients"])[setup["patients"]["avery"].mrn]
    assert avery["availability"][0] == {"day": 1, "start": "19:30", "end": "21:30"}
    assert by_id(built.data["staff"])["tlee"]["availability"][0] == {"day": 1, "start": "19:30", "end": "21:30"}


def test_a_week_must_start_on_a_monday(setup):
    with pytest.raises(weeks.WeekError, match="2026-12-02 is a Wednesday; weeks start on Monday: use 2026-11-30"):
        weeks.instance_for_week(setup["organization"], dt.date(2026, 12, 2))


# Solving and saving ----------------------------------------------------------------------------


def test_a_full_solve_writes_sessions_rosters_and_memberships_that_pass_the_check(setup):
    organization = setup["organization"]
    summary = weeks.solve_week(organization, WEEK, by=setup["staff"]["clinician"], **SOLVE)
    assert summary["violations"] == 0 and summary["mode"] == "full" and summary["patients"] == 4
    assert check_week(organization, WEEK) == []
    patients = setup["patients"]

    monday = Session.objects.get(series=setup["series"]["monday"])
    assert monday.source == SessionSource.SOLVER and not monday.fixed
    assert patients["avery"].pk in set(monday.attendees.values_list("patient_id", flat=True))
    tuesday = Session.objects.get(series=setup["series"]["tuesday"])
    assert tuesday.telehealth and tuesday.room is None                        # the stand-in room maps back to none
    thursday = Session.objects.get(series=setup["series"]["thursday"])
    assert thursday.room == setup["rooms"]["group"] and thursday.staff.count() == 1

    individual = Session.objects.get(kind=SessionKind.INDIVIDUAL, attendees__patient=patients["avery"])
    assert list(individual.staff.all()) == [setup["staff"]["clinician"]] and individual.room is not None
    medication = Session.objects.get(kind=SessionKind.MEDICATION, attendees__patient=patients["devon"])
    assert list(medication.staff.all()) == [setup["staff"]["drpatel"]]

    row = Attendee.objects.filter(patient=patients["avery"]).first()
    assert row.is_part2 and row.program_of_origin.code == "sud-evening"
    # Seated in a series they were not a member of: a membership from that day.
    membership = SeriesMembership.objects.get(series=setup["series"]["thursday"], patient=patients["avery"])
    assert membership.joined_on == WEEK + dt.timedelta(days=3) and membership.added_by == setup["staff"]["clinician"]
    assert SeriesMembership.objects.filter(series=setup["series"]["monday"], patient=patients["avery"]).count() == 1

    # Casey comes only on Mondays and Thursdays: the third block is unmet, and says why.
    assert any("group block" in line for line in summary["unmet"][patients["casey"].mrn])
    # Blake recorded no free times: the reason says what was assumed, if anything is unmet.
    if patients["blake"].mrn in summary["unmet"]:
        assert weeks.NO_AVAILABILITY in summary["unmet"][patients["blake"].mrn]

    events = AuditEvent.objects.filter(action=Action.CHANGE, object_type="scheduling.week", detail__week="2026-11-30")
    assert sorted(events.values_list("patient_mrn", flat=True)) == sorted(summary["changed"])
    assert set(summary["changed"]) == {p.mrn for p in patients.values()}


def test_a_second_full_solve_replaces_the_solvers_sessions_but_keeps_those_placed_by_hand(setup):
    organization = setup["organization"]
    avery, clinician = setup["patients"]["avery"], setup["staff"]["clinician"]
    hand = add_session(setup, day=2, start="17:00", minutes=60, patients=[avery], staff=[clinician],
                       room=setup["rooms"]["offices"][0])
    weeks.solve_week(organization, WEEK, **SOLVE)
    first = {s.pk for s in Session.objects.filter(source=SessionSource.SOLVER)}
    summary = weeks.solve_week(organization, WEEK, **SOLVE)
    assert summary["sessions_removed"] == len(first)
    assert not Session.objects.filter(pk__in=first).exists()
    assert Session.objects.filter(pk=hand.pk, fixed=True).exists()
    # The hand-placed individual session counts toward Avery's plan: no second one is booked.
    assert Session.objects.filter(kind=SessionKind.INDIVIDUAL, attendees__patient=avery).count() == 1
    assert check_week(organization, WEEK) == []


def test_a_repair_instance_books_the_group_sessions_as_they_are_and_fixes_the_rest(setup, clinic):
    organization = setup["organization"]
    weeks.solve_week(organization, WEEK, **SOLVE)
    eli, _ = week_clinic.patient(clinic, "Eli", "Novak", clinician=setup["staff"]["clinician"],
                                 admitted_on=dt.date(2026, 11, 25), windows=week_clinic.EVENINGS)
    built = weeks.instance_for_week(organization, WEEK, repair_patients=[eli])
    assert built.repair and built.scheduled == [eli.mrn] and built.replaceable == []
    sections = by_id(built.data["sections"])
    for series in setup["series"].values():
        session = Session.objects.get(series=series)
        section = sections[section_id(series)]
        assert section["booked"] == sorted(session.attendees.values_list("patient__mrn", flat=True))
        assert section["facilitator"] == session.staff.get().username
        if not session.telehealth:
            assert section["room"] == f"room-{session.room_id}"
    one_to_one = Session.objects.filter(series__isnull=True)
    assert built.fixed_ids == {f"s{s.pk}" for s in one_to_one}


def test_repair_keeps_every_session_and_roster_and_places_only_the_new_patient(setup, clinic):
    organization = setup["organization"]
    weeks.solve_week(organization, WEEK, **SOLVE)
    sessions_before, rosters_before = placed(organization), rosters(organization)
    eli, _ = week_clinic.patient(clinic, "Eli", "Novak", clinician=setup["staff"]["clinician"],
                                 admitted_on=dt.date(2026, 11, 25), windows=week_clinic.EVENINGS)

    summary = weeks.solve_week(organization, WEEK, repair_patients=[eli], **SOLVE)

    assert summary["mode"] == "repair" and summary["patients"] == 1 and summary["sessions_removed"] == 0
    assert sessions_before <= placed(organization)                          # nothing moved or removed
    rosters_after = rosters(organization)
    assert rosters_before <= rosters_after                                   # every row kept, identical
    added = rosters_after - rosters_before
    assert added and {patient for _, _, patient in added} == {eli.pk}
    assert summary["changed"] == [eli.mrn]
    # Eli joined the existing group sessions, not new copies of them.
    assert Session.objects.filter(series__isnull=False).count() == 3
    assert check_week(organization, WEEK) == []


def test_repair_during_the_week_leaves_the_past_alone(setup, clinic):
    organization = setup["organization"]
    weeks.solve_week(organization, WEEK, **SOLVE)
    tuesday_evening = local_moment(WEEK + dt.timedelta(days=1), dt.time(20))
    with time_machine.travel(tuesday_evening, tick=True):
        past_rows = {r for r in rosters(organization)
                     if Session.objects.get(pk=r[1]).starts_at < tuesday_evening}
        eli, _ = week_clinic.patient(clinic, "Eli", "Novak", clinician=setup["staff"]["clinician"],
                                     admitted_on=dt.date(2026, 11, 25), windows=week_clinic.EVENINGS)
        weeks.solve_week(organization, WEEK, repair_patients=[eli], **SOLVE)
        assert past_rows <= rosters(organization)
        assert not Attendee.objects.filter(patient=eli, session__starts_at__lt=tuesday_evening).exists()
        assert Attendee.objects.filter(patient=eli).exists()


def test_repair_refuses_a_patient_with_no_active_episode(setup, clinic):
    outsider = week_clinic.make_patient(organization=clinic["organization"], program=clinic["sud"],
                                        legal_first_name="Finn", legal_last_name="Walsh")
    with pytest.raises(weeks.WeekError, match=f"{outsider.mrn} has no active episode"):
        weeks.solve_week(setup["organization"], WEEK, repair_patients=[outsider], **SOLVE)


def test_a_week_with_a_broken_rule_is_not_saved(setup, monkeypatch):
    from openiop.scheduling import solver

    real_solve = solver.solve
    casey = setup["patients"]["casey"].mrn
    tuesday = section_id(setup["series"]["tuesday"])

    def careless_solve(instance, **options):
        schedule = real_solve(instance, **options)
        # Casey is not free on Tuesdays: seat her there anyway.
        for index, session in enumerate(schedule.sessions):
            if session.section == tuesday and casey not in session.patients:
                from dataclasses import replace

                schedule.sessions[index] = replace(session, patients=(*session.patients, casey))
        return schedule

    monkeypatch.setattr(solver, "solve", careless_solve)
    with pytest.raises(weeks.ScheduleRefused) as refused:
        weeks.solve_week(setup["organization"], WEEK, **SOLVE)
    assert any(f"patient {casey} is not available" in line for line in refused.value.violations)
    assert not Session.objects.exists() and not Attendee.objects.exists()


def test_a_week_changed_while_solving_is_not_saved(setup):
    organization = setup["organization"]
    built = weeks.instance_for_week(organization, WEEK)
    from openiop.scheduling.solver import solve

    schedule = solve(built.instance, **SOLVE)
    add_session(setup, day=2, start="12:00", minutes=60, patients=[setup["patients"]["avery"]],
                staff=[setup["staff"]["clinician"]], room=setup["rooms"]["offices"][0])
    with pytest.raises(weeks.WeekError, match="changed while the solver was working"):
        weeks.apply_schedule(organization, WEEK, built, schedule)
    assert Session.objects.count() == 1


def test_a_session_with_records_attached_stops_the_replacement_with_a_clear_message(setup, monkeypatch):
    organization = setup["organization"]
    weeks.solve_week(organization, WEEK, **SOLVE)
    count = Session.objects.count()

    def protected(self, *args, **kwargs):
        raise ProtectedError("protected", [Attendee.objects.first()])

    monkeypatch.setattr(Session, "delete", protected)
    with pytest.raises(weeks.WeekError, match="has records attached .*Mark it fixed"):
        weeks.solve_week(organization, WEEK, **SOLVE)
    assert Session.objects.count() == count


def test_a_week_that_is_over_cannot_be_solved_unless_filled_in_as_of_its_start(setup):
    past = dt.date(2026, 11, 16)
    with pytest.raises(weeks.WeekError, match="The week of 2026-11-16 is over"):
        weeks.solve_week(setup["organization"], past, **SOLVE)
    summary = weeks.solve_week(setup["organization"], past, now=local_moment(past, dt.time()), **SOLVE)
    assert summary["violations"] == 0 and Session.objects.exists()
    # Blake was admitted on Wednesday 18 November: nothing before that.
    blake = setup["patients"]["blake"]
    first = Session.objects.filter(attendees__patient=blake).order_by("starts_at").first()
    assert first is not None and first.starts_at >= local_moment(dt.date(2026, 11, 18), dt.time())


def test_a_short_psychoeducation_class_is_taught_inside_the_group_blocks():
    from types import SimpleNamespace

    episode = SimpleNamespace(admitted_on=dt.date(2026, 11, 2))
    line = SimpleNamespace
    lines = [line(service="group", sessions=3, minutes=180, every_weeks=1),
             line(service="psychoeducation", sessions=1, minutes=60, every_weeks=1),
             line(service="drug_screen", sessions=2, minutes=15, every_weeks=1)]
    assert weeks.demand_of(episode, lines, WEEK)[0] == 3
    lines[1] = line(service="psychoeducation", sessions=1, minutes=180, every_weeks=1)
    assert weeks.demand_of(episode, lines, WEEK)[0] == 4


def test_a_full_re_solve_keeps_a_group_session_where_staff_added_someone_by_hand(setup):
    from openiop.scheduling import services as scheduling

    organization = setup["organization"]
    weeks.solve_week(organization, WEEK, **SOLVE)
    group = Session.objects.filter(source=SessionSource.SOLVER, kind=SessionKind.GROUP).first()
    seated = set(group.attendees.values_list("patient_id", flat=True))
    from tests.factories.clinic import admit, make_patient

    newcomer = make_patient(organization=organization, program=group.program, legal_first_name="Emery")
    admit(patient=newcomer, program=group.program, admitted_on=WEEK - dt.timedelta(days=7))
    scheduling.add_attendee(group, newcomer, by=setup["staff"]["clinician"], patient_agreed=True)
    weeks.solve_week(organization, WEEK, **SOLVE)
    group.refresh_from_db()
    assert set(group.attendees.values_list("patient_id", flat=True)) == seated | {newcomer.pk}


def test_a_join_before_the_week_is_solved_does_not_keep_the_other_members_out(setup):
    from openiop.scheduling import services as scheduling
    from openiop.scheduling.models import GroupSeries
    from tests.factories.clinic import admit, make_patient

    organization = setup["organization"]
    series = GroupSeries.objects.filter(program__organization=organization).order_by("weekday").first()
    day = next(WEEK + dt.timedelta(days=offset) for offset in range(7) if series.runs_on(WEEK + dt.timedelta(days=offset)))
    newcomer = make_patient(organization=organization, program=series.program, legal_first_name="Emery")
    admit(patient=newcomer, program=series.program, admitted_on=WEEK - dt.timedelta(days=7))
    scheduling.join_series(newcomer, series, on=day, by=setup["staff"]["clinician"], patient_agreed=True)
    session = Session.objects.get(series=series)
    assert list(session.attendees.values_list("patient_id", flat=True)) == [newcomer.pk]

    weeks.solve_week(organization, WEEK, **SOLVE)
    session.refresh_from_db()
    roster = set(session.attendees.values_list("patient_id", flat=True))
    assert newcomer.pk in roster and len(roster) > 1
    assert check_week(organization, WEEK) == []
