import datetime as dt
import re

import pytest

from openiop.audit.models import AuditEvent
from tests.factories.clinic import admit, make_patient

pytestmark = pytest.mark.django_db


def strip_varying(html, mrn):
    """Remove what differs between any two responses (the MRN asked for, CSRF and CSP nonces)."""
    html = html.replace(mrn, "MRN")
    html = re.sub(r'value="[^"]+"', 'value=""', html)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)


def chart_url(patient):
    return f"/clinic/patients/{patient.mrn}/"


def test_it_shows_the_care_team_clinician_the_whole_chart(client, clinician, patient_record):
    client.force_login(clinician)
    response = client.get(chart_url(patient_record))
    assert response.status_code == 200
    assert "F10.20" in response.text
    assert "State Medicaid" in response.text
    assert "42 CFR Part 2" in response.text
    assert 'id="clinical"' in response.text


def test_it_shows_front_desk_demographics_but_no_clinical_section(client, front_desk, patient_record):
    client.force_login(front_desk)
    response = client.get(chart_url(patient_record))
    assert response.status_code == 200
    assert "Quinlan" in response.text
    assert 'id="clinical"' not in response.text
    assert "F10.20" not in response.text
    assert "Alcohol dependence" not in response.text


def test_it_shows_billing_insurance_but_no_diagnoses(client, biller, patient_record):
    client.force_login(biller)
    response = client.get(chart_url(patient_record))
    assert "MCD123456" in response.text
    assert "F10.20" not in response.text


def test_it_records_who_opened_the_chart(client, clinician, patient_record):
    client.force_login(clinician)
    client.get(chart_url(patient_record), REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="view", patient=patient_record)
    assert (event.user, event.role, event.ip) == (clinician, "clinician", "10.1.2.3")
    assert event.path == chart_url(patient_record)


def test_it_gives_the_outsider_the_same_not_found_page_as_for_a_missing_chart(client, outsider, patient_record):
    client.force_login(outsider)
    theirs = client.get(chart_url(patient_record))
    missing = client.get("/clinic/patients/M9999999/")
    assert theirs.status_code == missing.status_code == 404
    assert strip_varying(theirs.text, patient_record.mrn) == strip_varying(missing.text, "M9999999")
    assert "Quinlan" not in theirs.text
    assert "Request emergency access" in theirs.text


def test_it_does_not_offer_emergency_access_to_front_desk(client, front_desk, clinic):
    client.force_login(front_desk)
    response = client.get("/clinic/patients/M9999999/")
    assert response.status_code == 404
    assert "emergency access" not in response.text


@pytest.mark.parametrize("count", [1, 50])
def test_the_chart_uses_the_same_queries_for_small_and_large_clinics(
    client, clinic, clinician, patient_record, count, django_assert_num_queries
):
    for number in range(count):
        other = make_patient(
            organization=clinic["organization"], program=clinic["sud"],
            legal_first_name=f"Sam{number}", legal_last_name="Testperson",
            date_of_birth=dt.date(1980, 1, 1),
        )
        admit(patient=other, program=clinic["sud"], clinician=clinician)
    client.force_login(clinician)
    client.get(chart_url(patient_record))
    # 13: the chart's 10, plus level-of-care history, consents and Medicare certifications.
    with django_assert_num_queries(13):
        client.get(chart_url(patient_record))


def test_the_timeline_shows_admission_and_diagnosis_newest_first(client, clinician, patient_record):
    client.force_login(clinician)
    html = client.get(chart_url(patient_record)).text
    timeline = html[html.index('class="timeline"'):]
    assert "Admitted to Adult substance-use IOP" in timeline
    assert "Diagnosis recorded: F10.20" in timeline


def test_the_timeline_hides_diagnoses_from_front_desk(client, front_desk, patient_record):
    client.force_login(front_desk)
    html = client.get(chart_url(patient_record)).text
    assert "Admitted to" in html
    assert "Diagnosis recorded" not in html


def test_the_census_shows_a_clinician_only_their_programs(client, clinician, patient_record):
    client.force_login(clinician)
    html = client.get("/clinic/").text
    assert "Adult substance-use IOP" in html
    assert "Adult mental-health IOP" not in html


def test_the_census_shows_the_director_every_program(client, director, patient_record):
    client.force_login(director)
    html = client.get("/clinic/").text
    assert "Adult substance-use IOP" in html
    assert "Adult mental-health IOP" in html
