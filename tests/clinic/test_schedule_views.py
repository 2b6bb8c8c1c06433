"""The clinic's schedule screens: week and day calendars, the today board, a session's page and
its edits, booking by hand, group series with rolling membership, weekly hours and the solver's
page. Rosters name only patients the user may see; every patient-data URL is 404 for those who
may not see the patient; a refused edit is a 400 naming each problem and keeping what was typed."""

import datetime as dt
import sys
import types

import pytest
from django.urls import reverse

from openiop.audit.models import Action, AuditEvent
from openiop.plans.models import Plan, PlanKind, PlanVersion, ServiceLine, VersionStatus
from openiop.scheduling.models import (
    Attendee,
    PatientAvailability,
    SeriesMembership,
    Session,
    SessionKind,
    SolveRun,
)
from tests.factories.clinic import admit, make_patient
from tests.scheduling.screens_clinic import (
    TODAY,
    WEDNESDAY,
    WEEK,
    at,
    attend,
    build_setup,
    frozen,
    make_series,
    member,
    one_to_one,
    seat,
    series_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


@pytest.fixture
def setup(clinic, clinician, patient_record):
    return build_setup(clinic, clinician, patient_record)


def session_url(session, action=""):
    name = f"clinic:schedule_session_{action}" if action else "clinic:schedule_session"
    return reverse(name, kwargs={"session_id": session.pk})


def patient_url(patient, action=""):
    name = f"clinic:patient_schedule_{action}" if action else "clinic:patient_schedule"
    return reverse(name, kwargs={"mrn": patient.mrn})


def many_patients(setup, count):
    patients = []
    for n in range(count):
        patient = make_patient(organization=setup["organization"], program=setup["sud"], legal_first_name=f"Pat{n}",
                               legal_last_name="Manyrows", date_of_birth=dt.date(1990, 1, 1 + n))
        admit(patient=patient, program=setup["sud"], clinician=setup["clinician"])
        patients.append(patient)
    return patients


# Calendars ---------------------------------------------------------------------------------------------


def test_the_week_names_the_clinicians_patients_and_audits_them(client, setup):
    session = series_session(make_series(setup), WEDNESDAY, patients=[setup["patient"]])
    client.force_login(setup["clinician"])
    response = client.get(reverse("clinic:schedule_week"), {"week": "2026-12-03"})
    assert response.status_code == 200
    text = response.text
    assert "Week of Monday 30 November 2026" in text and "Process group" in text and "Ave Quinlan" in text
    assert session_url(session) in text and "18:00–21:00" in text
    assert "week=2026-11-23" in text and "week=2026-12-07" in text          # previous and next week
    assert AuditEvent.objects.filter(patient=setup["patient"], action=Action.LIST,
                                     detail__list="schedule week").exists()


def test_a_clinician_outside_the_care_team_sees_the_session_but_not_the_name(client, setup, outsider):
    session = series_session(make_series(setup), WEDNESDAY, patients=[setup["patient"], setup["second"]])
    client.force_login(outsider)
    response = client.get(reverse("clinic:schedule_week"), {"week": "2026-11-30"})
    assert "Process group" in response.text and "2 other patients" in response.text
    assert "Quinlan" not in response.text and "Okafor" not in response.text
    page = client.get(session_url(session))
    assert page.status_code == 200 and "2 other patients" in page.text and "Quinlan" not in page.text
    assert not AuditEvent.objects.filter(user=outsider, patient=setup["patient"]).exists()


def test_the_week_filters_by_program_room_and_staff(client, setup, director):
    one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    client.force_login(director)
    url = reverse("clinic:schedule_week")
    assert "Individual therapy" in client.get(url, {"room": setup["office"].pk}).text
    assert "Individual therapy" not in client.get(url, {"room": setup["group_room"].pk}).text
    assert "Individual therapy" not in client.get(url, {"program": setup["mh"].pk}).text
    assert "Individual therapy" in client.get(url, {"staff": setup["clinician"].pk}).text
    assert "Individual therapy" not in client.get(url, {"staff": director.pk}).text


def test_the_day_view_shows_one_day(client, setup, front_desk):
    one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    client.force_login(front_desk)
    url = reverse("clinic:schedule_day")
    assert "Individual therapy" in client.get(url, {"day": "2026-12-02"}).text
    response = client.get(url, {"day": "2026-12-03"})
    assert "Individual therapy" not in response.text and "day=2026-12-02" in response.text


def test_the_today_board_highlights_the_next_session(client, setup, front_desk):
    one_to_one(setup, at(TODAY, 8), patient=setup["patient"])                    # over
    upcoming = one_to_one(setup, at(TODAY, 10), patient=setup["second"])
    upcoming.telehealth, upcoming.room = True, None
    upcoming.save()
    one_to_one(setup, at(TODAY, 13), patient=setup["patient"])
    client.force_login(front_desk)
    response = client.get(reverse("clinic:schedule_today"))
    text = response.text
    assert text.index("08:00–09:00") < text.index("10:00–11:00") < text.index("13:00–14:00")
    next_item = text[text.index('aria-current="true"'):]
    assert next_item.index("10:00–11:00") < next_item.index("13:00")
    assert "Dana Okafor" in next_item[:next_item.index("13:00")] and "telehealth" in next_item[:next_item.index("13:00")]


@pytest.mark.parametrize("count", [1, 8])
def test_the_week_costs_the_same_queries_for_one_or_many_sessions(client, setup, count, django_assert_num_queries):
    patients = many_patients(setup, count)
    series = make_series(setup)
    series_session(series, WEDNESDAY, patients=patients)
    for n, patient in enumerate(patients):
        one_to_one(setup, at(dt.date(2026, 12, 3), 9 + n), patient=patient)
    client.force_login(setup["clinician"])
    client.get(reverse("clinic:schedule_week"))
    # Session and user; programs, rooms and staff of the filters; sessions, their staff, their
    # rosters; visible patients; one audit insert.
    with django_assert_num_queries(10):
        response = client.get(reverse("clinic:schedule_week"))
    assert response.text.count("Manyrows") == 2 * count


@pytest.mark.parametrize("count", [1, 8])
def test_the_today_board_costs_the_same_queries_for_one_or_many(client, setup, front_desk, count,
                                                                 django_assert_num_queries):
    patients = many_patients(setup, count)
    for n, patient in enumerate(patients):
        one_to_one(setup, at(TODAY, 10 + n), patient=patient)
    client.force_login(front_desk)
    client.get(reverse("clinic:schedule_today"))
    with django_assert_num_queries(7):
        response = client.get(reverse("clinic:schedule_today"))
    assert response.text.count("Manyrows") == count


# A session's page and its edits -------------------------------------------------------------------------


def test_the_session_page_shows_each_members_curriculum_progress(client, setup):
    series = make_series(setup)
    triggers, cravings, _sleep = setup["modules"]
    attend(series_session(series, dt.date(2026, 11, 25), module=triggers, patients=[setup["patient"]]))
    cancelled = series_session(series, dt.date(2026, 11, 18), module=cravings, patients=[setup["patient"]])
    cancelled.status = "cancelled"
    cancelled.save()
    # A no-show does not cover the module.
    missed = series_session(series, dt.date(2026, 11, 11), module=setup["modules"][2], patients=[setup["patient"]])
    attend(missed, status="absent_unexcused")
    session = series_session(series, WEDNESDAY, module=cravings, patients=[setup["patient"], setup["second"]])
    client.force_login(setup["clinician"])
    response = client.get(session_url(session))
    assert response.status_code == 200
    text = response.text
    assert "1 of 3 modules covered" in text and "0 of 3 modules covered" in text
    assert "Covered</strong> (attended): Triggers" in text
    assert "Remaining</strong>: Cravings, Sleep" in text
    assert "Move or change the session" in text and "Cancel the session" in text


def test_intake_sees_the_session_without_the_edit_forms(client, setup, intake):
    session = one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    client.force_login(intake)
    response = client.get(session_url(session))
    assert response.status_code == 200 and "Ave Quinlan" in response.text
    assert "Move or change the session" not in response.text
    assert client.post(session_url(session, "cancel"), {"cancel-reason": "x"}).status_code == 404


def test_moving_a_session_redirects_to_its_page(client, setup):
    session = one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    client.force_login(setup["clinician"])
    response = client.post(session_url(session, "move"), {
        "move-day": "2026-12-02", "move-start": "14:00", "move-minutes": "50", "move-room": setup["office"].pk,
        "move-staff": [setup["clinician"].pk]})
    assert response.status_code == 302 and response["Location"] == session_url(session)
    session.refresh_from_db()
    assert session.starts_at == at(WEDNESDAY, 14) and session.minutes == 50


def test_a_conflicting_move_is_a_400_naming_the_conflict_and_keeping_what_was_typed(client, setup):
    session = one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    one_to_one(setup, at(WEDNESDAY, 15), patient=setup["second"], room=setup["group_room"])
    client.force_login(setup["clinician"])
    response = client.post(session_url(session, "move"), {
        "move-day": "2026-12-02", "move-start": "15:15", "move-minutes": "75", "move-room": setup["office"].pk,
        "move-staff": [setup["clinician"].pk]})
    assert response.status_code == 400
    text = response.text
    assert f"{setup['clinician'].display_name} is already booked then: Individual therapy, Wed 2 Dec 15:00–16:00." in text
    assert 'value="75"' in text and 'value="15:15"' in text
    session.refresh_from_db()
    assert session.starts_at == at(WEDNESDAY, 12)


def test_a_move_missing_fields_names_them(client, setup):
    session = one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    client.force_login(setup["clinician"])
    response = client.post(session_url(session, "move"), {
        "move-day": "", "move-start": "14:00", "move-minutes": "900", "move-room": "", "move-staff": []})
    assert response.status_code == 400
    for message in ("Date: This field is required.", "Minutes: Ensure this value is less than or equal to 600.",
                    "Room: Choose a room, or tick telehealth.", "Staff: Choose at least one staff member."):
        assert message in response.text
    assert 'value="14:00"' in response.text


def test_outside_free_times_the_form_offers_the_agreement_box(client, setup):
    PatientAvailability.objects.create(patient=setup["patient"], windows=[{"day": 2, "start": "17:00", "end": "21:00"}])
    session = one_to_one(setup, at(WEDNESDAY, 18), patient=setup["patient"])
    client.force_login(setup["clinician"])
    data = {"move-day": "2026-12-02", "move-start": "14:00", "move-minutes": "60", "move-room": setup["office"].pk,
            "move-staff": [setup["clinician"].pk]}
    response = client.post(session_url(session, "move"), data)
    assert response.status_code == 400 and "said they are not free then" in response.text
    assert "Book anyway: the patient agreed" in response.text
    assert client.post(session_url(session, "move"), data | {"move-patient_agreed": "on"}).status_code == 302


def test_cancelling_keeps_the_session_and_needs_a_reason(client, setup):
    session = one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    client.force_login(setup["clinician"])
    response = client.post(session_url(session, "cancel"), {"cancel-reason": ""})
    assert response.status_code == 400 and "Why is it cancelled?: Give a reason for cancelling." in response.text
    assert client.post(session_url(session, "cancel"), {"cancel-reason": "Snow closure"}).status_code == 302
    session = Session.objects.get(pk=session.pk)
    assert session.is_cancelled and session.cancel_reason == "Snow closure"
    assert Attendee.objects.filter(session=session).count() == 1
    page = client.get(session_url(session))
    assert "Cancelled" in page.text and "Snow closure" in page.text and "Move or change" not in page.text


def test_adding_and_removing_a_patient(client, setup):
    session = series_session(make_series(setup), WEDNESDAY, patients=[setup["patient"]])
    client.force_login(setup["clinician"])
    assert "Okafor, Dana" in client.get(session_url(session)).text     # offered in "Add a patient"
    assert client.post(session_url(session, "add"), {"add-patient": setup["second"].pk}).status_code == 302
    assert Attendee.objects.filter(session=session, patient=setup["second"]).exists()
    response = client.post(session_url(session, "remove"), {"remove-patient": setup["second"].pk,
                                                             "remove-reason": "Court date"})
    assert response.status_code == 302
    assert not Attendee.objects.filter(session=session, patient=setup["second"]).exists()


def test_a_patient_not_offered_cannot_be_added(client, setup, other_patient_user):
    session = series_session(make_series(setup), WEDNESDAY)
    client.force_login(setup["clinician"])
    response = client.post(session_url(session, "add"), {"add-patient": other_patient_user.patient.pk})
    assert response.status_code == 400 and "Patient: Select a valid choice." in response.text


@pytest.mark.parametrize("count", [1, 8])
def test_the_session_page_costs_the_same_queries_for_one_or_many_patients(client, setup, count,
                                                                         django_assert_num_queries):
    patients = many_patients(setup, count)
    series = make_series(setup)
    attend(series_session(series, dt.date(2026, 11, 25), module=setup["modules"][0], patients=patients))
    session = series_session(series, WEDNESDAY, module=setup["modules"][1], patients=patients)
    client.force_login(setup["clinician"])
    client.get(session_url(session))
    with django_assert_num_queries(13):
        response = client.get(session_url(session))
    assert response.text.count("1 of 3 modules covered") == count


# Booking --------------------------------------------------------------------------------------------


def book_data(setup, **overrides):
    return {"program": setup["sud"].pk, "kind": "individual", "patients": [setup["patient"].pk],
            "staff": [setup["clinician"].pk], "day": "2026-12-03", "start": "11:00", "minutes": "60",
            "room": setup["office"].pk} | overrides


def test_booking_a_session_by_hand(client, setup, front_desk):
    client.force_login(front_desk)
    form = client.get(reverse("clinic:schedule_book"), {"mrn": setup["patient"].mrn})
    assert form.status_code == 200 and "Ave" in form.text and "Okafor" in form.text
    response = client.post(reverse("clinic:schedule_book"), book_data(setup))
    session = Session.objects.get(kind=SessionKind.INDIVIDUAL)
    assert response.status_code == 302 and response["Location"] == session_url(session)
    assert session.fixed and session.created_by == front_desk and session.starts_at == at(dt.date(2026, 12, 3), 11)


def test_a_refused_booking_is_a_400_keeping_what_was_typed(client, setup, front_desk):
    client.force_login(front_desk)
    response = client.post(reverse("clinic:schedule_book"), book_data(
        setup, kind="medication", minutes="35", patients=[setup["patient"].pk, setup["second"].pk]))
    assert response.status_code == 400
    assert "Patient(s): Choose one patient for a one-to-one session." in response.text
    assert 'value="35"' in response.text
    response = client.post(reverse("clinic:schedule_book"), book_data(setup, kind="medication", minutes="35"))
    assert response.status_code == 400
    assert "may not prescribe, so cannot hold a medication management visit." in response.text
    assert not Session.objects.exists()


# The patient's schedule, joining and leaving series -------------------------------------------------------


def test_the_patient_schedule_joins_and_leaves_a_series(client, setup):
    series = make_series(setup)
    coming = series_session(series, WEDNESDAY)
    client.force_login(setup["clinician"])
    page = client.get(patient_url(setup["patient"]))
    assert page.status_code == 200 and "Add to a group series" in page.text and "Evening process group" in page.text
    response = client.post(patient_url(setup["patient"], "join"), {"join-series": series.pk, "join-on": "2026-12-01"})
    assert response.status_code == 302
    membership = SeriesMembership.objects.get(patient=setup["patient"])
    assert Attendee.objects.filter(session=coming, patient=setup["patient"], membership=membership).exists()
    page = client.get(patient_url(setup["patient"]))
    assert "Leave series" in page.text and "18:00–21:00" in page.text
    response = client.post(patient_url(setup["patient"], "leave"), {
        "membership": membership.pk, f"leave-{membership.pk}-on": "2026-12-01",
        f"leave-{membership.pk}-reason": "Stepped down"})
    assert response.status_code == 302
    assert not Attendee.objects.filter(session=coming, patient=setup["patient"]).exists()


def test_the_patient_schedule_audits_the_other_patients_it_names(client, setup):
    # The patient's week shows each session's roster: the others named there are read too.
    second = setup["second"]
    series_session(make_series(setup), WEDNESDAY, patients=[setup["patient"], second])
    client.force_login(setup["clinician"])
    page = client.get(patient_url(setup["patient"]))
    assert page.status_code == 200 and "Dana Okafor" in page.text
    assert AuditEvent.objects.filter(user=setup["clinician"], patient=second).exists()


@pytest.mark.parametrize("count", [1, 4])
def test_the_patient_schedule_costs_the_same_queries_for_one_or_many_series(client, setup, count,
                                                                          django_assert_num_queries):
    from openiop.programs.models import CurriculumModule
    from openiop.scheduling.models import CurriculumSlot, GroupType

    for n in range(count):
        group_type = GroupType.objects.create(organization=setup["organization"], code=f"skills-{n}",
                                              name=f"Skills {n}", category="skills")
        module = CurriculumModule.objects.create(organization=setup["organization"], topic_area="Skills",
                                                 title=f"Module {n}")
        CurriculumSlot.objects.create(group_type=group_type, module=module, position=0)
        series = make_series({**setup, "group_type": group_type}, name=f"Skills series {n}", weekday=n)
        member(series, setup["patient"], joined_on=dt.date(2026, 11, 4))
    client.force_login(setup["clinician"])
    client.get(patient_url(setup["patient"]))
    # Session and user; the patient; the week's sessions; the memberships; the series open to
    # join; the rotations and the modules covered (one query each, whatever the group types); audit.
    with django_assert_num_queries(9):
        response = client.get(patient_url(setup["patient"]))
    assert response.text.count("0 of 1 modules covered") == count


def test_a_refused_join_is_a_400_naming_the_problem(client, setup):
    series = make_series(setup)
    member(series, setup["patient"], joined_on=dt.date(2026, 11, 4))
    client.force_login(setup["clinician"])
    response = client.post(patient_url(setup["patient"], "join"), {"join-series": series.pk, "join-on": "2026-11-20"})
    assert response.status_code == 400 and "First day in the group: Choose today or a later date." in response.text
    assert 'value="2026-11-20"' in response.text
    response = client.post(patient_url(setup["patient"], "join"), {"join-series": series.pk, "join-on": "2026-12-01"})
    assert response.status_code == 400 and "is already in Evening process group" in response.text


def test_a_leave_without_a_reason_is_a_400(client, setup):
    series = make_series(setup)
    membership = member(series, setup["patient"], joined_on=dt.date(2026, 11, 4))
    client.force_login(setup["clinician"])
    response = client.post(patient_url(setup["patient"], "leave"), {
        "membership": membership.pk, f"leave-{membership.pk}-on": "2026-12-01", f"leave-{membership.pk}-reason": ""})
    assert response.status_code == 400 and "Give a reason for leaving the series." in response.text


@pytest.mark.parametrize("action", ["", "join", "leave", "fit"])
def test_the_outsider_gets_404_for_every_patient_schedule_url(client, setup, outsider, action):
    client.force_login(outsider)
    assert client.get(patient_url(setup["patient"], action)).status_code == 404
    assert client.post(patient_url(setup["patient"], action), {}).status_code == 404
    if action != "fit":   # "fit" is refused by role (clinicians do not run the solver) before the patient is looked up
        assert AuditEvent.objects.filter(user=outsider, patient=setup["patient"], action=Action.DENIED).exists()


SCHEDULE_URLS = ["clinic:schedule_week", "clinic:schedule_day", "clinic:schedule_today", "clinic:schedule_book",
                 "clinic:schedule_series", "clinic:schedule_dose", "clinic:schedule_solve"]


@pytest.mark.parametrize("persona_name", ["biller", "privacy_officer", "admin_user", "patient_user", "family_user"])
def test_roles_without_a_calendar_get_404(client, setup, persona, persona_name):
    session = one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    client.force_login(persona(persona_name))
    urls = [reverse(name) for name in SCHEDULE_URLS] + [session_url(session), patient_url(setup["patient"])]
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 404)


