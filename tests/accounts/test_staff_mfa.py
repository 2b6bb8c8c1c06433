"""Staff must enrol in two-factor authentication before they see anything (outside demo mode)."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.factories.clinic import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _require_staff_mfa(settings):
    # tests/conftest.py switches the requirement off for every other test; these test it.
    settings.OPENIOP_REQUIRE_STAFF_MFA = True


def enrol_totp(user):
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )


def test_it_sends_staff_without_mfa_to_totp_enrolment(client, clinician):
    client.force_login(clinician)

    response = client.get("/clinic/")

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_it_sends_staff_without_mfa_to_enrolment_from_a_patient_chart(
    client, clinician, patient_record
):
    client.force_login(clinician)

    response = client.get(f"/clinic/patients/{patient_record.mrn}/")

    assert response["Location"] == reverse("mfa_activate_totp")


def test_it_lets_staff_with_totp_in(client, clinician):
    enrol_totp(clinician)
    client.force_login(clinician)

    assert client.get("/clinic/").status_code == 200


def test_it_lets_staff_without_mfa_reach_enrolment_after_signing_in(client, clinician):
    client.post("/accounts/login/", {"login": "clinician", "password": TEST_PASSWORD})

    response = client.get("/clinic/", follow=True)

    # allauth asks for the password once more before it shows the QR code; both pages are
    # reachable without MFA, so the person is not caught in a redirect loop.
    urls = [url for url, _ in response.redirect_chain]
    assert urls[0] == reverse("mfa_activate_totp")
    assert urls[-1].startswith(reverse("account_reauthenticate"))
    assert response.status_code == 200


def test_it_does_not_ask_patients_to_enrol(client, patient_user):
    client.force_login(patient_user)

    assert client.get("/portal/").status_code == 200


def test_it_does_not_ask_staff_to_enrol_when_the_requirement_is_off(client, settings, clinician):
    settings.OPENIOP_REQUIRE_STAFF_MFA = False
    client.force_login(clinician)

    assert client.get("/clinic/").status_code == 200
