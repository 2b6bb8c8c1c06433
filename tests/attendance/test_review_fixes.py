"""Regressions found in review: the roster's prefilled times on the night the clocks go back,
and a week far outside the calendar on the attended-hours page."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from openiop.attendance import services
from openiop.attendance.models import Attendance
from tests.attendance.helpers import local, session_at

pytestmark = pytest.mark.django_db

FALL_BACK = dt.date(2026, 11, 1)       # 02:00 EDT becomes 01:00 EST


@pytest.fixture
def later():
    with time_machine.travel(dt.datetime(2026, 12, 1, 14, tzinfo=dt.UTC), tick=False):
        yield


def test_it_counts_the_whole_session_when_the_prefilled_times_are_saved_the_night_the_clocks_go_back(
        later, client, clinic, clinician, patient_record):
    # 00:30 EDT to 01:30 EST: the clock reads 01:30 twice, and the session ends at the second.
    session, (row,) = session_at(clinic["sud"], clinician, local(FALL_BACK, 0, 30),
                                 local(FALL_BACK, 1, 30, fold=1), patients=[patient_record])
    client.force_login(clinician)
    url = reverse("clinic:session_attendance", kwargs={"session_id": session.pk})
    page = client.get(url).content.decode()
    assert 'value="00:30"' in page and 'value="01:30"' in page
    response = client.post(url, {f"a{row.pk}-status": "present", f"a{row.pk}-checked_in_at": "00:30",
                                 f"a{row.pk}-checked_out_at": "01:30"})
    assert response.status_code == 302
    assert Attendance.objects.get(attendee=row).minutes == 120


def test_it_keeps_a_stored_second_occurrence_when_the_roster_is_saved_again_unchanged(
        later, client, clinic, clinician, patient_record):
    session, (row,) = session_at(clinic["sud"], clinician, local(FALL_BACK, 0, 30), local(FALL_BACK, 3, 30),
                                 patients=[patient_record])
    services.record_attendance(actor=clinician, attendee=row, status="left_early",
                               checked_out_at=local(FALL_BACK, 1, 30, fold=1))
    client.force_login(clinician)
    url = reverse("clinic:session_attendance", kwargs={"session_id": session.pk})
    response = client.post(url, {f"a{row.pk}-status": "left_early", f"a{row.pk}-checked_in_at": "00:30",
                                 f"a{row.pk}-checked_out_at": "01:30", f"a{row.pk}-absence_reason": ""})
    assert response.status_code == 302
    assert Attendance.objects.get(attendee=row).minutes == 120


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "1000-01-01"])
def test_it_shows_the_default_week_for_a_week_outside_the_calendar(week, client, clinician):
    client.force_login(clinician)
    response = client.get(reverse("clinic:attended_hours"), {"week": week})
    assert response.status_code == 200
