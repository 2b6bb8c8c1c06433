"""Writes to episodes of care, diagnoses and care teams."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.care.models import (
    AdmissionConsent,
    CareTeamMember,
    CareTeamRole,
    ConsentKind,
    Diagnosis,
    DischargeReason,
    EpisodeOfCare,
    EpisodeStatus,
    LevelOfCareChange,
    MedicareCertification,
)


@transaction.atomic
def admit_patient(
    *, actor, patient, program, admitted_on: dt.date, level_of_care: str = "iop",
    planned_weekly_hours=None, hours_override_reason: str = "",
    expected_length_of_stay_days: int | None = None, referral=None, level_reason: str = "",
    level_decided_by=None,
) -> EpisodeOfCare:
    """Open an episode of care in `program`, labelled for that program (Part 2 or not).

    Refuses a second current episode in the same program. Records the admission level as the
    first entry of the level-of-care history. Side effects: `create` audit events; the
    availability given at intake becomes the patient's scheduling availability.
    """
    if EpisodeOfCare.objects.filter(
        patient=patient, program=program, status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.ONHOLD]
    ).exists():
        raise ValidationError({"program": f"{patient.display_name} is already in {program}."})
    if admitted_on > timezone.localdate() + dt.timedelta(days=60):
        raise ValidationError({"admitted_on": "The admission date is more than 60 days away."})
    episode = EpisodeOfCare(
        patient=patient, program=program, admitted_on=admitted_on, status=EpisodeStatus.ACTIVE,
        level_of_care=level_of_care, planned_weekly_hours=planned_weekly_hours,
        hours_override_reason=hours_override_reason.strip(),
        expected_length_of_stay_days=expected_length_of_stay_days, referral=referral,
    )
    episode.label_for_program(program)
    episode.full_clean()
    episode.save()
    audit.record(user=actor, action=Action.CREATE, patient=patient, obj=episode)
    clinician = level_decided_by or (actor if getattr(actor, "is_authenticated", False) else None)
    if clinician is not None:
        _record_level(actor=actor, clinician=clinician, episode=episode, changed_on=admitted_on,
                      from_level="", to_level=level_of_care, reason=level_reason or "Admission")
    _schedule_measures(episode, actor=actor)
    _open_plans(episode, actor=actor)
    _copy_availability(episode, actor=actor)
    return episode


def _copy_availability(episode, *, actor) -> None:
    # The free times given at intake become the patient's scheduling availability.
    from openiop.scheduling import availability

    availability.copy_from_screening(episode, by=actor)


def _open_plans(episode, *, actor) -> None:
    """The treatment and relapse-prevention plans start as drafts at admission (openiop/plans)."""
    from openiop.plans import services as plans

    plans.open_plans(actor=actor, episode=episode)


def _schedule_measures(episode, *, actor, discharged: bool = False) -> None:
    """Admission measures fall due on the admission day, discharge ones on the discharge day
    (the program's measurement schedule, openiop/measures)."""
    # Imported here: measures depends on care's models, and care calls into measures only here.
    from openiop.measures import services as measures

    if discharged:
        measures.schedule_after_discharge(episode, today=episode.discharged_on, actor=actor)
    else:
        measures.schedule_for_episode(episode, today=max(episode.admitted_on, timezone.localdate()), actor=actor)


def _record_level(*, actor, episode, changed_on, from_level, to_level, reason, clinician=None) -> LevelOfCareChange:
    change = LevelOfCareChange(
        episode=episode, patient=episode.patient, changed_on=changed_on, from_level=from_level,
        to_level=to_level, reason=reason, clinician=clinician or actor,
    )
    change.label_for_program(episode.program)
    change.full_clean()
    change.save()
    audit.record(user=actor, action=Action.CREATE, patient=episode.patient, obj=change)
    return change


@transaction.atomic
def change_level_of_care(
    *, actor, episode: EpisodeOfCare, to_level: str, changed_on: dt.date, reason: str
) -> LevelOfCareChange:
    """Record a step-up or step-down. The episode's level changes; the history keeps every step.

    Side effects: a `create` audit event for the change and a `change` event for the episode.
    """
    if not actor.treats_patients and actor.role != "director":
        raise ValidationError("A clinician records a change of level of care.")
    if not episode.is_current:
        raise ValidationError({"to_level": "This episode has ended."})
    if to_level == episode.level_of_care:
        raise ValidationError({"to_level": "That is the current level of care."})
    if changed_on < episode.admitted_on:
        raise ValidationError({"changed_on": "The date is before the admission."})
    if not reason.strip():
        raise ValidationError({"reason": "Give the clinical reason for the change."})
    change = _record_level(actor=actor, episode=episode, changed_on=changed_on,
                           from_level=episode.level_of_care, to_level=to_level, reason=reason.strip())
    episode.level_of_care = to_level
    episode.full_clean()
    episode.save(update_fields=["level_of_care"])
    audit.record(user=actor, action=Action.CHANGE, patient=episode.patient, obj=episode,
                 detail={"fields": ["level_of_care"]})
    # A level-of-care change makes the treatment plan due for review now (its intensity changes).
    from openiop.plans import services as plans

    plans.request_review(actor=actor, episode=episode, on=changed_on,
                         reason=f"Level of care changed to {episode.get_level_of_care_display()}")
    return change


@transaction.atomic
def record_medicare_certification(
    *, actor, episode: EpisodeOfCare, certified_on: dt.date, physician_name: str,
    needs_at_least_nine_hours: bool, physician_npi: str = "", is_recertification: bool = False,
    recertification_due_on: dt.date | None = None,
) -> MedicareCertification:
    """Record the physician's (re)certification that IOP is needed for at least 9 hours a week.

    The recertification falls due 60 days later unless a date is given (shared billing.md,
    domain.md section 2.1). Side effects: `create` audit event.
    """
    errors = {}
    if not needs_at_least_nine_hours:
        errors["needs_at_least_nine_hours"] = (
            "Medicare covers IOP only when a physician certifies at least 9 hours a week are needed."
        )
    if not physician_name.strip():
        errors["physician_name"] = "Name the certifying physician."
    if certified_on > timezone.localdate():
        errors["certified_on"] = "The certification date is in the future."
    if errors:
        raise ValidationError(errors)
    certification = MedicareCertification(
        episode=episode, patient=episode.patient, certified_on=certified_on,
        physician_name=physician_name.strip(), physician_npi=physician_npi.strip(),
        needs_at_least_nine_hours=True, is_recertification=is_recertification,
        recertification_due_on=recertification_due_on or certified_on + dt.timedelta(days=60),
        recorded_by=actor,
    )
    certification.label_for_program(episode.program)
    certification.full_clean()
    certification.save()
    audit.record(user=actor, action=Action.CREATE, patient=episode.patient, obj=certification)
    return certification


@transaction.atomic
def record_admission_consent(*, actor, episode: EpisodeOfCare, kind: str, signed_on: dt.date) -> AdmissionConsent:
    """Record a consent the patient signed at admission. Side effects: `create` audit event."""
    if kind not in ConsentKind.values:
        raise ValidationError({"kind": "Unknown consent."})
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": "The signature date is in the future."})
    consent = AdmissionConsent(episode=episode, patient=episode.patient, kind=kind,
                               signed_on=signed_on, recorded_by=actor)
    consent.label_for_program(episode.program)
    consent.full_clean()
    consent.save()
    audit.record(user=actor, action=Action.CREATE, patient=episode.patient, obj=consent)
    return consent


@transaction.atomic
def discharge_patient(
    *, actor, episode: EpisodeOfCare, discharged_on: dt.date, reason: str
) -> EpisodeOfCare:
    """Close an episode. Side effects: one `change` audit event; the patient leaves their group
    series and their one-to-one sessions after the discharge day are cancelled (scheduling)."""
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
    _schedule_measures(episode, actor=actor, discharged=True)
    _end_schedule(episode, actor=actor)
    return episode


def _end_schedule(episode, *, actor) -> None:
    # Group series end and one-to-one sessions after the discharge day are cancelled.
    from openiop.scheduling import services as scheduling

    scheduling.end_schedule_at_discharge(episode, by=actor)


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
