"""The clinic screens: who sees them, forms that keep input, fixed query counts."""

import datetime as dt

import pytest
from django.urls import reverse

from openiop.audit.models import AuditEvent
from openiop.medical import services
from openiop.medical.models import DrugScreen, Medication, RecoveryDate
from openiop.worklist.models import Task
from tests.medical.helpers import NOW, buprenorphine, cup, frozen, make_prescriber

pytestmark = pytest.mark.django_db
PATIENT_PAGES = ["patient_medications", "medication_reconcile", "patient_drug_screens", "drug_screen_new"]


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


@pytest.fixture
def prescriber(clinic):
    return make_prescriber(clinic)


@pytest.fixture
def screen(clinician, patient_record):
    return cup(clinician, patient_record, cocaine="positive")


def urls(patient, screen):
    return [reverse(f"clinic:{name}", args=[patient.mrn]) for name in PATIENT_PAGES] + [
        reverse("clinic:drug_screen_detail", args=[screen.pk])]


@pytest.mark.parametrize("persona_name", ["outsider", "front_desk", "biller", "intake", "patient_user", "family_user"])
def test_it_hides_every_medical_page_from_people_outside_the_care_team_or_without_clinical_access(
        persona_name, persona, client, patient_record, screen):
    client.force_login(persona(persona_name))
    for url in urls(patient_record, screen):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("persona_name", ["clinician", "director"])
def test_it_shows_every_medical_page_to_the_care_team_and_the_director(persona_name, persona, client,
                                                                        patient_record, screen):
    client.force_login(persona(persona_name))
    for url in urls(patient_record, screen):
        assert client.get(url).status_code == 200, url


def test_it_lists_medications_active_first_with_moud_and_the_recovery_date(client, clinician, patient_record,
                                                                           prescriber, patient_user):
    bup = buprenorphine(clinician, patient_record, prescriber)
    old = services.add_medication(actor=clinician, patient=patient_record, name="Acamprosate", dose="666 mg",
                                  frequency="three times daily", prescriber=prescriber)
    services.stop_medication(actor=clinician, medication=old, stopped_on=dt.date(2026, 11, 1), reason="nausea")
    services.set_recovery_date(actor=patient_user, patient=patient_record, date=dt.date(2026, 9, 15), source="portal")
    client.force_login(clinician)
    page = client.get(reverse("clinic:patient_medications", args=[patient_record.mrn])).content.decode()
    assert page.index(bup.name) < page.index("Acamprosate")
    assert "MOUD" in page and "September 15, 2026" in page and "admission reconciliation not done" in page
    assert AuditEvent.objects.filter(action="view", detail__page="medications").count() == 1


