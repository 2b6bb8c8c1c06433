import pytest

from openiop.audit.models import AuditEvent
from tests.factories.clinic import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_it_sends_a_patient_to_the_portal_after_sign_in(client, patient_user):
    response = client.post("/accounts/login/", {"login": "patient", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_it_sends_staff_to_the_clinic_after_sign_in(client, clinician):
    response = client.post("/accounts/login/", {"login": "clinician", "password": TEST_PASSWORD})
    assert response["Location"] == "/clinic/"


def test_it_shows_the_patient_their_own_record(client, patient_user, patient_record):
    client.force_login(patient_user)
    response = client.get("/portal/my-record/")
    assert "Avery Quinlan" in response.text
    assert "Alcohol dependence, uncomplicated" in response.text
    assert "State Medicaid" in response.text


def test_it_records_the_patients_own_views(client, patient_user, patient_record):
    client.force_login(patient_user)
    client.get("/portal/my-record/")
    event = AuditEvent.objects.get(action="view", patient=patient_record)
    assert event.role == "patient"


def test_it_never_shows_a_patient_another_patients_record(client, other_patient_user, patient_record):
    client.force_login(other_patient_user)
    response = client.get("/portal/my-record/")
    assert "Quinlan" not in response.text
    assert "Osei" in response.text


def test_it_shows_family_the_patient_who_consented(client, family_user, patient_record):
    client.force_login(family_user)
    response = client.get("/portal/")
    assert "You are connected to Ave" in response.text
    assert "Alcohol dependence" not in response.text


def test_it_shows_family_nothing_once_consent_is_revoked(client, family_user, patient_record):
    link = family_user.family_link
    link.portal_consent_revoked_on = link.portal_consent_on
    link.save()
    client.force_login(family_user)
    response = client.get("/portal/")
    assert "Ave" not in response.text
    assert "You do not have access to anyone" in response.text


def test_it_keeps_family_out_of_the_patients_record(client, family_user):
    client.force_login(family_user)
    assert client.get("/portal/my-record/").status_code == 404


@pytest.mark.parametrize("path", ["/portal/", "/portal/my-record/"])
def test_every_portal_page_shows_the_crisis_line(client, patient_user, path):
    client.force_login(patient_user)
    response = client.get(path)
    assert 'href="tel:988"' in response.text


def test_it_keeps_patients_out_of_the_clinic(client, patient_user, patient_record):
    client.force_login(patient_user)
    assert client.get("/clinic/").status_code == 404
    assert client.get(f"/clinic/patients/{patient_record.mrn}/").status_code == 404
