"""Which parts of a patient's record each role may see. Decided here, once.

`visible_to(user)` (queries.py) decides *whether* a person can see a patient at all;
`chart_sections(user)` decides *which parts* of a visible record they see.
"""

from openiop.accounts.enums import Role

DEMOGRAPHICS = "demographics"
CONTACT = "contact"
COVERAGE = "coverage"
CLINICAL = "clinical"
BILLING = "billing"

SECTIONS_BY_ROLE = {
    Role.DIRECTOR: frozenset({DEMOGRAPHICS, CONTACT, COVERAGE, CLINICAL, BILLING}),
    Role.CLINICIAN: frozenset({DEMOGRAPHICS, CONTACT, COVERAGE, CLINICAL}),
    Role.PRESCRIBER: frozenset({DEMOGRAPHICS, CONTACT, COVERAGE, CLINICAL}),
    # Intake and front desk register, contact and schedule people; no clinical content.
    Role.INTAKE: frozenset({DEMOGRAPHICS, CONTACT, COVERAGE}),
    Role.FRONT_DESK: frozenset({DEMOGRAPHICS, CONTACT, COVERAGE}),
    Role.BILLING: frozenset({DEMOGRAPHICS, COVERAGE, BILLING}),
    Role.PATIENT: frozenset({DEMOGRAPHICS, CONTACT, COVERAGE, CLINICAL}),
    Role.FAMILY: frozenset({DEMOGRAPHICS}),
}


def chart_sections(user) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    return SECTIONS_BY_ROLE.get(user.role, frozenset())


def can_see_clinical(user) -> bool:
    return CLINICAL in chart_sections(user)


def can_break_glass(user) -> bool:
    """Only people who treat patients may open a chart outside their care team in an emergency."""
    return user.is_authenticated and user.treats_patients
