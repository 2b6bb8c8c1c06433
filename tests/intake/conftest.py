import datetime as dt

import pytest

from openiop.intake import services


@pytest.fixture
def referral(clinic, intake):
    """An inquiry for the substance-use program, entered by the intake coordinator."""
    return services.create_referral(
        actor=intake, organization=clinic["organization"], program=clinic["sud"],
        source="ed", referrer_name="Dr. Lane", first_name="Casey", last_name="Morrow",
        date_of_birth=dt.date(1985, 2, 3), phone="555-0142", insurance_kind="commercial",
        payer_name="Acme Health", member_id="AH-1",
    )


ASAM_RATINGS = {f"d{n}": {"rating": 2, "rationale": "History and here-and-now reviewed."} for n in range(1, 7)}


@pytest.fixture
def assessed_referral(referral, intake, clinician):
    services.move_referral(actor=intake, referral=referral, to_stage="contacted")
    services.move_referral(actor=intake, referral=referral, to_stage="assessment_scheduled")
    services.sign_assessment(
        actor=clinician, referral=referral, framework="asam3", ratings=ASAM_RATINGS,
        recommended_level="2.1", actual_level="2.1",
    )
    referral.refresh_from_db()
    return referral


REQUIRED_CONSENTS = [
    {"kind": "treatment", "signed_on": dt.date(2026, 11, 2)},
    {"kind": "privacy_notice", "signed_on": dt.date(2026, 11, 2)},
    {"kind": "part2_notice", "signed_on": dt.date(2026, 11, 2)},
]
