"""The level-of-care assessment screen: the clinician rates and decides; the software shows
cited escalations and floors, keeps what was typed, and shows the signed record read-only."""

import pytest

from openiop.intake.models import LevelOfCareAssessment
from tests.intake import conftest as intake_fixtures

pytestmark = pytest.mark.django_db
referral = intake_fixtures.referral


def url(referral, query=""):
    return f"/clinic/referrals/{referral.pk}/assessment/{query}"


def asam(**overrides):
    data = {"framework": "asam3", "recommended_level": "2.1", "actual_level": "2.1", "action": "sign"}
    for n in range(1, 7):
        data[f"rating_d{n}"] = "2"
        data[f"rationale_d{n}"] = f"Dimension {n}: history and here-and-now reviewed"
    data.update(overrides)
    return data


def test_it_shows_one_row_per_asam_dimension_with_the_hours_band(client, clinician, referral):
    client.force_login(clinician)
    html = client.get(url(referral)).text
    for n in range(1, 7):
        assert f'name="rating_d{n}"' in html and f'name="rationale_d{n}"' in html
    assert "Acute intoxication and/or withdrawal potential" in html
    assert "plans <strong>9–19 hours a week</strong>" in html
    assert "does not place anyone" in html


def test_the_fourth_edition_rates_five_dimensions_and_asks_only_considerations_for_the_sixth(client, clinician, referral):
    client.force_login(clinician)
    html = client.get(url(referral, "?framework=asam4")).text
    assert 'name="rating_d5"' in html
    assert 'name="rating_d6"' not in html
    assert 'name="rationale_d6"' in html
    assert "Person-centered considerations" in html


def test_locus_asks_for_the_composite_and_level(client, clinician, referral):
    client.force_login(clinician)
    html = client.get(url(referral, "?framework=locus")).text
    assert 'name="locus_composite"' in html
    assert 'name="rating_d1"' not in html
    assert "L4 Medically monitored non-residential services" in html


def test_a_rating_outside_0_to_4_is_shown_on_its_field_and_nothing_else_is_lost(client, clinician, referral):
    client.force_login(clinician)
    response = client.post(url(referral), asam(rating_d3="5", variance_reason="kept text"))
    assert response.status_code == 200
    assert not LevelOfCareAssessment.objects.exists()
    html = response.text
    assert "5 is outside 0-4" in html
    field = html[html.index('id="dimension-d3"'):html.index('id="dimension-d4"')]
    assert "5 is outside 0-4" in field
    assert 'aria-invalid="true"' in field
    assert "Dimension 2: history and here-and-now reviewed" in html
    assert 'value="5"' in html
    assert "kept text" in html
    assert '<option value="2.1" selected>' in html


def test_a_missing_rationale_is_named(client, clinician, referral):
    client.force_login(clinician)
    response = client.post(url(referral), asam(rationale_d4=""))
    assert "Give the history and here-and-now behind this rating." in response.text


def test_a_different_decided_level_needs_a_reason(client, clinician, referral):
    client.force_login(clinician)
    response = client.post(url(referral), asam(recommended_level="2.5"))
    assert "The level decided differs from the level recommended: say why." in response.text
    assert not LevelOfCareAssessment.objects.exists()
    response = client.post(url(referral), asam(recommended_level="2.5", variance_reason="PHP full; IOP with weekly review"))
    assert response.status_code == 302
    assert LevelOfCareAssessment.objects.get().variance_reason == "PHP full; IOP with weekly review"


def test_signing_shows_the_signed_assessment_read_only(client, clinician, referral):
    client.force_login(clinician)
    response = client.post(url(referral), asam(), follow=True)
    html = response.text
    assessment = LevelOfCareAssessment.objects.get()
    assert assessment.signed_by == clinician
    assert "Assessment signed." in html
    assert f"Signed by <strong>{clinician.display_name}</strong>" in html
    assert "2.1 Intensive outpatient" in html
    assert 'name="rating_d1"' not in html
    referral.refresh_from_db()
    assert referral.stage == "assessed"


def test_a_top_rating_in_dimension_1_to_3_must_be_reviewed_and_is_kept_as_it_was(client, clinician, referral):
    client.force_login(clinician)
    data = asam(rating_d2="4", recommended_level="3.7", variance_reason="Declines inpatient; cardiology follow-up")
    response = client.post(url(referral), data)
    assert response.status_code == 200
    assert not LevelOfCareAssessment.objects.exists()
    assert "Clinician review required." in response.text
    assert "more intensive setting than IOP" in response.text
    assert 'name="escalations_reviewed"' in response.text
    response = client.post(url(referral), data | {"escalations_reviewed": "on"}, follow=True)
    assessment = LevelOfCareAssessment.objects.get()
    assert assessment.actual_level == "2.1"  # the clinician decided; nothing was placed
    assert "Escalations shown when it was signed" in response.text


def test_checking_shows_escalations_without_signing(client, clinician, referral):
    client.force_login(clinician)
    response = client.post(url(referral), asam(rating_d1="4", action="check"))
    assert "more intensive setting than IOP" in response.text
    assert not LevelOfCareAssessment.objects.exists()
    response = client.post(url(referral), asam(action="check"))
    assert "These ratings trigger no escalation." in response.text


def test_a_locus_composite_outside_7_to_35_is_named(client, clinician, referral):
    client.force_login(clinician)
    data = {"framework": "locus", "locus_composite": "40", "recommended_level": "L4", "actual_level": "L4", "action": "sign"}
    response = client.post(url(referral), data)
    assert "The LOCUS composite is between 7 and 35." in response.text
    response = client.post(url(referral), data | {"locus_composite": "21"})
    assert response.status_code == 302
    assert LevelOfCareAssessment.objects.get().locus_composite == 21


@pytest.mark.parametrize("persona_name", ["intake", "front_desk", "outsider"])
def test_others_get_not_found(client, persona, persona_name, referral):
    client.force_login(persona(persona_name))
    assert client.get(url(referral)).status_code == 404