# Group series and weekly hours -----------------------------------------------------------------------------


def test_the_series_list_names_visible_members_and_counts_the_others(client, setup, outsider, director):
    series = make_series(setup)
    member(series, setup["patient"], joined_on=dt.date(2026, 11, 4))
    client.force_login(director)
    assert "Ave Quinlan" in client.get(reverse("clinic:schedule_series")).text
    client.force_login(outsider)
    response = client.get(reverse("clinic:schedule_series"))
    assert "1 other patient" in response.text and "Quinlan" not in response.text


def test_a_patient_joins_a_series_from_the_series_page(client, setup, front_desk):
    series = make_series(setup)
    coming = series_session(series, WEDNESDAY)
    member(series, setup["patient"], joined_on=dt.date(2026, 11, 4))
    client.force_login(front_desk)
    page = client.get(reverse("clinic:schedule_series"), {"program": setup["sud"].pk})
    add_form = page.text[page.text.index("Add a patient"):]
    assert "Okafor, Dana" in add_form and "Quinlan, Ave" not in add_form     # members are not offered again
    url = reverse("clinic:schedule_series_join")
    response = client.post(url, {"series": series.pk, f"series-{series.pk}-patient": setup["second"].pk,
                                 f"series-{series.pk}-on": "2026-11-02"})
    assert response.status_code == 400 and "First day in the group: Choose today or a later date." in response.text
    response = client.post(url, {"series": series.pk, f"series-{series.pk}-patient": setup["second"].pk,
                                 f"series-{series.pk}-on": "2026-12-01"})
    assert response.status_code == 302
    assert Attendee.objects.filter(session=coming, patient=setup["second"]).exists()


