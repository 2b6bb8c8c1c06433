"""Personas: the people every access test is written about.

One organization with a substance-use program (42 CFR Part 2) and a mental-health program.
`patient_record` is in the substance-use program with `clinician` as primary clinician.
`outsider` is a clinician of the mental-health program, not on the care team: they get 404
for that patient unless they break the glass.
"""

import datetime as dt
import os

import pytest

os.environ.setdefault("OPENIOP_TESTING", "1")

from openiop.accounts.enums import Role
from tests.factories.clinic import (
    TEST_PASSWORD,
    ProgramFactory,
    SiteFactory,
    UserFactory,
    admit,
    make_patient,
)


@pytest.fixture
def clinic(db):
    site = SiteFactory(name="Main Street")
    organization = site.organization
    sud = ProgramFactory(site=site, name="Adult substance-use IOP", code="sud-evening", is_part2=True)
    mh = ProgramFactory(
        site=site, name="Adult mental-health IOP", code="mh-morning", kind="mh", is_part2=False
    )
    return {"organization": organization, "site": site, "sud": sud, "mh": mh}


def _staff(clinic, username, role, programs=()):
    user = UserFactory(username=username, role=role, organization=clinic["organization"])
    if programs:
        user.programs.set(programs)
    return user


@pytest.fixture
def clinician(clinic):
    """On the care team of `patient_record`, working in the substance-use program."""
    return _staff(clinic, "clinician", Role.CLINICIAN, [clinic["sud"]])


@pytest.fixture
def outsider(clinic):
    """A clinician of the mental-health program, not on `patient_record`'s care team."""
    return _staff(clinic, "outsider", Role.CLINICIAN, [clinic["mh"]])


@pytest.fixture
def director(clinic):
    return _staff(clinic, "director", Role.DIRECTOR)


@pytest.fixture
def front_desk(clinic):
    return _staff(clinic, "frontdesk", Role.FRONT_DESK)


@pytest.fixture
def intake(clinic):
    return _staff(clinic, "intake", Role.INTAKE)


@pytest.fixture
def biller(clinic):
    return _staff(clinic, "billing", Role.BILLING)


@pytest.fixture
def privacy_officer(clinic):
    return _staff(clinic, "privacy", Role.PRIVACY)


@pytest.fixture
def admin_user(clinic):
    return _staff(clinic, "sysadmin", Role.ADMIN)


@pytest.fixture
def patient_record(clinic, clinician):
    patient = make_patient(
        organization=clinic["organization"], program=clinic["sud"],
        legal_first_name="Avery", legal_last_name="Quinlan", preferred_name="Ave",
        date_of_birth=dt.date(1990, 5, 17),
    )
    episode = admit(patient=patient, program=clinic["sud"], clinician=clinician)
    from openiop.care import services

    services.add_diagnosis(
        actor=None, episode=episode, icd10_code="F10.20",
        description="Alcohol dependence, uncomplicated", is_primary=True,
        recorded_on=dt.date(2026, 10, 1),
    )
    from openiop.patients import services as patient_services

    patient_services.add_coverage(
        actor=None, patient=patient, kind="medicaid", payer_name="State Medicaid",
        member_id="MCD123456",
    )
    return patient


@pytest.fixture
def patient_user(clinic, patient_record):
    """The login of `patient_record` (the patient persona)."""
    return UserFactory(
        username="patient", role=Role.PATIENT, organization=clinic["organization"],
        patient=patient_record,
    )


@pytest.fixture
def other_patient_user(clinic):
    """Another patient of the clinic, with their own login."""
    other = make_patient(
        organization=clinic["organization"], program=clinic["mh"],
        legal_first_name="Blake", legal_last_name="Osei", date_of_birth=dt.date(1979, 1, 2),
    )
    admit(patient=other, program=clinic["mh"])
    return UserFactory(
        username="otherpatient", role=Role.PATIENT, organization=clinic["organization"],
        patient=other,
    )


@pytest.fixture
def family_user(clinic, patient_record):
    from openiop.patients import services

    user = UserFactory(username="family", role=Role.FAMILY, organization=clinic["organization"])
    services.add_family_member(
        actor=None, patient=patient_record, user=user, name="Robin Quinlan",
        relationship="spouse", portal_consent_on=dt.date(2026, 10, 1),
    )
    return user


PERSONAS = [
    "clinician", "outsider", "director", "front_desk", "intake", "biller",
    "privacy_officer", "admin_user", "patient_user", "other_patient_user", "family_user",
    "anonymous",
]


@pytest.fixture
def persona(request):
    """Resolve a persona name (as used in parametrized tests) to a user, or None for anonymous."""

    def resolve(name):
        if name == "anonymous":
            return None
        return request.getfixturevalue(name)

    return resolve


@pytest.fixture
def login(client):
    """Log `user` in on the test client (no MFA needed in tests, see settings)."""

    def do_login(user):
        if user is not None:
            client.force_login(user)
        return client

    return do_login


@pytest.fixture(autouse=True)
def _settings_for_tests(settings):
    settings.OPENIOP_REQUIRE_STAFF_MFA = False
    settings.AXES_ENABLED = True


__all__ = ["TEST_PASSWORD"]
