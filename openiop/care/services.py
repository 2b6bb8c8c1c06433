"""Writes to episodes of care, diagnoses and care teams."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import (
    CareTeamMember,
    CareTeamRole,
    Diagnosis,
    DischargeReason,
    EpisodeOfCare,
    EpisodeStatus,
)


@transaction.atomic
def admit_patient(*, actor, patient, program, admitted_on: dt.date) -> EpisodeOfCare:
    """Open an episode of care in `program`, labelled for that program (Part 2 or not).

    Refuses a second current episode in the same program.
    Side effects: one `create` audit event.
    """
    if EpisodeOfCare.objects.filter(
        patient=patient, program=program, status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.ONHOLD]
    ).exists():
        raise ValidationError({"program": f"{patient.display_name} is already in {program}."})
    episode = EpisodeOfCare(
        patient=patient, program=program, admitted_on=admitted_on, status=EpisodeStatus.ACTIVE
    )
    episode.label_for_program(program)
    episode.full_clean()
    episode.save()
    audit.record(user=actor, action=Action.CREATE, patient=patient, obj=episode)
    return episode


@transaction.atomic
def discharge_patient(
    *, actor, episode: EpisodeOfCare, discharged_on: dt.date, reason: str
) -> EpisodeOfCare:
    """Close an episode. Side effects: one `change` audit event."""
    if not episode.is_current:
        raise ValidationError({"episode": "This episode has already ended."})
    if discharged_on < episode.admitted_on:
        raise ValidationError({"discharged_on": "The discharge date is before the admission date."})
    if reason not in DischargeReason.values:
        raise ValidationError({"reason": f"Unknown discharge reason {reason!r}."})
    episode.status = EpisodeStatus.FINISHED
    episode.discharged_on = discharged_on
    episode.discharge_reason = reason
    episode.save(update_fields=["status", "discharged_on", "discharge_reason"])
    CareTeamMember.objects.filter(episode=episode, end_date__isnull=True).update(end_date=discharged_on)
    audit.record(
        user=actor, action=Action.CHANGE, patient=episode.patient, obj=episode,
        detail={"fields": ["status", "discharged_on", "discharge_reason"]},
    )
    return episode


@transaction.atomic
def add_diagnosis(
    *, actor, episode: EpisodeOfCare, icd10_code: str, description: str,
    is_primary: bool = False, recorded_on: dt.date, onset_date: dt.date | None = None,
) -> Diagnosis:
    """Record a diagnosis for the episode. Side effects: one `create` audit event."""
    diagnosis = Diagnosis(
        patient=episode.patient, episode=episode, icd10_code=icd10_code.upper(),
        description=description, is_primary=is_primary, recorded_on=recorded_on,
        onset_date=onset_date,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    diagnosis.label_for_program(episode.program)
    diagnosis.full_clean()
    diagnosis.save()
    audit.record(user=actor, action=Action.CREATE, patient=episode.patient, obj=diagnosis)
    return diagnosis


@transaction.atomic
def assign_care_team_member(
    *, actor, episode: EpisodeOfCare, user, role: str, start_date: dt.date
) -> CareTeamMember:
    """Put a staff member on the patient's care team. Side effects: one `create` audit event."""
    if role not in CareTeamRole.values:
        raise ValidationError({"role": f"Unknown care team role {role!r}."})
    if not user.is_clinic_staff:
        raise ValidationError({"user": "Only clinic staff can be on a care team."})
    member = CareTeamMember(episode=episode, user=user, role=role, start_date=start_date)
    member.label_for_program(episode.program)
    member.full_clean()
    member.save()
    audit.record(user=actor, action=Action.CREATE, patient=episode.patient, obj=member)
    return member
