import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from openiop.audit.models import AuditEvent
from openiop.patients import services

pytestmark = pytest.mark.django_db


def test_it_gives_each_new_patient_an_mrn_and_audits_the_creation(clinic, clinician):
    patient = services.register_patient(
        actor=clinician, organization=clinic["organization"], program=clinic["mh"],
        legal_first_name="Kai", legal_last_name="Nakamura", date_of_birth=dt.date(2001, 3, 3),
    )
    assert patient.mrn == f"M{patient.pk:07d}"
    event = AuditEvent.objects.get(patient=patient)
    assert (event.action, event.user) == ("create", clinician)


def test_it_labels_a_patient_registered_by_a_mental_health_program_as_normal(clinic):
    patient = services.register_patient(
        actor=None, organization=clinic["organization"], program=clinic["mh"],
        legal_first_name="Kai", legal_last_name="Nakamura", date_of_birth=dt.date(2001, 3, 3),
    )
    assert patient.security_labels == ["N", "BH"]


def test_it_names_the_field_when_a_registration_is_incomplete(clinic):
    with pytest.raises(ValidationError) as error:
        services.register_patient(
            actor=None, organization=clinic["organization"], program=clinic["sud"],
            legal_first_name="Kai", legal_last_name="", date_of_birth=dt.date(2001, 3, 3),
        )
    assert "legal_last_name" in error.value.message_dict


def test_it_records_which_fields_changed(patient_record, front_desk):
    services.update_patient_details(actor=front_desk, patient=patient_record, phone="555-0199")
    event = AuditEvent.objects.get(action="change", patient=patient_record)
    assert event.detail == {"fields": ["phone"]}


def test_it_never_downgrades_a_part2_label_through_an_edit(patient_record, front_desk):
    with pytest.raises(ValidationError):
        services.update_patient_details(actor=front_desk, patient=patient_record, security_labels=["N"])
    patient_record.refresh_from_db()
    assert "42CFRPart2" in patient_record.security_labels


def test_it_refuses_a_second_current_episode_in_the_same_program(patient_record, clinic):
    from openiop.care import services as care

    with pytest.raises(ValidationError) as error:
        care.admit_patient(actor=None, patient=patient_record, program=clinic["sud"], admitted_on=dt.date(2026, 11, 1))
    assert "program" in error.value.message_dict


def test_it_discharges_and_closes_the_care_team(patient_record):
    from openiop.care import services as care

    episode = patient_record.episodes.get()
    care.discharge_patient(actor=None, episode=episode, discharged_on=dt.date(2026, 11, 15), reason="completed")
    episode.refresh_from_db()
    assert episode.status == "finished"
    assert episode.care_team.get().end_date == dt.date(2026, 11, 15)
