import datetime as dt

import pytest

from tests.factories.clinic import admit, make_patient


@pytest.fixture
def mental_health_patient(other_patient_user):
    """Registered by and admitted to the mental-health program only (no Part 2 records)."""
    return other_patient_user.patient


@pytest.fixture
def mixed_patient(clinic, clinician):
    """Registered by the mental-health program, later also admitted to the Part 2 program."""
    patient = make_patient(
        organization=clinic["organization"], program=clinic["mh"],
        legal_first_name="Rowan", legal_last_name="Diaz", date_of_birth=dt.date(1985, 8, 9),
    )
    admit(patient=patient, program=clinic["mh"], admitted_on=dt.date(2026, 6, 1))
    admit(
        patient=patient, program=clinic["sud"], clinician=clinician,
        admitted_on=dt.date(2026, 9, 1),
    )
    return patient


ASAM3_RATINGS = {
    f"d{n}": {"rating": rating, "rationale": f"Dimension {n}: history and here-and-now reviewed."}
    for n, rating in zip(range(1, 7), (1, 0, 2, 2, 3, 2), strict=True)
}
ADMISSION_CONSENTS = ("treatment", "privacy_notice", "part2_notice", "telehealth")


def admit_through_intake(*, clinic, intake, clinician, program_key="sud", last_name="Morrow"):
    """A referral taken from inquiry through a signed ASAM assessment to admission."""
    from openiop.intake import services as intake_services

    program = clinic[program_key]
    referral = intake_services.create_referral(
        actor=intake, organization=clinic["organization"], program=program, source="ed",
        referrer_name="Dr. Lane", first_name="Casey", last_name=last_name,
        date_of_birth=dt.date(1985, 2, 3), phone="555-0142", insurance_kind="commercial",
        payer_name="Acme Health", member_id="AH-1",
    )
    intake_services.move_referral(actor=intake, referral=referral, to_stage="contacted")
    intake_services.move_referral(actor=intake, referral=referral, to_stage="assessment_scheduled")
    intake_services.sign_assessment(
        actor=clinician, referral=referral, framework="asam3", ratings=ASAM3_RATINGS,
        recommended_level="2.5", actual_level="2.1",
        variance_reason="Works days; evening IOP with weekly individual sessions",
    )
    referral.refresh_from_db()
    consents = [
        {"kind": kind, "signed_on": dt.date(2026, 11, 2)} for kind in ADMISSION_CONSENTS
        if kind != "part2_notice" or program.is_part2
    ]
    return intake_services.admit_referral(
        actor=intake, referral=referral, program=program, admitted_on=dt.date(2026, 11, 2),
        planned_weekly_hours="10.5", expected_length_of_stay_days=56, primary_clinician=clinician,
        consents=consents, diagnoses=[{
            "icd10_code": "F10.20", "description": "Alcohol dependence, uncomplicated",
            "is_primary": True,
        }],
    )


@pytest.fixture
def admitted_episode(clinic, intake, clinician):
    """An episode of the Part 2 program opened by admitting an assessed referral."""
    return admit_through_intake(clinic=clinic, intake=intake, clinician=clinician)
