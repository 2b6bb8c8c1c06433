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
