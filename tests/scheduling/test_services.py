"""Hand edits of the calendar: booking, moving and cancelling sessions, adding and removing
patients, and rolling admission into group series. Each edit is checked for conflicts and saves
nothing when refused; past sessions and other patients' rows are never touched."""

import datetime as dt

import pytest

from openiop.audit.models import Action, AuditEvent
from openiop.scheduling import services
from openiop.scheduling.conflicts import ScheduleConflict
from openiop.scheduling.models import (
    Attendee,
    PatientAvailability,
    SeriesMembership,
    Session,
    SessionKind,
    SessionSource,
    SessionStatus,
)
from openiop.scheduling.rules import local_moment
from tests.scheduling.screens_clinic import (
    TODAY,
    WEDNESDAY,
    at,
    build_setup,
    frozen,
    make_series,
    member,
    one_to_one,
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


def book(setup, *, starts_at=None, patients=None, kind=SessionKind.INDIVIDUAL, room="office", **extra):
    return services.book_session(
        program=setup["sud"], kind=kind, starts_at=starts_at or at(WEDNESDAY, 12), minutes=extra.pop("minutes", 60),
        staff=extra.pop("staff", [setup["clinician"]]), patients=patients if patients is not None else [setup["patient"]],
        room=setup[room] if isinstance(room, str) else room, by=setup["clinician"], **extra)


def roster(session) -> list[int]:
    return sorted(Attendee.objects.filter(session=session).values_list("patient_id", flat=True))


# Booking, moving, cancelling -------------------------------------------------------------------------


def test_booking_places_a_fixed_hand_session_with_a_labelled_roster_row(setup):
    session = book(setup)
    assert (session.source, session.fixed, session.status) == (SessionSource.HAND, True, SessionStatus.SCHEDULED)
    assert session.minutes == 60 and list(session.staff.all()) == [setup["clinician"]]
    row = Attendee.objects.get(session=session)
    assert row.patient == setup["patient"] and row.is_part2   # the substance-use program is a Part 2 program
    event = AuditEvent.objects.get(patient=setup["patient"], action=Action.CREATE, object_type="scheduling.session")
    assert event.detail["scheduling"] == "booked"


def test_a_refused_booking_saves_nothing_and_names_every_conflict(setup):
    one_to_one(setup, at(WEDNESDAY, 12), patient=setup["second"])
    before = Session.objects.count()
    with pytest.raises(ScheduleConflict) as refused:
        book(setup)
    messages = refused.value.messages
    assert any("is already booked then" in m and setup["clinician"].display_name in m for m in messages)
    assert any(m.startswith("Office 1 is already booked") for m in messages)
    assert Session.objects.count() == before
    assert not AuditEvent.objects.filter(patient=setup["patient"], object_type="scheduling.session").exists()


def test_it_refuses_a_patient_not_admitted_to_the_program(setup, other_patient_user):
    with pytest.raises(ScheduleConflict, match="Blake Osei is not admitted to Adult substance-use IOP"):
        book(setup, patients=[other_patient_user.patient])


def test_it_refuses_a_time_that_has_passed_and_a_session_without_room_or_staff(setup):
    with pytest.raises(ScheduleConflict) as refused:
        book(setup, starts_at=at(TODAY, 8), room=None, staff=[])
    assert refused.value.messages == [
        "The start time has passed; choose a later time.", "Choose at least one staff member.",
        "Choose a room, or mark the session as telehealth."]


def test_a_telehealth_session_needs_no_room(setup):
    session = book(setup, room=None, telehealth=True, video_link="https://video.example.org/r/1")
    assert session.room is None and session.telehealth and session.video_link


def test_outside_the_patients_free_times_it_books_only_when_the_patient_agreed(setup):
    PatientAvailability.objects.create(patient=setup["patient"], windows=[{"day": 2, "start": "17:00", "end": "21:30"}])
    with pytest.raises(ScheduleConflict) as refused:
        book(setup)
    assert refused.value.needs_agreement
    session = book(setup, patient_agreed=True)
    event = AuditEvent.objects.get(patient=setup["patient"], action=Action.CREATE, object_type="scheduling.session")
    warning = f"{setup['patient'].display_name} said they are not free then (Wednesday: 17:00–21:30)."
    assert event.detail["patient_agreed"] == [warning]
    assert session.pk


def test_moving_changes_time_room_and_staff_and_fixes_the_session(setup):
    session = one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    session.fixed = False
    session.save()
    services.move_session(session, starts_at=at(WEDNESDAY, 14), minutes=45, room=setup["group_room"],
                          staff=[setup["clinician"]], by=setup["clinician"])
    session.refresh_from_db()
    assert (session.starts_at, session.minutes, session.room, session.fixed) == (
        at(WEDNESDAY, 14), 45, setup["group_room"], True)
    assert roster(session) == [setup["patient"].pk]
    event = AuditEvent.objects.get(patient=setup["patient"], action=Action.CHANGE)
    assert event.detail["scheduling"] == "moved" and event.detail["to"]["minutes"] == 45


def test_a_refused_move_leaves_the_session_where_it_was(setup):
    session = one_to_one(setup, at(WEDNESDAY, 12), patient=setup["patient"])
    one_to_one(setup, at(WEDNESDAY, 15), patient=setup["second"], room=setup["group_room"])
    with pytest.raises(ScheduleConflict, match="is already booked then: Individual therapy, Wed 2 Dec 15:00"):
        services.move_session(session, starts_at=at(WEDNESDAY, 15), minutes=60, room=setup["office"],
                              staff=[setup["clinician"]], by=setup["clinician"])
    session.refresh_from_db()
    assert session.starts_at == at(WEDNESDAY, 12)


def test_a_session_that_has_started_is_not_moved_cancelled_or_changed(setup):
    started = one_to_one(setup, at(TODAY, 8, 30), patient=setup["patient"])
    with pytest.raises(ScheduleConflict, match="already started; it can no longer be moved"):
        services.move_session(started, starts_at=at(WEDNESDAY, 12), minutes=60, room=setup["office"],
                              staff=[setup["clinician"]], by=setup["clinician"])
    with pytest.raises(ScheduleConflict, match="already started; it can no longer be cancelled"):
        services.cancel_session(started, reason="Snow", by=setup["clinician"])
    with pytest.raises(ScheduleConflict, match="already started"):
        services.remove_attendee(started, setup["patient"], by=setup["clinician"])
    assert roster(started) == [setup["patient"].pk]


def test_cancelling_keeps_the_session_and_its_roster_with_the_reason(setup):
    session = book(setup)
    with pytest.raises(ScheduleConflict, match="Give a reason"):
        services.cancel_session(session, reason="  ", by=setup["clinician"])
    services.cancel_session(session, reason="Facilitator ill", by=setup["clinician"])
    session = Session.objects.get(pk=session.pk)
    assert session.is_cancelled and session.cancel_reason == "Facilitator ill"
    assert roster(session) == [setup["patient"].pk]
    assert AuditEvent.objects.filter(patient=setup["patient"], action=Action.CHANGE,
                                     detail__scheduling="cancelled").exists()
    # The slot is free again.
    assert book(setup).pk != session.pk


# Adding and removing patients ------------------------------------------------------------------------


def test_adding_a_patient_to_a_group_links_their_membership(setup):
    series = make_series(setup)
    membership = member(series, setup["second"], joined_on=TODAY)
    session = series_session(series, WEDNESDAY, patients=[setup["patient"]])
    row = services.add_attendee(session, setup["second"], by=setup["clinician"])
    assert row.membership == membership and row.is_part2
    assert roster(session) == sorted([setup["patient"].pk, setup["second"].pk])
    with pytest.raises(ScheduleConflict, match="already on this session"):
        services.add_attendee(session, setup["second"], by=setup["clinician"])


def test_adding_a_patient_to_a_full_group_is_refused(setup):
    setup["group_type"].max_size = 1
    setup["group_type"].save()
    session = series_session(make_series(setup), WEDNESDAY, patients=[setup["patient"]])
    with pytest.raises(ScheduleConflict, match="Process group groups take at most 1 patients; this one would have 2"):
        services.add_attendee(session, setup["second"], by=setup["clinician"])
    assert roster(session) == [setup["patient"].pk]


def test_a_one_to_one_session_takes_one_patient(setup):
    session = book(setup)
    with pytest.raises(ScheduleConflict, match="one patient"):
        services.add_attendee(session, setup["second"], by=setup["clinician"])


def test_removing_a_patient_deletes_only_their_future_row(setup):
    session = series_session(make_series(setup), WEDNESDAY, patients=[setup["patient"], setup["second"]])
    services.remove_attendee(session, setup["second"], by=setup["clinician"], reason="Court date")
    assert roster(session) == [setup["patient"].pk]
    event = AuditEvent.objects.get(patient=setup["second"], action=Action.CHANGE)
    assert event.detail["reason"] == "Court date"
    with pytest.raises(ScheduleConflict, match="is not on this session"):
        services.remove_attendee(session, setup["second"], by=setup["clinician"])


# Rolling admission ---------------------------------------------------------------------------------


@pytest.fixture
def running_series(setup):
    """The Wednesday group since November: Avery a member since 4 November, one past session
    (25 November) and two coming ones (2 and 9 December) on the calendar."""
    series = make_series(setup)
    avery = member(series, setup["patient"], joined_on=dt.date(2026, 11, 4))
    past = series_session(series, dt.date(2026, 11, 25), module=setup["modules"][0], patients=[setup["patient"]],
                          membership_for={setup["patient"].pk: avery})
    coming = [series_session(series, day, patients=[setup["patient"]], membership_for={setup["patient"].pk: avery})
              for day in (WEDNESDAY, dt.date(2026, 12, 9))]
    return {"series": series, "avery": avery, "past": past, "coming": coming}


def _rows():
    return sorted(Attendee.objects.values_list("pk", "session_id", "patient_id", "membership_id"))


def test_joining_mid_series_adds_only_the_new_patient_to_coming_sessions(setup, running_series):
    before = _rows()
    membership = services.join_series(setup["second"], running_series["series"], on=TODAY, by=setup["clinician"])
    assert (membership.joined_on, membership.added_by, membership.is_part2) == (TODAY, setup["clinician"], True)
    after = _rows()
    # Every row that was there is there unchanged (other members, the past session).
    assert set(before) <= set(after)
    added = [row for row in after if row not in before]
    assert sorted(session_id for _, session_id, _, _ in added) == [s.pk for s in running_series["coming"]]
    assert all(patient_id == setup["second"].pk and m == membership.pk for _, _, patient_id, m in added)
    assert roster(running_series["past"]) == [setup["patient"].pk]
    assert AuditEvent.objects.filter(patient=setup["second"], action=Action.CREATE,
                                     object_type="scheduling.seriesmembership").count() == 1


def test_joining_on_a_meeting_day_makes_that_days_session_first(setup):
    tuesday = make_series(setup, weekday=1, name="Tuesday skills")
    membership = services.join_series(setup["patient"], tuesday, on=TODAY, by=setup["clinician"])
    session = Session.objects.get(series=tuesday)
    assert session.starts_at == local_moment(TODAY, dt.time(18))
    assert roster(session) == [setup["patient"].pk]
    assert Attendee.objects.get(session=session).membership == membership


def test_joining_on_a_day_whose_session_was_moved_makes_no_second_session(setup):
    tuesday = make_series(setup, weekday=1, name="Tuesday skills")
    moved = series_session(tuesday, TODAY)
    services.move_session(moved, starts_at=at(TODAY, 17), minutes=180, room=setup["group_room"],
                          staff=[setup["clinician"]], by=setup["clinician"])
    services.join_series(setup["patient"], tuesday, on=TODAY, by=setup["clinician"])
    assert list(Session.objects.filter(series=tuesday)) == [moved]
    assert roster(moved) == [setup["patient"].pk]


def test_a_series_session_is_not_moved_onto_another_of_the_same_series(setup):
    series = make_series(setup)
    cancelled = series_session(series, WEDNESDAY)
    cancelled.status = SessionStatus.CANCELLED
    cancelled.save()
    other = series_session(series, dt.date(2026, 12, 9))
    with pytest.raises(ScheduleConflict, match="Another session of this series"):
        services.move_session(other, starts_at=cancelled.starts_at, minutes=180, room=setup["group_room"],
                              staff=[setup["clinician"]], by=setup["clinician"])


def test_joining_is_refused_for_a_past_date_twice_or_a_full_group(setup, running_series):
    series = running_series["series"]
    with pytest.raises(ScheduleConflict, match="today or a later date"):
        services.join_series(setup["second"], series, on=dt.date(2026, 11, 30), by=setup["clinician"])
    with pytest.raises(ScheduleConflict, match="already in Evening process group"):
        services.join_series(setup["patient"], series, on=TODAY, by=setup["clinician"])
    setup["group_type"].max_size = 1
    setup["group_type"].save()
    with pytest.raises(ScheduleConflict) as refused:
        services.join_series(setup["second"], series, on=TODAY, by=setup["clinician"])
    assert refused.value.messages[0] == ("Wed 2 Dec 18:00–21:00: Process group groups take at most 1 patients; "
                                         "this one would have 2.")
    assert not SeriesMembership.objects.filter(patient=setup["second"]).exists()


def test_joining_outside_the_patients_free_times_needs_their_agreement(setup):
    series = make_series(setup)
    PatientAvailability.objects.create(patient=setup["second"], windows=[{"day": 0, "start": "17:00", "end": "21:30"}])
    with pytest.raises(ScheduleConflict) as refused:
        services.join_series(setup["second"], series, on=TODAY, by=setup["clinician"])
    assert refused.value.needs_agreement and "said they are not free then" in refused.value.messages[0]
    assert services.join_series(setup["second"], series, on=TODAY, by=setup["clinician"], patient_agreed=True)


def test_leaving_removes_only_coming_rows_after_the_last_day(setup, running_series):
    second = services.join_series(setup["second"], running_series["series"], on=TODAY, by=setup["clinician"])
    past_before = roster(running_series["past"])
    services.leave_series(running_series["avery"], on=WEDNESDAY, reason="Stepped down to outpatient",
                          by=setup["clinician"])
    first, later = running_series["coming"]
    assert roster(first) == sorted([setup["patient"].pk, setup["second"].pk])   # the last day is kept
    assert roster(later) == [setup["second"].pk]                                  # only Avery's row went
    assert roster(running_series["past"]) == past_before                        # the past is never touched
    membership = SeriesMembership.objects.get(pk=running_series["avery"].pk)
    assert (membership.left_on, membership.left_reason) == (WEDNESDAY, "Stepped down to outpatient")
    assert SeriesMembership.objects.get(pk=second.pk).left_on is None
    event = AuditEvent.objects.get(patient=setup["patient"], action=Action.CHANGE, object_type="scheduling.seriesmembership")
    assert event.detail["removed_from_sessions"] == [later.pk]


def test_leaving_on_a_past_day_keeps_the_past_rows(setup, running_series):
    services.leave_series(running_series["avery"], on=dt.date(2026, 11, 20), reason="Moved away", by=setup["clinician"])
    assert roster(running_series["past"]) == [setup["patient"].pk]
    assert all(roster(s) == [] for s in running_series["coming"])


def test_leaving_needs_a_reason_and_happens_once(setup, running_series):
    with pytest.raises(ScheduleConflict, match="Give a reason"):
        services.leave_series(running_series["avery"], on=TODAY, reason="", by=setup["clinician"])
    with pytest.raises(ScheduleConflict, match="joined on 2026-11-04; choose that day or later"):
        services.leave_series(running_series["avery"], on=dt.date(2026, 11, 1), reason="x", by=setup["clinician"])
    services.leave_series(running_series["avery"], on=TODAY, reason="Discharged", by=setup["clinician"])
    with pytest.raises(ScheduleConflict, match="already left"):
        services.leave_series(running_series["avery"], on=TODAY, reason="Again", by=setup["clinician"])


def test_a_started_series_session_keeps_its_roster_when_a_patient_leaves(setup):
    series = make_series(setup, weekday=1, start=dt.time(8), name="Morning group")
    avery = member(series, setup["patient"], joined_on=dt.date(2026, 11, 3))
    started = series_session(series, TODAY, patients=[setup["patient"]], membership_for={setup["patient"].pk: avery})
    seat_check = roster(started)
    services.leave_series(avery, on=dt.date(2026, 11, 24), reason="Moved away", by=setup["clinician"])
    assert roster(started) == seat_check



def test_a_session_across_the_autumn_clock_change_lasts_its_real_minutes():
    """On 1 November 2026 clocks in New York go back at 02:00: 00:30 plus 180 real minutes is
    02:30 local (the second one), and the session's length is 180 minutes either way round."""
    from openiop.scheduling.models import Session
    from openiop.scheduling.rules import local_moment, plus_minutes

    starts_at = local_moment(dt.date(2026, 11, 1), dt.time(0, 30))
    ends_at = plus_minutes(starts_at, 180)
    assert (ends_at.hour, ends_at.minute) == (2, 30)
    assert Session(starts_at=starts_at, ends_at=ends_at).minutes == 180
    assert Session(starts_at=starts_at, ends_at=local_moment(dt.date(2026, 11, 1), dt.time(3, 30))).minutes == 240


def _excused_ahead(setup, session, patient):
    from openiop.attendance import services as attendance

    row = session.attendees.get(patient=patient)
    return attendance.record_attendance(actor=setup["clinician"], attendee=row, status="absent_excused",
                                        absence_reason="Court date, called ahead")


def test_a_patient_whose_absence_is_recorded_ahead_is_not_taken_off_the_session(setup, running_series):
    later = running_series["coming"][1]
    _excused_ahead(setup, later, setup["patient"])
    with pytest.raises(ScheduleConflict, match="attendance is already recorded for this session"):
        services.remove_attendee(later, setup["patient"], by=setup["clinician"])
    assert roster(later) == [setup["patient"].pk]


def test_leaving_keeps_a_coming_row_that_has_an_absence_recorded_ahead(setup, running_series):
    later = running_series["coming"][1]
    _excused_ahead(setup, later, setup["patient"])
    services.leave_series(running_series["avery"], on=WEDNESDAY, reason="Stepped down", by=setup["clinician"])
    assert roster(later) == [setup["patient"].pk]
