"""A week as JSON and iCalendar, and the re-check of any week on the calendar."""

import datetime as dt

import pytest
import time_machine

from openiop.audit.models import Action, AuditEvent
from openiop.scheduling import weeks
from openiop.scheduling.exports import check_week, week_export, week_ics
from openiop.scheduling.models import Attendee, Session, SessionKind
from openiop.scheduling.rules import local_moment
from tests.scheduling import week_clinic
from tests.scheduling.week_clinic import WEEK


@pytest.fixture(autouse=True)
def _before_the_week():
    with time_machine.travel(week_clinic.BEFORE_THE_WEEK, tick=True):
        yield


@pytest.fixture
def solved(clinic, clinician, patient_record):
    setup = week_clinic.build(clinic, clinician, patient_record)
    weeks.solve_week(setup["organization"], WEEK, seconds=3, workers=1)
    return setup


def test_the_json_export_lists_every_session_and_every_patients_hours(solved, clinician):
    data = week_export(solved["organization"], WEEK, by=clinician)
    assert data["week_start"] == "2026-11-30" and len(data["sessions"]) == Session.objects.count()
    monday = next(s for s in data["sessions"] if s["title"] == "Process group" and s["start"].startswith("2026-11-30"))
    assert monday["start"] == "2026-11-30T18:00:00-05:00" and monday["end"] == "2026-11-30T21:00:00-05:00"
    assert monday["room"] == "Group room A" and monday["telehealth"] is False and monday["kind"] == "group"
    assert monday["staff"] == [clinician.display_name]
    avery = solved["patients"]["avery"]
    assert {"mrn": avery.mrn, "name": avery.display_name} in monday["patients"]
    online = next(s for s in data["sessions"] if s["title"] == "CBT skills")
    assert online["telehealth"] is True and online["room"] is None

    hours = {p["mrn"]: p for p in data["patients"]}
    mine = hours[avery.mrn]
    assert mine["planned_minutes"] == 3 * 180 + 60 and mine["planned_hours"] == 10.0
    scheduled = sum(s["minutes"] for s in data["sessions"] if {"mrn": avery.mrn, "name": avery.display_name}
                    in s["patients"])
    assert mine["scheduled_minutes"] == scheduled and mine["band"] == {"min_hours": 9.0, "max_hours": 19.0}
    assert data["part2_notice"].startswith("42 CFR part 2")

    exported = AuditEvent.objects.filter(action=Action.EXPORT, user=clinician)
    assert sorted(exported.values_list("patient_mrn", flat=True)) == sorted(hours)
    assert exported.first().detail == {"week": "2026-11-30", "format": "json"}


def test_the_calendar_file_has_every_session_and_no_patient_names(solved):
    from icalendar import Calendar

    content = week_ics(solved["organization"], WEEK)
    calendar = Calendar.from_ical(content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == Session.objects.count()
    titles = {str(e["SUMMARY"]) for e in events}
    assert {"Process group", "CBT skills"} <= titles
    text = content.decode("utf-8")
    for patient in solved["patients"].values():
        assert patient.legal_first_name not in text and patient.legal_last_name not in text
        assert patient.mrn not in text
    monday = next(e for e in events if e.decoded("DTSTART") == local_moment(WEEK, dt.time(18)))
    assert str(monday["LOCATION"]) == "Group room A" and str(monday["STATUS"]) == "CONFIRMED"
    assert "patients" in str(monday["DESCRIPTION"]) and calendar.walk("VTIMEZONE")
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_a_solved_week_passes_the_check_and_a_hand_made_double_booking_does_not(solved):
    organization = solved["organization"]
    assert check_week(organization, WEEK) == []
    monday = Session.objects.get(series=solved["series"]["monday"])
    avery = solved["patients"]["avery"]
    starts_at = monday.starts_at + dt.timedelta(minutes=30)
    clash = Session.objects.create(program=monday.program, kind=SessionKind.INDIVIDUAL, starts_at=starts_at,
                                   ends_at=starts_at + dt.timedelta(minutes=60), room=solved["rooms"]["offices"][1],
                                   fixed=True)
    clash.staff.set([solved["staff"]["tlee"]])
    row = Attendee(session=clash, patient=avery, episode=avery.episodes.get())
    row.label_for_program(monday.program)
    row.save()
    found = check_week(organization, WEEK)
    assert any(line.startswith(f"rule 1: patient {avery.mrn} is booked twice at once") for line in found)
