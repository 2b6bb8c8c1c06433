import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from openiop.audit.models import AuditEvent
from openiop.care.models import LevelOfCareChange
from openiop.intake import services
from openiop.intake.models import Referral
from openiop.worklist.models import Task
from tests.intake.conftest import ASAM_RATINGS, REQUIRED_CONSENTS

pytestmark = pytest.mark.django_db


def test_it_labels_a_substance_use_referral_part2_from_its_first_save(referral):
    assert referral.security_labels[:2] == ["R", "42CFRPart2"]


def test_it_labels_a_referral_without_a_program_part2_when_the_clinic_runs_a_part2_program(clinic):
    referral = services.create_referral(
        actor=None, organization=clinic["organization"], from_public_request=True,
        first_name="Sky", last_name="Ng", phone="555-0101",
    )
    assert referral.is_part2


def test_it_refuses_a_future_date_of_birth_naming_the_field(clinic, intake):
    with pytest.raises(ValidationError) as error:
        services.create_referral(
            actor=intake, organization=clinic["organization"], first_name="A", last_name="B",
            phone="555-0101", date_of_birth=dt.date.today() + dt.timedelta(days=3),
        )
    assert "date_of_birth" in error.value.message_dict


def test_it_moves_a_referral_only_along_the_pipeline(referral, intake):
    with pytest.raises(ValidationError):
        services.move_referral(actor=intake, referral=referral, to_stage="assessed")
    services.move_referral(actor=intake, referral=referral, to_stage="contacted")
    referral.refresh_from_db()
    assert referral.stage == "contacted"
    assert referral.first_contact_at is not None
    assert [e.to_stage for e in referral.events.all()] == ["inquiry", "contacted"]


def test_it_closes_with_a_reason_and_asks_where_to_when_referred_elsewhere(referral, intake):
    with pytest.raises(ValidationError) as error:
        services.close_referral(actor=intake, referral=referral, reason="other_level")
    assert "note" in error.value.message_dict
    services.close_referral(actor=intake, referral=referral, reason="other_level", note="Residential at Hillside")
    assert Referral.objects.get().stage == "closed"


def test_a_positive_safety_answer_alerts_the_programs_clinicians_at_once(referral, clinician, outsider, director):
    services.record_screening(
        actor=clinician, referral=referral, presenting_problems="Drinking daily, low mood",
        suicidal_thoughts="yes", suicide_plan_or_intent="no", recent_suicide_attempt="no",
        violence_risk="no",
    )
    alerted = {task.assignee.username for task in Task.objects.filter(urgent=True)}
    assert alerted == {"clinician", "director"}
    assert "Thoughts of suicide" in Task.objects.first().detail


def test_it_keeps_screening_and_assessments_from_front_desk(referral, clinician, front_desk):
    from openiop.intake.models import Screening

    services.record_screening(
        actor=clinician, referral=referral, presenting_problems="x", suicidal_thoughts="no",
        suicide_plan_or_intent="no", recent_suicide_attempt="no", violence_risk="no",
    )
    assert Referral.objects.visible_to(front_desk).exists()
    assert not Screening.objects.visible_to(front_desk).exists()
    assert Screening.objects.visible_to(clinician).exists()


def test_it_hides_referrals_from_clinicians_of_other_programs(referral, outsider, clinician):
    assert not Referral.objects.visible_to(outsider).exists()
    assert Referral.objects.visible_to(clinician).exists()


@pytest.mark.parametrize("rating", [-1, 5])
def test_it_refuses_an_asam_rating_outside_0_to_4(referral, clinician, rating):
    ratings = dict(ASAM_RATINGS, d1={"rating": rating, "rationale": "x"})
    with pytest.raises(ValidationError) as error:
        services.sign_assessment(actor=clinician, referral=referral, framework="asam3",
                                 ratings=ratings, recommended_level="2.1", actual_level="2.1")
    assert "rating_d1" in error.value.message_dict


def test_it_requires_a_reason_when_the_decided_level_differs_from_the_recommended(referral, clinician):
    with pytest.raises(ValidationError) as error:
        services.sign_assessment(actor=clinician, referral=referral, framework="asam3",
                                 ratings=ASAM_RATINGS, recommended_level="2.5", actual_level="2.1")
    assert "variance_reason" in error.value.message_dict


def test_a_top_rating_in_dimensions_1_to_3_is_flagged_for_review_not_placed(referral, clinician):
    ratings = dict(ASAM_RATINGS, d2={"rating": 4, "rationale": "Unstable cardiac condition"})
    assessment = services.sign_assessment(
        actor=clinician, referral=referral, framework="asam3", ratings=ratings,
        recommended_level="3.7", actual_level="2.1", variance_reason="Patient declines inpatient; medical follow-up arranged",
    )
    assert "more intensive setting than IOP" in assessment.escalations[0]["message"]
    assert assessment.actual_level == "2.1"


def test_it_admits_an_assessed_referral_into_a_new_patient_with_an_episode(assessed_referral, intake, clinician, clinic):
    episode = services.admit_referral(
        actor=intake, referral=assessed_referral, program=clinic["sud"], admitted_on=dt.date(2026, 11, 2),
        planned_weekly_hours=9, primary_clinician=clinician, consents=REQUIRED_CONSENTS,
        diagnoses=[{"icd10_code": "F10.20", "description": "Alcohol dependence, uncomplicated", "is_primary": True}],
    )
    assessed_referral.refresh_from_db()
    assert assessed_referral.stage == "admitted"
    patient = episode.patient
    assert patient.legal_last_name == "Morrow"
    assert patient.coverages.get().payer_name == "Acme Health"
    assert episode.care_team.get().user == clinician
    assert LevelOfCareChange.objects.get(episode=episode).to_level == "iop"
    assert AuditEvent.objects.filter(patient=patient, action="create").count() >= 6