def test_the_series_page_adds_nobody_for_roles_that_cannot_book(client, setup, intake):
    series = make_series(setup)
    client.force_login(intake)
    assert "Add a patient" not in client.get(reverse("clinic:schedule_series"), {"program": setup["sud"].pk}).text
    response = client.post(reverse("clinic:schedule_series_join"), {"series": series.pk})
    assert response.status_code == 404


def _signed_mix(patient, lines):
    """A signed treatment plan version with this service mix (written directly: only the mix matters here)."""
    plan = Plan.objects.get(patient=patient, kind=PlanKind.TREATMENT)
    version = PlanVersion.objects.create(plan=plan, patient=patient, number=99)
    for service, sessions, minutes, every in lines:
        ServiceLine.objects.create(version=version, service=service, sessions=sessions, minutes=minutes,
                                   every_weeks=every)
    PlanVersion.objects.filter(pk=version.pk).update(status=VersionStatus.SIGNED)


def test_weekly_hours_flag_patients_under_the_band_first(client, setup, director):
    series = make_series(setup)
    for day in (dt.date(2026, 11, 30), WEDNESDAY, dt.date(2026, 12, 4)):
        series_session(make_series(setup, weekday=day.weekday(), name=f"G{day.day}") if day != WEDNESDAY else series,
                       day, patients=[setup["second"]])
    one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    drug_screen = one_to_one(setup, at(WEDNESDAY, 9, 30), kind=SessionKind.DRUG_SCREEN, minutes=15)
    seat(drug_screen, setup["patient"])
    _signed_mix(setup["second"], [("group", 3, 180, 1), ("individual", 1, 60, 1)])
    episode = setup["patient"].episodes.get()
    episode.planned_weekly_hours = 10
    episode.save()
    client.force_login(director)
    response = client.get(reverse("clinic:schedule_dose"), {"week": "2026-12-02"})
    assert response.status_code == 200
    text = response.text
    under = text[text.index("Under the program"):text.index("</section>", text.index("Under the program"))]
    assert "Ave Quinlan</a>: 1.0 hours scheduled" in under and "Okafor" not in under
    assert "9.0 h" in text and "10.0 h" in text and "(planned hours)" in text and "(treatment plan)" in text
    assert "Attended hours arrive with documentation" in text


