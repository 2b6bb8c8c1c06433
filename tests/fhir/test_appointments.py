"""Scheduled sessions in FHIR: one Appointment per session of the exported patient, listing
that patient, the staff and the room, and never another patient."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openiop.fhir.appointments import SESSION_KIND_SYSTEM
from openiop.fhir.export import EXPORT_SECTIONS, appointments_section, build_patient_bundle
from openiop.fhir.mappers import full_url
from openiop.scheduling.models import SessionKind, SessionStatus
from tests.fhir.fhir_helpers import (
    PART2_ENTRY_LABELS,
    references_in,
    resources,
    security,
    validate_bundle,
)
from tests.scheduling.test_feeds import at, book, group_type, room

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(clinic, clinician, patient_record, other_patient_user):
    sud, other = clinic["sud"], other_patient_user.patient
    return {
        "group": book(program=sud, starts_at=at(1, 18), patients=[patient_record, other], staff=[clinician],
                      group_type=group_type(clinic["organization"]), room=room(clinic)),
        "video": book(program=sud, starts_at=at(3, 17), minutes=50, kind=SessionKind.INDIVIDUAL,
                      patients=[patient_record], staff=[clinician], telehealth=True,
                      video_link="https://video.example.org/room/abc"),
        "cancelled": book(program=sud, starts_at=at(8, 18), patients=[patient_record], staff=[clinician],
                          status=SessionStatus.CANCELLED),
    }


def test_appointments_are_an_export_section():
    assert appointments_section in EXPORT_SECTIONS


def test_the_exported_appointments_validate_and_their_references_resolve(booked, patient_record):
    bundle = build_patient_bundle(patient_record)
    validate_bundle(bundle)
    appointments = resources(bundle, "Appointment")
    assert len(appointments) == 3
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    for appointment in appointments:
        assert set(references_in(appointment)) <= full_urls


def test_a_group_appointment_lists_only_this_patient_the_staff_and_the_room(booked, patient_record,
                                                                             other_patient_user, clinician):
    group = appointments_section(patient_record)[0]
    actors = [participant["actor"] for participant in group["participant"]]
    assert actors[0] == {"reference": full_url("Patient", patient_record), "type": "Patient"}
    assert actors[1] == {"type": "Practitioner", "display": clinician.display_name}
    assert actors[2] == {"type": "Location", "display": "Room 2"}
    assert len(actors) == 3
    text = str(group)
    assert full_url("Patient", other_patient_user.patient) not in text
    assert "Osei" not in text and "Blake" not in text


def test_two_patients_exports_do_not_share_the_group_appointment(booked, patient_record, other_patient_user):
    mine = appointments_section(patient_record)[0]
    theirs = appointments_section(other_patient_user.patient)[0]
    assert mine["start"] == theirs["start"]
    assert mine["id"] != theirs["id"]
    assert "identifier" not in mine


def test_status_times_and_kind(booked, patient_record):
    group, video, cancelled = appointments_section(patient_record)
    assert (group["status"], video["status"], cancelled["status"]) == ("booked", "booked", "cancelled")
    assert group["start"] == "2026-12-01T23:00:00+00:00" and group["end"] == "2026-12-02T02:00:00+00:00"
    assert group["minutesDuration"] == 180 and video["minutesDuration"] == 50
    assert group["serviceType"][0]["coding"][0] == {
        "system": SESSION_KIND_SYSTEM, "code": "group", "display": "Group therapy",
    }
    assert group["serviceType"][0]["text"] == "Group therapy: Relapse prevention"
    assert video["description"] == "Video visit"
    assert "video.example.org" not in str(video)
    assert [p["actor"]["type"] for p in video["participant"]] == ["Patient", "Practitioner"]


def test_appointments_carry_the_part2_labels_of_the_roster_row(booked, patient_record):
    for appointment in appointments_section(patient_record):
        assert PART2_ENTRY_LABELS.items() <= security(appointment).items()


def test_the_section_takes_the_same_queries_for_one_session_or_many(clinic, clinician, patient_record):
    book(program=clinic["sud"], starts_at=at(1, 18), patients=[patient_record], staff=[clinician], room=room(clinic))

    def count():
        with CaptureQueriesContext(connection) as captured:
            found = appointments_section(patient_record)
        return len(captured), len(found)

    one, _ = count()
    for day in (2, 3, 4):
        book(program=clinic["sud"], starts_at=at(day, 18), patients=[patient_record], staff=[clinician],
             room=room(clinic, name=f"Room {day}"))
    assert count() == (one, 4)
