"""Discharge ends the patient's schedule after the discharge day, and only theirs."""

import datetime as dt

import pytest

from openiop.care import services as care
from openiop.scheduling.models import Attendee, SeriesMembership, Session
from tests.scheduling.screens_clinic import (
    TODAY,
    WEDNESDAY,
    WEEK,
    at,
    build_setup,
    frozen,
    make_series,
    member,
    one_to_one,
    series_session,
)


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


def test_discharge_ends_series_and_cancels_later_one_to_one_sessions_but_keeps_the_past(clinic, clinician, patient_record):
    setup = build_setup(clinic, clinician, patient_record)
    second = setup["second"]
    series = make_series(setup)                       # Wednesdays 18:00
    mine = member(series, patient_record, joined_on=dt.date(2026, 11, 4))
    member(series, second, joined_on=dt.date(2026, 11, 4))
    past = series_session(series, WEEK - dt.timedelta(days=5), patients=[patient_record, second])
    next_week = series_session(series, WEDNESDAY + dt.timedelta(days=7), patients=[patient_record, second])
    later_visit = one_to_one(setup, at(TODAY + dt.timedelta(days=3), 12), patient=patient_record)

    episode = patient_record.episodes.get(status="active")
    care.discharge_patient(actor=clinician, episode=episode, discharged_on=TODAY, reason="completed")

    mine.refresh_from_db()
    assert mine.left_on == TODAY and "Discharged" in mine.left_reason
    assert SeriesMembership.objects.get(patient=second).left_on is None
    assert set(Attendee.objects.filter(session=past).values_list("patient_id", flat=True)) == {patient_record.pk, second.pk}
    assert list(Attendee.objects.filter(session=next_week).values_list("patient_id", flat=True)) == [second.pk]
    later_visit.refresh_from_db()
    assert later_visit.status == "cancelled" and later_visit.attendees.count() == 1
    assert Session.objects.filter(pk=past.pk, status="scheduled").exists()


def test_discharge_takes_the_patient_off_a_series_they_were_to_join_after_the_discharge_day(
        clinic, clinician, patient_record):
    from openiop.audit.models import Action, AuditEvent

    setup = build_setup(clinic, clinician, patient_record)
    second = setup["second"]
    series = make_series(setup)                       # Wednesdays 18:00
    first_day = WEDNESDAY + dt.timedelta(days=7)
    mine = member(series, patient_record, joined_on=first_day)
    member(series, second, joined_on=dt.date(2026, 11, 4))
    first = series_session(series, first_day, patients=[patient_record, second],
                           membership_for={patient_record.pk: mine})

    episode = patient_record.episodes.get(status="active")
    care.discharge_patient(actor=clinician, episode=episode, discharged_on=TODAY, reason="completed")

    assert list(Attendee.objects.filter(session=first).values_list("patient_id", flat=True)) == [second.pk]
    assert AuditEvent.objects.filter(patient=patient_record, action=Action.CHANGE,
                                     detail__sessions=[first.pk]).exists()
