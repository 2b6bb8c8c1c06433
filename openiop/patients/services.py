"""Writes to patient records. Views, commands and the demo loader all go through these."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.patients.models import Coverage, FamilyMember, Patient

MRN_PREFIX = "M"


@transaction.atomic
def register_patient(*, actor, organization, program=None, **fields) -> Patient:
    """Create a patient record with the next MRN.

    `program` is the program the person is being registered for: registration by a 42 CFR
    Part 2 program labels the record Part 2 from this moment (the fact that someone is a
    patient of a Part 2 program is itself protected).
    Side effects: one `create` audit event.
    """
    patient = Patient(organization=organization, mrn=uuid.uuid4().hex[:20], **fields)
    patient.label_for_program(program)
    patient.full_clean(exclude=["mrn"])
    patient.save()
    patient.mrn = f"{MRN_PREFIX}{patient.pk:07d}"
    patient.save(update_fields=["mrn"])
    audit.record(user=actor, action=Action.CREATE, patient=patient)
    return patient


# Fields staff may change after registration. Labels and the MRN are not among them: a Part 2
# label is never downgraded through an ordinary edit.
EDITABLE_PATIENT_FIELDS = frozenset({
    "legal_first_name", "legal_middle_name", "legal_last_name", "preferred_name", "pronouns",
    "date_of_birth", "sex_assigned_at_birth", "gender_identity", "language", "interpreter_needed",
    "phone", "email", "address_line", "city", "state", "postal_code", "preferred_contact",
    "ok_to_leave_message", "emergency_contact_name", "emergency_contact_relationship",
    "emergency_contact_phone",
})


@transaction.atomic
def update_patient_details(*, actor, patient: Patient, **changes) -> Patient:
    """Change demographic or contact fields. Side effects: one `change` audit event listing fields."""
    not_editable = set(changes) - EDITABLE_PATIENT_FIELDS
    if not_editable:
        raise ValidationError({field: "This field cannot be changed here." for field in sorted(not_editable)})
    changed = {}
    for field, value in changes.items():
        old = getattr(patient, field)
        if old != value:
            changed[field] = True
            setattr(patient, field, value)
    if changed:
        patient.full_clean()
        patient.save()
        audit.record(
            user=actor, action=Action.CHANGE, patient=patient,
            detail={"fields": sorted(changed)},
        )
    return patient


@transaction.atomic
def add_coverage(*, actor, patient: Patient, program=None, **fields) -> Coverage:
    """Record an insurance coverage. Side effects: one `create` audit event."""
    coverage = Coverage(patient=patient, **fields)
    coverage.label_for_program(program or patient.program_of_origin)
    coverage.full_clean()
    coverage.save()
    audit.record(user=actor, action=Action.CREATE, patient=patient, obj=coverage)
    return coverage


@transaction.atomic
def add_family_member(*, actor, patient: Patient, user=None, **fields) -> FamilyMember:
    """Record a family member or support person. Side effects: one `create` audit event."""
    member = FamilyMember(patient=patient, user=user, **fields)
    member.label_for_program(patient.program_of_origin)
    member.full_clean()
    member.save()
    audit.record(user=actor, action=Action.CREATE, patient=patient, obj=member)
    return member