@pytest.mark.parametrize("count", [1, 8])
def test_weekly_hours_cost_the_same_queries_for_one_or_many(client, setup, director, count, django_assert_num_queries):
    patients = many_patients(setup, count)
    for n, patient in enumerate(patients):
        one_to_one(setup, at(dt.date(2026, 12, 3), 9 + n), patient=patient)
    client.force_login(director)
    client.get(reverse("clinic:schedule_dose"))
    with django_assert_num_queries(7):
        response = client.get(reverse("clinic:schedule_dose"))
    assert response.text.count("Manyrows") == 2 * count    # under the band: at the top and in the table


# The solver's page ----------------------------------------------------------------------------------------


@pytest.fixture
def fake_solver(monkeypatch):
    """start_solve, run at once with a made-up result (the real one is tested with the solver glue).
    Patched on the real tasks module when it exists, else on a stand-in module."""
    calls = []

    def start_solve(organization, week_start, *, by, repair_patients=None):
        repair_patients = repair_patients or []
        run = SolveRun.objects.create(organization=organization, week_start=week_start, requested_by=by,
                                      repair=bool(repair_patients), status="done", progress=100,
                                      result={"patients": 2, "meeting_plan": 1, "seconds": 1.25, "sessions_created": 3,
                                              "unmet": {"NOPE": "x", **{p.mrn: ["Free only on Fridays"]
                                                                         for p in repair_patients}}})
        run.patients.set(repair_patients)
        calls.append((organization, week_start, by, list(repair_patients)))
        return run

    try:
        from openiop.scheduling import tasks
    except ImportError:
        tasks = types.ModuleType("openiop.scheduling.tasks")
        monkeypatch.setitem(sys.modules, "openiop.scheduling.tasks", tasks)
        import openiop.scheduling

        monkeypatch.setattr(openiop.scheduling, "tasks", tasks, raising=False)
    monkeypatch.setattr(tasks, "start_solve", start_solve, raising=False)
    return calls


