import datetime as dt

import pytest

from openiop.audit.models import AuditEvent
from tests.factories.clinic import admit, make_patient

pytestmark = pytest.mark.django_db


def test_it_finds_a_patient_by_last_name(client, clinician, patient_record):
    client.force_login(clinician)
    response = client.get("/clinic/patients/", {"q": "quinl"})
    assert patient_record.mrn in response.text


def test_it_finds_a_patient_by_preferred_name_and_last_name(client, clinician, patient_record):
    client.force_login(clinician)
    response = client.get("/clinic/patients/", {"q": "Ave Quinlan"})
    assert patient_record.mrn in response.text


def test_it_finds_a_patient_by_mrn(client, clinician, patient_record):
    client.force_login(clinician)
    response = client.get("/clinic/patients/", {"q": patient_record.mrn})
    assert "Quinlan" in response.text


@pytest.mark.parametrize("typed", ["1990-05-17", "05/17/1990"])
def test_it_finds_a_patient_by_date_of_birth(client, clinician, patient_record, typed):
    client.force_login(clinician)
    response = client.get("/clinic/patients/", {"q": typed})
    assert patient_record.mrn in response.text


def test_it_hides_patients_outside_the_clinicians_programs_from_search(client, outsider, patient_record):
    client.force_login(outsider)
    response = client.get("/clinic/patients/", {"q": "Quinlan"})
    assert response.status_code == 200
    assert patient_record.mrn not in response.text
    assert "No patients match" in response.text


def test_it_records_every_patient_shown_in_search_results(client, clinician, patient_record):
    client.force_login(clinician)
    client.get("/clinic/patients/", {"q": "Quinlan"})
    event = AuditEvent.objects.get(action="search", patient=patient_record)
    assert event.user == clinician
    assert event.detail == {"query": "Quinlan"}
    assert event.request_id


def test_it_returns_only_the_results_fragment_to_htmx(client, clinician, patient_record):
    client.force_login(clinician)
    response = client.get("/clinic/patients/", {"q": "Quinlan"}, headers={"HX-Request": "true"})
    assert 'id="results"' in response.text
    assert "<html" not in response.text


def _many_patients(clinic, clinician, count):
    for number in range(count):
        patient = make_patient(
            organization=clinic["organization"], program=clinic["sud"],
            legal_first_name=f"Sam{number}", legal_last_name="Testperson",
            date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=number),
        )
        admit(patient=patient, program=clinic["sud"], clinician=clinician)


@pytest.mark.parametrize("count", [1, 50])
def test_the_patient_list_uses_the_same_queries_for_1_and_50_patients(
    client, clinic, clinician, count, django_assert_num_queries
):
    _many_patients(clinic, clinician, count)
    client.force_login(clinician)
    client.get("/clinic/patients/")  # warm the session
    with django_assert_num_queries(7):
        response = client.get("/clinic/patients/")
    assert response.text.count("Testperson, Sam") == count


@pytest.mark.parametrize("count", [1, 50])
def test_patient_search_uses_the_same_queries_for_1_and_50_results(
    client, clinic, clinician, count, django_assert_num_queries
):
    _many_patients(clinic, clinician, count)
    client.force_login(clinician)
    client.get("/clinic/patients/")
    with django_assert_num_queries(7):
        response = client.get("/clinic/patients/", {"q": "Testperson"})
    assert response.text.count("Testperson, Sam") == count


@pytest.mark.parametrize("count", [1, 50])
def test_the_clinicians_home_uses_the_same_queries_for_1_and_50_patients(
    client, clinic, clinician, count, django_assert_num_queries
):
    _many_patients(clinic, clinician, count)
    client.force_login(clinician)
    client.get("/clinic/")
    # 11: the home's 9, plus the Medicare recertifications due, plus the count of measures due;
    # +4 for the count of plans due (care-team episodes, treatment plans, their versions, their
    # reviews; a fifth, signatures, runs only once some plan has a version); +14 for the
    # clinician's day (clinic/day.py: its sessions, notes, co-signs, weekly hours and screens,
    # each a fixed number of queries, and one audit write for the patients it names).
    with django_assert_num_queries(29):
        response = client.get("/clinic/")
    assert response.text.count("Testperson, Sam") == count
