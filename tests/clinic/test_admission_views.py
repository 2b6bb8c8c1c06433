"""Admission of an assessed referral, and later level-of-care changes."""

import datetime as dt

import pytest
from django.utils import timezone

from openiop.care.models import (
    AdmissionConsent,
    EpisodeOfCare,
    LevelOfCareChange,
    MedicareCertification,
)
from openiop.intake import services as intake_services
from openiop.patients.models import Patient
from tests.factories.clinic import admit, make_patient
from tests.intake import conftest as intake_fixtures

pytestmark = pytest.mark.django_db
referral = intake_fixtures.referral
assessed_referral = intake_fixtures.assessed_referral


def url(referral):
    return f"/clinic/referrals/{referral.pk}/admit/"


def admission(clinic, clinician, **overrides):
    today = timezone.localdate().isoformat()
    data = {
        "program": str(clinic["sud"].pk), "admitted_on": today, "level_of_care": "iop",
        "planned_weekly_hours": "12", "hours_override_reason": "", "expected_length_of_stay_days": "56",
        "dx_code_0": "F10.20", "dx_description_0": "Alcohol dependence, uncomplicated",
        "dx_code_1": "F32.1", "dx_description_1": "Major depressive disorder, single episode, moderate",
        "dx_primary": "0", "primary_clinician": str(clinician.pk),
        "consent_treatment": "on", "consent_treatment_on": today,
        "consent_privacy_notice": "on", "consent_privacy_notice_on": today,
        "consent_part2_notice": "on", "consent_part2_notice_on": today,
    }
    data.update(overrides)
    return data


def test_it_shows_the_form_with_the_band_consents_and_the_programs_clinicians(client, intake, clinician, outsider, assessed_referral):
    client.force_login(intake)
    html = client.get(url(assessed_referral)).text
    assert "Adult substance-use IOP plans 9–19 hours a week" in html
    primary = html[html.index('name="primary_clinician"'):]
    primary = primary[:primary.index("</select>")]
    assert clinician.display_name in primary
    assert outsider.display_name not in primary  # a clinician of another program
    assert "42 CFR Part 2 patient notice received <span class=\"optional\">(required)</span>" in html
    assert "Medicare physician certification" not in html
    assert '<option value="iop" selected>' in html


def test_intake_does_not_see_the_decided_level_a_clinician_does(client, intake, clinician, assessed_referral):
    client.force_login(intake)
    assert "2.1 Intensive outpatient" not in client.get(url(assessed_referral)).text
    client.force_login(clinician)
    assert "2.1 Intensive outpatient" in client.get(url(assessed_referral)).text


def test_hours_outside_the_band_without_a_reason_are_named_and_nothing_is_lost(client, intake, clinic, clinician, assessed_referral):
    client.force_login(intake)
    response = client.post(url(assessed_referral), admission(clinic, clinician, planned_weekly_hours="22"))
    assert response.status_code == 200
    assert not EpisodeOfCare.objects.exists()
    assert not Patient.objects.exists()
    html = response.text
    assert "outside this program&#x27;s 9-19 hours a week" in html
    assert 'id="id_hours_override_reason"' in html and 'aria-invalid="true"' in html
    assert 'value="22"' in html
    assert 'value="F32.1"' in html
    assert "Major depressive disorder, single episode, moderate" in html
    assert f'<option value="{clinician.pk}" selected>' in html
    response = client.post(url(assessed_referral), admission(
        clinic, clinician, planned_weekly_hours="22", hours_override_reason="Step-down from PHP: taper over 2 weeks"))
    assert response.status_code == 302
    assert EpisodeOfCare.objects.get().hours_override_reason == "Step-down from PHP: taper over 2 weeks"


def test_a_missing_required_consent_is_named(client, intake, clinic, clinician, assessed_referral):
    client.force_login(intake)
    data = admission(clinic, clinician)
    del data["consent_part2_notice"]
    response = client.post(url(assessed_referral), data)
    assert response.status_code == 200
    assert "Missing: 42 CFR Part 2 patient notice received." in response.text
    assert not EpisodeOfCare.objects.exists()
    assert 'value="F10.20"' in response.text


def test_bad_diagnosis_rows_are_named(client, intake, clinic, clinician, assessed_referral):
    client.force_login(intake)
    response = client.post(url(assessed_referral), admission(clinic, clinician, dx_code_1="depression"))
    assert "is not an ICD-10-CM code" in response.text
    response = client.post(url(assessed_referral), admission(clinic, clinician, dx_primary="2"))
    assert "Diagnosis 3 is empty" in response.text
    assert not EpisodeOfCare.objects.exists()


