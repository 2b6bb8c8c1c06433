"""The recovery date in the portal: the patient's own, in plain words, with the crisis line."""

import datetime as dt

import pytest
from django.urls import reverse

from openiop.medical.models import RecoveryDate
from tests.medical.helpers import cup, frozen

pytestmark = pytest.mark.django_db
URL = "/portal/recovery-date/"


@pytest.fixture(autouse=True)
def _now():
    with frozen():
        yield


def test_the_url_is_named():
    assert reverse("portal:recovery_date") == URL


def test_the_patient_sets_changes_and_clears_their_own_date(client, patient_user, patient_record):
    client.force_login(patient_user)
    page = client.get(URL).content.decode()
    assert "This is your date. You choose it." in page and "A test result never changes it." in page
    assert "988" in page and "Ave" in page
    assert client.post(URL, {"action": "set", "recovery_date": "2026-09-15"}).status_code == 302
    assert "September 15, 2026" in client.get(URL).content.decode()
    client.post(URL, {"action": "set", "recovery_date": "2026-10-01"})
    client.post(URL, {"action": "clear"})
    rows = list(RecoveryDate.objects.filter(patient=patient_record).order_by("id"))
    assert [r.recovery_date for r in rows] == [dt.date(2026, 9, 15), dt.date(2026, 10, 1), None]
    assert all(r.source == "portal" and r.set_by == patient_user for r in rows)
    assert "You have not set a date" in client.get(URL).content.decode()


def test_a_date_in_the_future_is_refused_with_the_input_kept(client, patient_user):
    client.force_login(patient_user)
    response = client.post(URL, {"action": "set", "recovery_date": "2027-01-05"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be in the future" in page and "2027-01-05" in page


def test_a_positive_screen_leaves_the_patients_date_as_they_set_it(client, patient_user, patient_record, clinician):
    client.force_login(patient_user)
    client.post(URL, {"action": "set", "recovery_date": "2026-09-15"})
    cup(clinician, patient_record, cocaine="positive")
    assert "September 15, 2026" in client.get(URL).content.decode()


def test_a_family_member_cannot_see_or_change_the_date(client, family_user):
    client.force_login(family_user)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"action": "set", "recovery_date": "2026-09-15"}).status_code == 404
    assert not RecoveryDate.objects.exists()


def test_another_patient_only_ever_sets_their_own(client, other_patient_user, patient_record):
    client.force_login(other_patient_user)
    page = client.get(URL).content.decode()
    assert "Quinlan" not in page and "Ave" not in page
    client.post(URL, {"action": "set", "recovery_date": "2026-09-15"})
    assert not RecoveryDate.objects.filter(patient=patient_record).exists()


def test_staff_get_404_in_the_portal(client, clinician):
    client.force_login(clinician)
    assert client.get(URL).status_code == 404


def test_the_portal_home_links_to_the_date(client, patient_user):
    client.force_login(patient_user)
    assert URL in client.get(reverse("portal:home")).content.decode()
