"""The clinician's screening form: every field, substance rows, weekly availability, safety
alerts shown on the page at once, and a read-only record after saving."""

import pytest

from openiop.audit.models import AuditEvent
from openiop.intake.models import Screening
from openiop.worklist.models import Task
from tests.intake import conftest as intake_fixtures

pytestmark = pytest.mark.django_db
referral = intake_fixtures.referral


def url(referral):
    return f"/clinic/referrals/{referral.pk}/screening/"


def answers(**overrides):
    data = {
        "presenting_problems": "Drinking daily since the layoff; low mood",
        "withdrawal_risk": "moderate",
        "medical_history": "Hypertension",
        "psychiatric_history": "Depression treated in 2019",
        "current_medications": "Lisinopril 10 mg",
        "current_treatment": "None",
        "suicidal_thoughts": "no",
        "suicide_plan_or_intent": "no",
        "recent_suicide_attempt": "no",
        "violence_risk": "unknown",
        "safety_notes": "",
        "social_situation": "Lives with partner",
        "support_at_home": "Partner supportive",
        "transportation": "Own car",
        "substance_0": "Alcohol", "route_0": "oral", "frequency_0": "daily", "last_use_0": "yesterday",
        "substance_2": "Cannabis", "route_2": "smoked", "frequency_2": "weekends", "last_use_2": "2026-11-20",
        "day0_start": "09:00", "day0_end": "12:00",
        "day2_start": "17:30", "day2_end": "21:00",
    }
    data.update(overrides)
    return data


def test_it_offers_every_screening_field_to_a_clinician(client, clinician, referral):
    client.force_login(clinician)
    html = client.get(url(referral)).text
    for name in ("presenting_problems", "substance_3", "route_0", "frequency_1", "last_use_2",
                 "withdrawal_risk", "medical_history", "psychiatric_history", "current_medications",
                 "current_treatment", "suicidal_thoughts", "suicide_plan_or_intent",
                 "recent_suicide_attempt", "violence_risk", "safety_notes", "social_situation",
                 "support_at_home", "transportation", "day0_start", "day6_end"):
        assert f'name="{name}"' in html, name
    assert "Did not answer" in html
    assert "Sunday" in html


def test_it_saves_the_screening_ignoring_empty_rows_and_shows_it_read_only(client, clinician, referral):
    client.force_login(clinician)
    response = client.post(url(referral), answers())
    assert response.status_code == 302
    screening = Screening.objects.get(referral=referral)
    assert screening.substance_use == [
        {"substance": "Alcohol", "route": "oral", "frequency": "daily", "last_use": "yesterday"},
        {"substance": "Cannabis", "route": "smoked", "frequency": "weekends", "last_use": "2026-11-20"},
    ]
    assert screening.weekly_availability == [
        {"day": 0, "start": "09:00", "end": "12:00"}, {"day": 2, "start": "17:30", "end": "21:00"},
    ]
    assert screening.withdrawal_risk == "moderate"
    assert screening.completed_by == clinician
    page = client.get(url(referral)).text
    assert "Screening record" in page
    assert "cannot be changed" in page
    assert "Wednesday 17:30–21:00" in page
    assert 'name="presenting_problems"' not in page
    assert "Urgent safety alert" not in page
    referral.refresh_from_db()
    assert referral.stage == "screening"


def test_a_second_post_does_not_change_the_record(client, clinician, referral):
    client.force_login(clinician)
    client.post(url(referral), answers())
    client.post(url(referral), answers(presenting_problems="Something else"))
    assert Screening.objects.get().presenting_problems.startswith("Drinking daily")


def test_a_yes_shows_at_once_who_was_alerted_and_the_crisis_line(client, clinician, director, outsider, referral):
    client.force_login(clinician)
    response = client.post(url(referral), answers(suicidal_thoughts="yes", safety_notes="Passive thoughts"), follow=True)
    page = response.text
    assert "Urgent safety alert sent" in page
    assert clinician.display_name in page and director.display_name in page
    assert outsider.display_name not in page
    assert "call or text 988" in page
    assert "Thoughts of suicide in the past month" in page
    assert set(Task.objects.filter(urgent=True).values_list("assignee__username", flat=True)) == {"clinician", "director"}


def test_a_missing_answer_is_named_and_everything_typed_is_kept(client, clinician, referral):
    client.force_login(clinician)
    data = answers()
    del data["violence_risk"]
    response = client.post(url(referral), data)
    assert response.status_code == 200
    assert not Screening.objects.exists()
    assert "Choose yes, no or did not answer." in response.text
    assert "Drinking daily since the layoff" in response.text
    assert 'value="Cannabis"' in response.text
    assert 'value="17:30"' in response.text


@pytest.mark.parametrize(("overrides", "message"), [
    ({"day1_start": "10:00"}, "Give both times for Tuesday"),
    ({"day1_start": "10:00", "day1_end": "09:00"}, "On Tuesday the end time must be after the start time."),
    ({"substance_1": "", "frequency_1": "daily"}, "Name the substance, or clear this row."),
])
def test_it_names_a_bad_row(client, clinician, referral, overrides, message):
    client.force_login(clinician)
    response = client.post(url(referral), answers(**overrides))
    assert response.status_code == 200
    assert message in response.text
    assert not Screening.objects.exists()


def test_opening_the_screening_is_audited(client, clinician, referral):
    client.force_login(clinician)
    client.post(url(referral), answers())
    client.get(url(referral))
    assert AuditEvent.objects.filter(user=clinician, action="view", object_type="intake.screening").exists()


@pytest.mark.parametrize("persona_name", ["intake", "front_desk", "biller", "outsider"])
def test_others_get_not_found(client, persona, persona_name, referral):
    client.force_login(persona(persona_name))
    assert client.get(url(referral)).status_code == 404
