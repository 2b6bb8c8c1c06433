"""Regressions found in review: a correction made twice (a form sent twice), a collection
year typed wrong, and the collection day taken in the clinic's time zone, not UTC's."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from openiop.medical import services
from openiop.medical.models import DrugScreen
from openiop.medical.rules import Interpretation
from tests.medical.helpers import NEGATIVE_12, cup, frozen

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


def test_it_corrects_a_screen_once_even_when_the_form_is_sent_twice(client, clinician, patient_record):
    screen = cup(clinician, patient_record, cocaine="positive")
    client.force_login(clinician)
    url = reverse("clinic:drug_screen_detail", args=[screen.pk])
    data = {"action": "amend", "amend-reason": "Read the wrong line", "amend-result_cocaine": "negative",
            **{f"amend-result_{code}": "negative" for code in NEGATIVE_12 if code != "cocaine"}}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 400
    assert "already corrected" in again.content.decode()
    assert DrugScreen.objects.filter(amends=screen).count() == 1
    with pytest.raises(ValidationError):
        services.amend_drug_screen(actor=clinician, screen=screen, results=dict(NEGATIVE_12), reason="again")


def test_it_refuses_a_collection_before_the_patients_birth(client, clinician, patient_record):
    client.force_login(clinician)
    url = reverse("clinic:drug_screen_new", args=[patient_record.mrn])
    response = client.post(url, {"panel": "cup12", "collected_at": "0001-01-01T09:00", "method": "poc",
                                 "validity": "valid", "results_later": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "before the patient&#x27;s date of birth" in page and 'value="0001-01-01T09:00"' in page
    assert not DrugScreen.objects.exists()


def test_an_evening_screen_is_read_against_the_medications_of_the_local_day(clinician, patient_record):
    # 22:30 on Monday 30 November in New York is already Tuesday 1 December in UTC.
    evening = dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.UTC)
    services.add_medication(actor=clinician, patient=patient_record, name="Lorazepam", dose="1 mg",
                            frequency="as needed", source="outside", prescriber_name="Dr. Lee",
                            started_on=dt.date(2026, 12, 1))
    screen = cup(clinician, patient_record, when=evening, benzodiazepines="positive")
    result = screen.results.get(substance="benzodiazepines")
    assert result.interpretation == Interpretation.UNEXPECTED_POSITIVE


def test_it_says_why_nothing_was_saved_when_results_are_sent_twice(client, clinician, patient_record):
    screen = services.record_drug_screen(actor=clinician, patient=patient_record, specimen="urine",
                                         collected_at=dt.datetime(2026, 12, 1, 13, tzinfo=dt.UTC), observed=False,
                                         panel="cup12", method="lab", lab="Quest")
    client.force_login(clinician)
    url = reverse("clinic:drug_screen_detail", args=[screen.pk])
    data = {"action": "results", "results-validity": "valid",
            **{f"results-result_{code}": "negative" for code in NEGATIVE_12}}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 400 and "already has its results" in again.content.decode()