def test_build_the_week_starts_a_run_and_shows_its_result(client, setup, director, fake_solver):
    client.force_login(director)
    assert client.get(reverse("clinic:schedule_solve")).status_code == 200
    response = client.post(reverse("clinic:schedule_solve"), {"week": "2026-12-09"})
    run = SolveRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("clinic:schedule_solve_run",
                                                                           kwargs={"run_id": run.pk})
    assert fake_solver == [(setup["organization"], dt.date(2026, 12, 7), director, [])]
    page = client.get(response["Location"])
    assert "Meeting their plan" in page.text and "1.3 seconds" in page.text and "A patient you cannot see" in page.text
    assert "Sessions added</dt><dd>3" in page.text


def test_build_the_week_runs_the_real_solver(client, setup, director):
    pytest.importorskip("openiop.scheduling.tasks")
    make_series(setup, weekday=2)
    client.force_login(director)
    response = client.post(reverse("clinic:schedule_solve"), {"week": "2026-12-07"})
    assert response.status_code == 302
    run = SolveRun.objects.get()
    assert (run.status, run.repair, run.week_start) == ("done", False, dt.date(2026, 12, 7)), run.error
    page = client.get(response["Location"])
    assert "Finished" in page.text and "Meeting their plan" in page.text


def test_fit_into_this_week_repairs_one_patient(client, setup, front_desk, fake_solver):
    client.force_login(front_desk)
    response = client.post(patient_url(setup["patient"], "fit"), {"week": "2026-12-02"})
    assert fake_solver == [(setup["organization"], WEEK, front_desk, [setup["patient"]])]
    page = client.get(response["Location"])
    assert "Ave Quinlan" in page.text and "Free only on Fridays" in page.text
    assert AuditEvent.objects.filter(patient=setup["patient"], action=Action.LIST, detail__list="solver result").exists()


