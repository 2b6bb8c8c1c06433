"""Minutes and weekly hours are exact: across midnight, across both daylight-saving changes
(America/New_York), and for partial attendance. Billing bills from these integers."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from openiop.attendance import queries, rules
from openiop.scheduling.rules import local_moment
from tests.attendance.helpers import local, record, session_at

pytestmark = pytest.mark.django_db

FALL_BACK = dt.date(2026, 11, 1)       # 02:00 EDT becomes 01:00 EST
SPRING_FORWARD = dt.date(2027, 3, 14)  # 02:00 EST becomes 03:00 EDT
WEEK_OF_FALL_BACK = dt.date(2026, 10, 26)


@pytest.fixture
def later():
    with time_machine.travel(dt.datetime(2027, 3, 20, 12, tzinfo=dt.UTC), tick=False):
        yield


def test_a_session_across_midnight_counts_its_real_minutes(later, clinic, clinician, patient_record):
    day = dt.date(2026, 12, 4)
    _, (row,) = session_at(clinic["sud"], clinician, local(day, 22, 30), local(day + dt.timedelta(days=1), 0, 30),
                           patients=[patient_record])
    assert record(clinician, row, "present").minutes == 120
    late = record(clinician, row, "late", checked_in_at=local(day, 23, 50),
                  checked_out_at=local(day + dt.timedelta(days=1), 0, 10))
    assert late.minutes == 20


def test_the_night_the_clocks_go_back_has_an_extra_hour(later, clinic, clinician, patient_record):
    # 00:30 to 03:30 on the clock is four real hours that night.
    session, (row,) = session_at(clinic["sud"], clinician, local(FALL_BACK, 0, 30), local(FALL_BACK, 3, 30),
                                 patients=[patient_record])
    session.refresh_from_db()        # Session.minutes is right on UTC values, as stored
    assert session.minutes == 240 == rules.whole_minutes(local(FALL_BACK, 0, 30), local(FALL_BACK, 3, 30))
    assert record(clinician, row, "present").minutes == 240
    # Leaving at the second 01:30 (after the change) is 120 real minutes after 00:30.
    second = local(FALL_BACK, 1, 30, fold=1)
    assert record(clinician, row, "left_early", checked_out_at=second).minutes == 120
    first = local(FALL_BACK, 1, 30)
    assert record(clinician, row, "left_early", checked_out_at=first).minutes == 60


def test_the_night_the_clocks_go_forward_loses_an_hour(later, clinic, clinician, patient_record):
    _, (row,) = session_at(clinic["sud"], clinician, local(SPRING_FORWARD, 0, 30), local(SPRING_FORWARD, 3, 30),
                           patients=[patient_record])
    assert record(clinician, row, "present").minutes == 120
    assert record(clinician, row, "late", checked_in_at=local(SPRING_FORWARD, 1, 45)).minutes == 45


def test_weekly_hours_across_the_fall_back_week_are_exact_integers(later, clinic, clinician, patient_record,
                                                                  director):
    monday, sunday = WEEK_OF_FALL_BACK, FALL_BACK
    _, (partial,) = session_at(clinic["sud"], clinician, local(monday, 18), local(monday, 21),
                               patients=[patient_record])
    _, (night,) = session_at(clinic["sud"], clinician, local(sunday, 0, 30), local(sunday, 3, 30),
                             patients=[patient_record])
    _, (late_sunday,) = session_at(clinic["sud"], clinician, local(sunday, 22, 30), local(dt.date(2026, 11, 2), 0, 30),
                                   patients=[patient_record])
    _, (next_week,) = session_at(clinic["sud"], clinician, local(dt.date(2026, 11, 2), 0, 10),
                                 local(dt.date(2026, 11, 2), 1, 10), patients=[patient_record])
    _, (missed,) = session_at(clinic["sud"], clinician, local(dt.date(2026, 10, 28), 18), local(dt.date(2026, 10, 28), 21),
                              patients=[patient_record])
    record(clinician, partial, "late", checked_in_at=local(monday, 18, 17), checked_out_at=local(monday, 20, 35))
    record(clinician, night, "present")
    record(clinician, late_sunday, "present")
    record(clinician, next_week, "present")
    record(clinician, missed, "absent_excused", absence_reason="Ill")
    expected = (180 - 17 - 25) + 240 + 120
    (row,) = queries.weekly_attended(director, monday)
    assert row.attended_minutes == expected == 498
    assert isinstance(row.attended_minutes, int)
    assert row.scheduled_minutes == 180 + 240 + 120 + 180
    assert row.attended_hours == Decimal("8.30")
    assert row.sessions_attended == 3 and row.absences == 1
    assert row.below_band                        # the program's band starts at 9 hours
    episode = patient_record.episodes.get()
    assert queries.attended_minutes(episode, monday, sunday) == 498
    assert queries.attended_minutes(episode, monday, dt.date(2026, 11, 2)) == 498 + 60


def test_hours_are_read_from_minutes_without_drift():
    assert rules.hours(498) == Decimal("8.30")
    assert rules.hours(1) == Decimal("0.02")
    assert sum(rules.hours(20) for _ in range(3)) != rules.hours(60) or rules.hours(60) == Decimal("1.00")


@given(
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31)),
    length=st.integers(min_value=1, max_value=600),
    arrive=st.integers(min_value=-180, max_value=780),
    stay=st.integers(min_value=0, max_value=900),
)
def test_overlap_minutes_equal_utc_arithmetic(start, length, arrive, stay):
    starts_at = local_moment(start.date(), start.time().replace(second=0, microsecond=0))
    ends_at = rules.utc(starts_at) + dt.timedelta(minutes=length)
    checked_in = rules.utc(starts_at) + dt.timedelta(minutes=arrive)
    checked_out = checked_in + dt.timedelta(minutes=stay)
    expected = max(0, min(length, arrive + stay) - max(0, arrive))
    assert rules.overlap_minutes(checked_in, checked_out, starts_at, ends_at.astimezone(starts_at.tzinfo)) == expected


def test_a_typed_time_lands_on_the_right_day_and_side_of_the_change(settings):
    midnight_start, midnight_end = local(dt.date(2026, 12, 4), 22, 30), local(dt.date(2026, 12, 5), 0, 30)
    assert rules.moment_near(dt.time(0, 15), midnight_start, midnight_end) == local(dt.date(2026, 12, 5), 0, 15)
    assert rules.moment_near(dt.time(22, 45), midnight_start, midnight_end) == local(dt.date(2026, 12, 4), 22, 45)
    night_start, night_end = local(FALL_BACK, 0, 30), local(FALL_BACK, 3, 30)
    typed = rules.moment_near(dt.time(1, 30), night_start, night_end)
    assert rules.whole_minutes(night_start, typed) == 60         # the first 01:30
    assert rules.whole_minutes(rules.moment_near(dt.time(3, 0), night_start, night_end), night_end) == 30
