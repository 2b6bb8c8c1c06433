"""Every persona against the screening, assessment, admission, level-of-care and census URLs.

The shared access matrix (test_access_matrix.py) covers every marked URL; this file pins what
these screens allow, with a referral to the substance-use program (`clinician`'s) in hand.
"""

import pytest
from django.urls import resolve

from tests.conftest import PERSONAS
from tests.intake import conftest as intake_fixtures

pytestmark = pytest.mark.django_db
referral = intake_fixtures.referral
assessed_referral = intake_fixtures.assessed_referral

# Who gets the page (200); everyone else signed in gets 404, anonymous visitors the login page.
ALLOWED = {
    "referral_screening": {"clinician", "director"},
    "referral_assessment": {"clinician", "director"},
    "referral_admit": {"clinician", "director", "intake"},
    "change_level_of_care": {"clinician", "director"},
    "census": {"clinician", "outsider", "director", "front_desk", "intake", "biller"},
}


@pytest.fixture
def urls(assessed_referral, patient_record):
    return {
        "referral_screening": f"/clinic/referrals/{assessed_referral.pk}/screening/",
        "referral_assessment": f"/clinic/referrals/{assessed_referral.pk}/assessment/",
        "referral_admit": f"/clinic/referrals/{assessed_referral.pk}/admit/",
        "change_level_of_care": f"/clinic/patients/{patient_record.mrn}/level-of-care/",
        "census": "/clinic/census/",
    }


def test_every_screen_is_marked_as_showing_patient_data(urls):
    for name, url in urls.items():
        view = resolve(url).func
        assert resolve(url).url_name == name
        assert getattr(view, "shows_patient_data", False), name


@pytest.mark.parametrize("persona_name", PERSONAS)
def test_each_persona_gets_the_page_or_not_found(client, persona, persona_name, urls, family_user,
                                                 other_patient_user, patient_user):
    user = persona(persona_name)
    if user is not None:
        client.force_login(user)
    failures = []
    for name, url in urls.items():
        response = client.get(url)
        if user is None:
            ok = response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif persona_name in ALLOWED[name]:
            ok = response.status_code == 200
        else:
            ok = response.status_code == 404
        if not ok:
            failures.append(f"{name}: {response.status_code}")
    assert failures == []


def test_a_referral_of_another_organization_is_not_found(client, director, clinic):
    from openiop.intake import services
    from tests.factories.clinic import SiteFactory

    elsewhere = SiteFactory().organization
    theirs = services.create_referral(actor=None, organization=elsewhere, first_name="A", last_name="B", phone="555-0001")
    client.force_login(director)
    for page in ("screening", "assessment", "admit"):
        assert client.get(f"/clinic/referrals/{theirs.pk}/{page}/").status_code == 404