def test_a_medicare_referral_needs_the_certification_block(client, intake, clinic, clinician, assessed_referral):
    intake_services.verify_insurance(actor=intake, referral=assessed_referral,
                                     insurance_kind="medicare", payer_name="Medicare")
    client.force_login(intake)
    assert "Medicare physician certification" in client.get(url(assessed_referral)).text
    response = client.post(url(assessed_referral), admission(clinic, clinician))
    assert response.status_code == 200
    assert "Name the certifying physician." in response.text
    assert "at least 9 hours a week are needed" in response.text
    assert not EpisodeOfCare.objects.exists()
    today = timezone.localdate()
    response = client.post(url(assessed_referral), admission(
        clinic, clinician, medicare_physician_name="Dr. Ana Ruiz", medicare_physician_npi="1234567893",
        medicare_certified_on=today.isoformat(), medicare_nine_hours="on"))
    assert response.status_code == 302
    certification = MedicareCertification.objects.get()
    assert certification.recertification_due_on == today + dt.timedelta(days=60)
    assert certification.physician_npi == "1234567893"


def test_a_successful_admission_opens_the_chart_with_history_and_consents(client, intake, clinic, clinician, assessed_referral):
    client.force_login(intake)
    response = client.post(url(assessed_referral), admission(clinic, clinician))
    episode = EpisodeOfCare.objects.get()
    patient = episode.patient
    assert response.status_code == 302
    assert response["Location"] == f"/clinic/patients/{patient.mrn}/"
    assessed_referral.refresh_from_db()
    assert assessed_referral.stage == "admitted"
    assert episode.planned_weekly_hours == 12
    assert episode.expected_length_of_stay_days == 56
    assert set(AdmissionConsent.objects.values_list("kind", flat=True)) == {"treatment", "privacy_notice", "part2_notice"}
    assert episode.diagnoses.get(is_primary=True).icd10_code == "F10.20"
    page = client.get(response["Location"]).text
    assert "is admitted to Adult substance-use IOP" in page
    assert "Consent to treatment: signed" in page
    # Clinical history is for the clinician.
    client.force_login(clinician)
    chart = client.get(response["Location"]).text
    assert "Level-of-care history" in chart
    assert "Admitted at Intensive outpatient (IOP)" in chart
    assert "Change level of care" in chart
    census = client.get("/clinic/census/").text
    assert "Morrow, Casey" in census
    assert "12.0" in census


def test_a_care_team_row_needs_both_parts(client, intake, clinic, clinician, director, assessed_referral):
    client.force_login(intake)
    response = client.post(url(assessed_referral), admission(clinic, clinician, team_role_0="case_manager"))
    assert "Choose the staff member, or clear the role." in response.text
    client.post(url(assessed_referral), admission(clinic, clinician, team_user_0=str(director.pk), team_role_0="case_manager"))
    roles = set(EpisodeOfCare.objects.get().care_team.values_list("user__username", "role"))
    assert roles == {("clinician", "primary"), ("director", "case_manager")}


def test_it_offers_a_possible_duplicate_and_reuses_that_patient(client, intake, clinic, clinician, assessed_referral):
    existing = make_patient(organization=clinic["organization"], program=clinic["mh"], legal_first_name="Casey",
                            legal_last_name="Morrow", date_of_birth=dt.date(1985, 2, 3), phone="555-0199")
    client.force_login(intake)
    html = client.get(url(assessed_referral)).text
    assert "Is this the same person as an existing patient?" in html
    assert f"MRN {existing.mrn}" in html
    response = client.post(url(assessed_referral), admission(clinic, clinician, same_person=str(existing.pk)))
    assert response.status_code == 302
    assert Patient.objects.count() == 1
    assert EpisodeOfCare.objects.get().patient == existing


def test_a_referral_that_is_not_assessed_cannot_be_admitted(client, intake, referral):
    client.force_login(intake)
    response = client.get(url(referral))
    assert response.status_code == 200
    assert "Not ready to admit" in response.text
    assert 'name="planned_weekly_hours"' not in response.text
    client.post(url(referral), {"planned_weekly_hours": "9"})
    assert not EpisodeOfCare.objects.exists()


@pytest.mark.parametrize("persona_name", ["front_desk", "biller", "outsider", "privacy_officer"])
def test_others_get_not_found(client, persona, persona_name, assessed_referral):
    client.force_login(persona(persona_name))
    assert client.get(url(assessed_referral)).status_code == 404


# Level-of-care changes