def test_it_requires_a_reason_for_planned_hours_outside_the_band(assessed_referral, intake, clinician, clinic):
    with pytest.raises(ValidationError) as error:
        services.admit_referral(
            actor=intake, referral=assessed_referral, program=clinic["sud"], admitted_on=dt.date(2026, 11, 2),
            planned_weekly_hours=22, primary_clinician=clinician, consents=REQUIRED_CONSENTS,
            diagnoses=[{"icd10_code": "F10.20", "description": "Alcohol dependence", "is_primary": True}],
        )
    assert "hours_override_reason" in error.value.message_dict


def test_it_names_a_missing_required_consent(assessed_referral, intake, clinician, clinic):
    with pytest.raises(ValidationError) as error:
        services.admit_referral(
            actor=intake, referral=assessed_referral, program=clinic["sud"], admitted_on=dt.date(2026, 11, 2),
            planned_weekly_hours=9, primary_clinician=clinician, consents=REQUIRED_CONSENTS[:2],
            diagnoses=[{"icd10_code": "F10.20", "description": "Alcohol dependence", "is_primary": True}],
        )
    assert "42 CFR Part 2 patient notice" in error.value.message_dict["consents"][0]


def test_medicare_admission_needs_and_records_the_physician_certification(assessed_referral, intake, clinician, clinic):
    services.verify_insurance(actor=intake, referral=assessed_referral, insurance_kind="medicare", payer_name="Medicare")
    arguments = {
        "actor": intake, "referral": assessed_referral, "program": clinic["sud"], "admitted_on": dt.date(2026, 11, 2),
        "planned_weekly_hours": 9, "primary_clinician": clinician, "consents": REQUIRED_CONSENTS,
        "diagnoses": [{"icd10_code": "F10.20", "description": "Alcohol dependence", "is_primary": True}],
    }
    with pytest.raises(ValidationError) as error:
        services.admit_referral(**arguments)
    assert "medicare_certification" in error.value.message_dict
    episode = services.admit_referral(**arguments, medicare_certification={
        "certified_on": dt.date(2026, 11, 1), "physician_name": "Dr. Ruth Ames",
        "needs_at_least_nine_hours": True,
    })
    assert episode.certifications.get().recertification_due_on == dt.date(2026, 12, 31)


def test_it_records_a_step_down_in_the_level_of_care_history(assessed_referral, intake, clinician, clinic):
    from openiop.care import services as care

    episode = services.admit_referral(
        actor=intake, referral=assessed_referral, program=clinic["sud"], admitted_on=dt.date(2026, 11, 2),
        planned_weekly_hours=9, primary_clinician=clinician, consents=REQUIRED_CONSENTS,
        diagnoses=[{"icd10_code": "F10.20", "description": "Alcohol dependence", "is_primary": True}],
    )
    care.change_level_of_care(actor=clinician, episode=episode, to_level="op",
                              changed_on=dt.date(2026, 11, 20), reason="Stable for 3 weeks; PHQ-9 improved")
    episode.refresh_from_db()
    assert episode.level_of_care == "op"
    assert [c.to_level for c in episode.level_changes.all()] == ["iop", "op"]


def test_it_finds_possible_duplicates_among_patients_and_open_referrals(referral, clinic, patient_record, intake):
    from openiop.intake.queries import possible_duplicates

    twin = services.create_referral(
        actor=None, organization=clinic["organization"], first_name="Casey", last_name="Morrow",
        date_of_birth=dt.date(1985, 2, 3), phone="555-0199",
    )
    _patients, referrals = possible_duplicates(twin, intake)
    assert referrals == [referral]
    same_phone = services.create_referral(
        actor=None, organization=clinic["organization"], first_name="Q", last_name="R",
        phone=patient_record.phone,
    )
    assert possible_duplicates(same_phone, intake)[0] == [patient_record]


def test_the_safety_alert_stays_on_the_clinicians_home_page(client, referral, clinician):
    services.record_screening(
        actor=clinician, referral=referral, presenting_problems="x", suicidal_thoughts="yes",
        suicide_plan_or_intent="yes", recent_suicide_attempt="no", violence_risk="no",
    )
    client.force_login(clinician)
    html = client.get("/clinic/").text
    assert "Needs your attention" in html
    assert "Safety: screening of Casey Morrow answered yes" in html


def test_the_admission_level_is_credited_to_the_clinician_who_decided_it(assessed_referral, intake, clinician, clinic):
    episode = services.admit_referral(
        actor=intake, referral=assessed_referral, program=clinic["sud"], admitted_on=dt.date(2026, 11, 2),
        planned_weekly_hours=9, primary_clinician=clinician, consents=REQUIRED_CONSENTS,
        diagnoses=[{"icd10_code": "F10.20", "description": "Alcohol dependence", "is_primary": True}],
    )
    assert episode.level_changes.get().clinician == clinician


def test_a_missed_call_is_not_a_first_contact(referral, intake):
    services.add_referral_note(actor=intake, referral=referral, note="No answer; no voicemail per preference")
    referral.refresh_from_db()
    assert referral.first_contact_at is None
    services.add_referral_note(actor=intake, referral=referral, note="Spoke with Casey", reached=True)
    referral.refresh_from_db()
    assert referral.first_contact_at is not None


def test_possible_duplicates_never_reveal_a_patient_the_user_cannot_see(clinic, patient_record, outsider):
    from openiop.intake.queries import possible_duplicates

    same_phone = services.create_referral(
        actor=None, organization=clinic["organization"], program=clinic["mh"],
        first_name="Q", last_name="R", phone=patient_record.phone,
    )
    assert possible_duplicates(same_phone, outsider)[0] == []