def test_a_running_run_polls_every_two_seconds_and_falls_back_to_a_refresh(client, setup, director):
    run = SolveRun.objects.create(organization=setup["organization"], week_start=WEEK, status="running", progress=40,
                                  stage="Placing group blocks")
    client.force_login(director)
    url = reverse("clinic:schedule_solve_run", kwargs={"run_id": run.pk})
    page = client.get(url)
    assert 'hx-trigger="every 2s"' in page.text and 'http-equiv="refresh"' in page.text and "40%" in page.text
    partial = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and "Placing group blocks" in partial.text
    run.status, run.result = "done", {"unmet": [], "patients": "many"}     # malformed: rendered defensively
    run.save()
    done = client.get(url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.text and "Every patient's plan fits this week." in done.text


def test_a_week_that_is_over_is_not_built(client, setup, director, fake_solver):
    client.force_login(director)
    response = client.post(reverse("clinic:schedule_solve"), {"week": "2026-11-20"})
    assert response.status_code == 400 and "Week starting: The week of 16 November 2026 is over" in response.text
    assert 'value="2026-11-20"' in response.text and fake_solver == []


def test_building_the_week_without_a_week_is_a_400_naming_the_field(client, setup, director, fake_solver):
    client.force_login(director)
    response = client.post(reverse("clinic:schedule_solve"), {})
    assert response.status_code == 400 and "Week starting" in response.text and "required" in response.text
    assert fake_solver == [] and not SolveRun.objects.exists()


def test_clinicians_do_not_run_the_solver(client, setup):
    run = SolveRun.objects.create(organization=setup["organization"], week_start=WEEK)
    client.force_login(setup["clinician"])
    assert client.get(reverse("clinic:schedule_solve")).status_code == 404
    assert client.get(reverse("clinic:schedule_solve_run", kwargs={"run_id": run.pk})).status_code == 404
    assert client.post(patient_url(setup["patient"], "fit")).status_code == 404