def test_it_adds_a_medication_and_keeps_the_input_when_something_is_missing(client, clinician, patient_record):
    client.force_login(clinician)
    url = reverse("clinic:patient_medications", args=[patient_record.mrn])
    response = client.post(url, {"action": "add", "name": "Methadone", "dose": "80 mg", "route": "oral",
                                 "frequency": "once daily", "moud": "methadone", "source": "outside"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "opioid treatment program" in page and 'value="80 mg"' in page and "error-summary" in page
    response = client.post(url, {"action": "add", "name": "Methadone", "dose": "80 mg", "route": "oral",
                                 "frequency": "once daily", "moud": "methadone", "source": "outside",
                                 "otp_name": "Harbor OTP"})
    assert response.status_code == 302
    assert Medication.objects.get().prescribed_by == "Harbor OTP (opioid treatment program)"


def test_it_stops_a_medication_from_its_row(client, clinician, patient_record, prescriber):
    medication = buprenorphine(clinician, patient_record, prescriber)
    client.force_login(clinician)
    url = reverse("clinic:patient_medications", args=[patient_record.mrn])
    prefix = f"m{medication.pk}-stop"
    response = client.post(url, {"action": "stop", "row": medication.pk, f"{prefix}-stopped_on": "2026-11-30"})
    assert response.status_code == 400 and "2026-11-30" in response.content.decode()
    response = client.post(url, {"action": "stop", "row": medication.pk, f"{prefix}-stopped_on": "2026-11-30",
                                 f"{prefix}-stop_reason": "Switched to injectable"})
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.stopped_on == dt.date(2026, 11, 30)


def test_staff_record_a_recovery_date_only_saying_the_patient_asked(client, clinician, patient_record):
    client.force_login(clinician)
    url = reverse("clinic:patient_medications", args=[patient_record.mrn])
    response = client.post(url, {"action": "recovery", "recovery_date": "2026-08-01"})
    assert response.status_code == 400 and "2026-08-01" in response.content.decode()
    client.post(url, {"action": "recovery", "recovery_date": "2026-08-01", "note": "Asked today"})
    assert RecoveryDate.objects.get().source == "clinic"


def test_it_reconciles_at_admission(client, clinician, patient_record, prescriber):
    medication = buprenorphine(clinician, patient_record, prescriber)
    client.force_login(clinician)
    url = reverse("clinic:medication_reconcile", args=[patient_record.mrn])
    response = client.post(url, {"kind": "admission", f"decision_{medication.pk}": "change"})
    assert response.status_code == 400 and "Say what changes" in response.content.decode()
    response = client.post(url, {"kind": "admission", f"decision_{medication.pk}": "continue"})
    assert response.status_code == 302
    assert "admission reconciliation done" in client.get(reverse("clinic:patient_medications",
                                                                 args=[patient_record.mrn])).content.decode()


def test_it_records_a_cup_with_one_result_per_substance(client, clinician, patient_record):
    client.force_login(clinician)
    url = reverse("clinic:drug_screen_new", args=[patient_record.mrn])
    assert "12-panel urine cup" in client.get(url).content.decode()
    form = client.get(url, {"panel": "cup12"}).content.decode()
    assert 'name="result_buprenorphine"' in form and 'name="result_fentanyl"' not in form
    data = {"panel": "cup12", "collected_at": "2026-12-01T08:30", "observed": "on", "method": "poc",
            "validity": "valid", "result_cocaine": "positive"}
    response = client.post(url, data)
    assert response.status_code == 400 and "Give a result for every substance" in response.content.decode()
    assert 'value="2026-12-01T08:30"' in response.content.decode()
    data |= {f"result_{code}": "negative" for code in services.rules.CUP_12 if code != "cocaine"}
    response = client.post(url, data)
    screen = DrugScreen.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("clinic:drug_screen_detail",
                                                                           args=[screen.pk])
    assert Task.objects.filter(topic=f"medical:screen:{screen.pk}").count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Unexpected positive" in page and "How results are read" in page


def test_it_records_laboratory_results_on_the_screen_page(client, clinician, patient_record):
    screen = services.record_drug_screen(actor=clinician, patient=patient_record, specimen="saliva",
                                         collected_at=NOW, observed=True, panel="saliva6", method="lab", lab="Lab")
    client.force_login(clinician)
    url = reverse("clinic:drug_screen_detail", args=[screen.pk])
    response = client.post(url, {"action": "results", "results-validity": "valid", "results-result_thc": "positive"})
    assert response.status_code == 400
    data = {"action": "results", "results-validity": "valid"} | {
        f"results-result_{code}": "negative" for code in services.rules.PANELS["saliva6"].substances}
    assert client.post(url, data).status_code == 302
    screen.refresh_from_db()
    assert screen.status == "resulted"


def test_the_screen_list_costs_the_same_for_one_and_many_screens(client, clinician, patient_record,
                                                                 prescriber):
    buprenorphine(clinician, patient_record, prescriber)
    cup(clinician, patient_record, when=NOW - dt.timedelta(days=1))
    client.force_login(clinician)
    url = reverse("clinic:patient_drug_screens", args=[patient_record.mrn])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for days in range(2, 7):
        cup(clinician, patient_record, when=NOW - dt.timedelta(days=days), cocaine="positive")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)


def test_the_medication_page_costs_the_same_for_one_and_many_medications(client, clinician, patient_record,
                                                                         prescriber):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = buprenorphine(clinician, patient_record, prescriber)
    services.write_adherence_note(actor=clinician, medication=first, adherence="as_prescribed")
    client.force_login(clinician)
    url = reverse("clinic:patient_medications", args=[patient_record.mrn])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(5):
        medication = services.add_medication(actor=clinician, patient=patient_record, name=f"Med {n}",
                                             dose="1 mg", frequency="daily", prescriber=prescriber)
        services.write_adherence_note(actor=clinician, medication=medication, adherence="as_prescribed")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)


def test_unexpected_results_for_a_dashboard_cost_a_fixed_number_of_queries(clinician, patient_record,
                                                                          django_assert_num_queries):
    from openiop.medical import queries

    cup(clinician, patient_record, cocaine="positive")
    for days in range(1, 4):
        cup(clinician, patient_record, when=NOW - dt.timedelta(days=days), thc="positive")
    with django_assert_num_queries(1):
        found = queries.unexpected_results(clinician)
        assert {r.patient.mrn for r in found} == {patient_record.mrn} and len(found) == 4


def test_the_chart_summary_says_whether_admission_reconciliation_is_done(client, clinician, patient_record):
    client.force_login(clinician)
    url = reverse("clinic:medical_summary", args=[patient_record.mrn])
    page = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "not done" in page
    chart = client.get(reverse("clinic:patient_chart", args=[patient_record.mrn])).content.decode()
    assert url in chart
