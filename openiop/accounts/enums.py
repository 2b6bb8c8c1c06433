from django.db import models


class Role(models.TextChoices):
    """What a person does at the clinic; it decides navigation and which parts of a chart they see."""

    DIRECTOR = "director", "Clinical director"
    CLINICIAN = "clinician", "Clinician"
    PRESCRIBER = "prescriber", "Prescriber / nurse"
    INTAKE = "intake", "Intake coordinator"
    FRONT_DESK = "frontdesk", "Front desk"
    BILLING = "billing", "Billing / utilization review"
    PRIVACY = "privacy", "Privacy officer"
    ADMIN = "admin", "System administrator"
    PATIENT = "patient", "Patient"
    FAMILY = "family", "Family member"


STAFF_ROLES = frozenset(
    {
        Role.DIRECTOR,
        Role.CLINICIAN,
        Role.PRESCRIBER,
        Role.INTAKE,
        Role.FRONT_DESK,
        Role.BILLING,
        Role.PRIVACY,
        Role.ADMIN,
    }
)
PORTAL_ROLES = frozenset({Role.PATIENT, Role.FAMILY})
# Roles that treat patients: they see clinical content of their care teams and programs
# and may break the glass in an emergency.
TREATING_ROLES = frozenset({Role.CLINICIAN, Role.PRESCRIBER})
# Roles that open patient charts in the clinic (each sees the sections patients/rules.py allows).
CHART_ROLES = frozenset(
    {Role.DIRECTOR, Role.CLINICIAN, Role.PRESCRIBER, Role.INTAKE, Role.FRONT_DESK, Role.BILLING}
)
# Roles that review emergency access and read access reports.
PRIVACY_ROLES = frozenset({Role.PRIVACY, Role.DIRECTOR})