def loc_url(patient):
    return f"/clinic/patients/{patient.mrn}/level-of-care/"


def test_a_clinician_records_a_step_up_and_the_chart_shows_the_history(client, clinician, patient_record):
    client.force_login(clinician)
    episode = patient_record.episodes.get()
    assert client.get(loc_url(patient_record)).status_code == 200
    response = client.post(loc_url(patient_record), {
        "episode": str(episode.pk), "to_level": "php", "changed_on": timezone.localdate().isoformat(),
        "reason": "New withdrawal symptoms; needs daily monitoring",
    })
    assert response.status_code == 302
    change = LevelOfCareChange.objects.get(from_level="iop")
    assert (change.to_level, change.clinician) == ("php", clinician)
    episode.refresh_from_db()
    assert episode.level_of_care == "php"
    chart = client.get(f"/clinic/patients/{patient_record.mrn}/").text
    assert "Intensive outpatient (IOP) → Partial hospitalization / high-intensity outpatient" in chart
    assert "Level of care changed from Intensive outpatient (IOP)" in chart  # the timeline


def test_a_level_change_without_a_reason_is_named_and_kept(client, clinician, patient_record):
    client.force_login(clinician)
    episode = patient_record.episodes.get()
    response = client.post(loc_url(patient_record), {
        "episode": str(episode.pk), "to_level": "op", "changed_on": timezone.localdate().isoformat(), "reason": "",
    })
    assert response.status_code == 200
    assert "Give the clinical reason for the change." in response.text
    assert '<option value="op" selected>' in response.text
    assert not LevelOfCareChange.objects.filter(to_level="op").exists()


@pytest.mark.parametrize("persona_name", ["outsider", "intake", "front_desk", "biller"])
def test_level_changes_are_not_found_for_others(client, persona, persona_name, patient_record):
    client.force_login(persona(persona_name))
    assert client.get(loc_url(patient_record)).status_code == 404


def test_the_director_may_change_a_level_and_sees_the_link(client, director, patient_record):
    client.force_login(director)
    assert "Change level of care" in client.get(f"/clinic/patients/{patient_record.mrn}/").text
    assert client.get(loc_url(patient_record)).status_code == 200


def test_front_desk_sees_consents_but_not_the_level_history(client, front_desk, intake, clinic, patient_record):
    from openiop.care import services as care

    episode = patient_record.episodes.get()
    care.record_admission_consent(actor=intake, episode=episode, kind="treatment", signed_on=dt.date(2026, 10, 1))
    client.force_login(front_desk)
    chart = client.get(f"/clinic/patients/{patient_record.mrn}/").text
    assert "Consent to treatment: signed 2026-10-01" in chart
    assert "Level-of-care history" not in chart
    assert "Change level of care" not in chart


def test_admitted_elsewhere_shows_in_census_for_director(client, director, clinic):
    other = make_patient(organization=clinic["organization"], program=clinic["mh"], legal_last_name="Okafor")
    admit(patient=other, program=clinic["mh"])
    client.force_login(director)
    assert "Okafor" in client.get("/clinic/census/").text



def test_every_problem_shows_in_one_round(client, intake, clinic, clinician, assessed_referral):
    client.force_login(intake)
    data = admission(clinic, clinician, planned_weekly_hours="25", dx_code_0="", dx_description_0="",
                     dx_code_1="", dx_description_1="", primary_clinician="")
    del data["consent_treatment"]
    html = client.post(url(assessed_referral), data).text
    assert "outside this program&#x27;s 9-19 hours a week" in html
    assert "Record at least one diagnosis (ICD-10-CM)." in html
    assert "Missing: Consent to treatment." in html
    assert "Choose the primary clinician." in html
    assert not EpisodeOfCare.objects.exists()


def test_choosing_another_program_shows_its_clinicians_and_keeps_what_was_typed(client, intake, clinic, clinician, outsider, assessed_referral):
    client.force_login(intake)
    data = admission(clinic, clinician, program=str(clinic["mh"].pk), action="program")
    html = client.post(url(assessed_referral), data).text
    assert not EpisodeOfCare.objects.exists()
    primary = html[html.index('name="primary_clinician"'):]
    primary = primary[:primary.index("</select>")]
    assert outsider.display_name in primary and clinician.display_name not in primary
    assert "Adult mental-health IOP plans 9–19 hours a week" in html
    assert 'value="F32.1"' in html
    assert "Nothing was saved yet" not in html
    # The mental-health program is not a Part 2 program: its notice is not required.
    assert "42 CFR Part 2 patient notice received <span class=\"optional\">(required)</span>" not in html
