import pytest

pytestmark = pytest.mark.django_db


def test_it_shows_the_privacy_officer_who_opened_a_chart(client, clinician, privacy_officer, patient_record):
    client.force_login(clinician)
    client.get(f"/clinic/patients/{patient_record.mrn}/")
    client.force_login(privacy_officer)
    response = client.get(f"/clinic/privacy/access-report/{patient_record.mrn}/")
    assert response.status_code == 200
    assert "clinician" in response.text
    assert "Viewed" in response.text


def test_it_downloads_the_access_report_as_csv(client, clinician, privacy_officer, patient_record):
    client.force_login(clinician)
    client.get(f"/clinic/patients/{patient_record.mrn}/")
    client.force_login(privacy_officer)
    response = client.get(f"/clinic/privacy/access-report/{patient_record.mrn}/", {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("When (UTC),User,Role,Action")
    assert any(",clinician,clinician,view," in line for line in lines)


def test_it_finds_the_report_from_the_mrn_form(client, privacy_officer, patient_record):
    client.force_login(privacy_officer)
    response = client.get("/clinic/privacy/access-report/", {"mrn": patient_record.mrn})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/access-report/{patient_record.mrn}/")


def test_it_hides_access_reports_from_clinicians(client, clinician, patient_record):
    client.force_login(clinician)
    assert client.get(f"/clinic/privacy/access-report/{patient_record.mrn}/").status_code == 404
    assert client.get("/clinic/privacy/access-report/", {"mrn": patient_record.mrn}).status_code == 404
