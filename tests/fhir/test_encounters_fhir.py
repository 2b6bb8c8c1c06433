"""Attended sessions in FHIR: one Encounter per session the exported patient attended, with its
clipped period and minutes, pointing at the patient's Appointment and episode, labelled, and
never naming another patient."""

import datetime as dt

import pytest
import time_machine

from openiop.attendance import services
from openiop.fhir.appointments import SESSION_KIND_SYSTEM, appointment_key
from openiop.fhir.encounters import encounters_section
from openiop.fhir.export import appointments_section, episode_of_care_section
from openiop.fhir.mappers import full_url, full_url_of
from openiop.scheduling.models import Session
from openiop.scheduling.rules import local_moment
from tests.fhir.fhir_helpers import PART2_ENTRY_LABELS, security, validate_resource
from tests.scheduling.screens_clinic import seat

pytestmark = pytest.mark.django_db

FALL_BACK = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(dt.datetime(2026, 12, 1, 14, tzinfo=dt.UTC), tick=False):
        yield


def at(day, hour, minute=0):
    return local_moment(day, dt.time(hour, minute))


def session(program, staff, starts_at, ends_at, patients, **fields):
    made = Session.objects.create(program=program, kind=fields.pop("kind", "group"), starts_at=starts_at,
                                  ends_at=ends_at, **fields)
    made.staff.add(staff)
    return made, [seat(made, patient) for patient in patients]


@pytest.fixture
def attended(clinic, clinician, patient_record, other_patient_user):
    sud = clinic["sud"]
    other = other_patient_user.patient
    from tests.factories.clinic import admit

    admit(patient=other, program=sud)            # so they can sit in the same substance-use group
    _, (mine, theirs) = session(sud, clinician, at(dt.date(2026, 11, 23), 18), at(dt.date(2026, 11, 23), 21),
                                [patient_record, other])
    services.record_attendance(actor=clinician, attendee=mine, status="late",
                               checked_in_at=at(dt.date(2026, 11, 23), 18, 17),
                               checked_out_at=at(dt.date(2026, 11, 23), 21, 20))
    services.record_attendance(actor=clinician, attendee=theirs, status="present")
    _, (video,) = session(sud, clinician, at(dt.date(2026, 11, 24), 17), at(dt.date(2026, 11, 24), 17, 50),
                          [patient_record], kind="individual", telehealth=True)
    services.record_attendance(actor=clinician, attendee=video, status="present", by_telehealth=True)
    _, (night,) = session(sud, clinician, at(FALL_BACK, 0, 30), at(FALL_BACK, 3, 30), [patient_record])
    services.record_attendance(actor=clinician, attendee=night, status="present")
    _, (missed,) = session(sud, clinician, at(dt.date(2026, 11, 25), 18), at(dt.date(2026, 11, 25), 21),
                           [patient_record])
    services.record_attendance(actor=clinician, attendee=missed, status="absent_unexcused")
    return {"group": mine, "video": video, "night": night, "other": other}


def test_each_attended_session_is_a_valid_encounter_oldest_first(attended, patient_record):
    encounters = encounters_section(patient_record)
    assert len(encounters) == 3                  # the absence makes none
    for encounter in encounters:
        validate_resource(encounter)
    night, group, video = encounters
    assert night["length"]["value"] == 240 and night["period"] == {
        "start": "2026-11-01T04:30:00+00:00", "end": "2026-11-01T08:30:00+00:00"}
    assert group["period"] == {"start": "2026-11-23T23:17:00+00:00", "end": "2026-11-24T02:00:00+00:00"}
    assert group["length"] == {"value": 163, "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"}
    assert group["status"] == "finished"
    assert group["class"]["code"] == "AMB" and video["class"]["code"] == "VR"
    assert group["type"][0]["coding"][0]["system"] == SESSION_KIND_SYSTEM
    assert video["type"][0]["coding"][0]["code"] == "individual"


def test_an_encounter_points_at_the_patients_appointment_and_episode(attended, patient_record, clinician):
    group = encounters_section(patient_record)[1]
    appointments = {full_url_of(a) for a in appointments_section(patient_record)}
    (appointment_ref,) = group["appointment"]
    assert appointment_ref["reference"] == full_url("Appointment", attended["group"],
                                                    key=appointment_key(attended["group"]))
    assert appointment_ref["reference"] in appointments
    episodes = {full_url_of(e) for e in episode_of_care_section(patient_record)}
    assert group["episodeOfCare"][0]["reference"] in episodes
    assert group["subject"]["reference"] == full_url("Patient", patient_record)
    assert group["participant"] == [{"type": [{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "PPRF",
        "display": "primary performer"}]}], "individual": {"type": "Practitioner", "display": clinician.display_name}}]


def test_encounters_carry_the_part2_labels(attended, patient_record):
    for encounter in encounters_section(patient_record):
        assert PART2_ENTRY_LABELS.items() <= security(encounter).items()


def test_no_encounter_names_another_patient(attended, patient_record):
    other = attended["other"]
    text = str(encounters_section(patient_record))
    assert other.mrn not in text and other.legal_last_name not in text and other.legal_first_name not in text
    assert full_url("Patient", other) not in text
    theirs = encounters_section(other)
    assert len(theirs) == 1 and patient_record.mrn not in str(theirs) and "Quinlan" not in str(theirs)
    assert theirs[0]["id"] != encounters_section(patient_record)[1]["id"]


def test_the_section_costs_the_same_for_one_encounter_and_many(attended, patient_record, other_patient_user,
                                                               django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as many:
        encounters_section(patient_record)
    with CaptureQueriesContext(connection) as one:
        encounters_section(other_patient_user.patient)
    assert len(many) == len(one)
