import pytest

from openiop.care.models import Diagnosis
from openiop.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_it_shows_clinicians_the_patients_of_their_programs(clinician, patient_record):
    assert list(Patient.objects.visible_to(clinician)) == [patient_record]


def test_it_hides_patients_from_clinicians_outside_the_care_team(outsider, patient_record):
    assert not Patient.objects.visible_to(outsider).exists()


def test_it_shows_a_patient_only_themself(patient_user, other_patient_user):
    assert list(Patient.objects.visible_to(patient_user)) == [patient_user.patient]


def test_it_hides_clinical_records_from_front_desk(front_desk, patient_record):
    assert Patient.objects.visible_to(front_desk).count() == 1
    assert not Diagnosis.objects.visible_to(front_desk).exists()


def test_it_labels_substance_use_records_part2_from_creation(patient_record):
    diagnosis = patient_record.diagnoses.get()
    assert "42CFRPart2" in patient_record.security_labels
    assert diagnosis.security_labels[:3] == ["R", "42CFRPart2", "SUD"]


def test_it_shows_privacy_officers_and_admins_no_charts(privacy_officer, admin_user, patient_record):
    assert not Patient.objects.visible_to(privacy_officer).exists()
    assert not Patient.objects.visible_to(admin_user).exists()


def test_it_shows_family_only_with_the_patients_consent(family_user, patient_record):
    assert list(Patient.objects.visible_to(family_user)) == [patient_record]
    link = family_user.family_link
    link.portal_consent_revoked_on = link.portal_consent_on
    link.save()
    assert not Patient.objects.visible_to(family_user).exists()
