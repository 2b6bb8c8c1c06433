"""Writes for referrals, screening, level-of-care assessment and admission.

Every function takes keyword-only arguments, validates, writes, and records an audit event
(referral reads and writes are audited with the referral as the object, and the patient once
there is one). Validation errors name the field, so forms can show them next to it.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from openiop.accounts.enums import Role
from openiop.audit import services as audit
from openiop.audit.models import Action
from openiop.intake.enums import NEXT_STAGES, OPEN_STAGES, CloseReason, Stage
from openiop.intake.levels import FRAMEWORKS, escalations
from openiop.intake.models import LevelOfCareAssessment, Referral, ReferralEvent, Screening
from openiop.privacy.labels import PART2_LABELS, labels_for_program
from openiop.worklist import services as worklist
from openiop.worklist.models import TaskKind

REFERRAL_FIELDS = frozenset({
    "program", "source", "referrer_name", "referrer_organization", "referrer_phone",
    "first_name", "last_name", "preferred_name", "date_of_birth", "phone", "email",
    "preferred_contact", "best_time_to_contact", "ok_to_leave_message", "for_whom",
    "requester_name", "requester_relationship", "insurance_kind", "payer_name", "member_id",
    "group_number", "work_school_hours", "reason", "next_follow_up_on",
})


def _labels_for_referral(organization, program) -> list[str]:
    """Part 2 from the first save when the program is a Part 2 program. When no program is
    named yet, a request to an organization that runs a Part 2 program is labelled Part 2 too:
    asking a Part 2 program for help is itself protected, so the safer label wins."""
    if program is not None:
        return labels_for_program(program)
    if organization.programs.filter(is_part2=True).exists():
        return list(PART2_LABELS)
    return labels_for_program(None)


def _validate_person(referral: Referral) -> None:
    errors = {}
    today = timezone.localdate()
    if referral.date_of_birth and referral.date_of_birth > today:
        errors["date_of_birth"] = "The date of birth is in the future. Check the year."
    if referral.date_of_birth and referral.date_of_birth < dt.date(today.year - 120, 1, 1):
        errors["date_of_birth"] = "The date of birth is more than 120 years ago. Check the year."
    if not (referral.phone or referral.email):
        errors["phone"] = "Give a phone number or an email address so the intake team can reach out."
    if referral.program and referral.program.organization_id != referral.organization_id:
        errors["program"] = "That program belongs to another organization."
    if errors:
        raise ValidationError(errors)


def _event(referral, *, actor, from_stage="", to_stage="", note=""):
    ReferralEvent.objects.create(
        referral=referral, by=actor if getattr(actor, "is_authenticated", False) else None,
        from_stage=from_stage, to_stage=to_stage, note=note,
    )


def _touch(referral: Referral, fields: list[str]) -> None:
    referral.last_action_at = timezone.now()
    referral.save(update_fields=[*fields, "last_action_at"])


@transaction.atomic
def create_referral(*, actor, organization, from_public_request: bool = False, **fields) -> Referral:
    """Record a new referral at the inquiry stage.

    Side effects: a first referral event; a `create` audit event (by the visitor's "anonymous"
    origin for public requests).
    """
    unknown = set(fields) - REFERRAL_FIELDS
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    referral = Referral(
        organization=organization, from_public_request=from_public_request,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        last_action_at=timezone.now(), **fields,
    )
    referral.program_of_origin = referral.program
    referral.security_labels = _labels_for_referral(organization, referral.program)
    referral.full_clean(exclude=["patient", "created_by"])
    _validate_person(referral)
    referral.save()
    _event(referral, actor=actor, to_stage=Stage.INQUIRY,
           note="Request from the public website" if from_public_request else "")
    audit.record(user=actor, action=Action.CREATE, obj=referral)
    return referral


@transaction.atomic
def update_referral(*, actor, referral: Referral, **changes) -> Referral:
    """Change a referral's details (not its stage). Side effects: `change` audit event."""
    unknown = set(changes) - REFERRAL_FIELDS
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})
    changed = sorted(name for name, value in changes.items() if getattr(referral, name) != value)
    for name in changed:
        setattr(referral, name, changes[name])
    if not changed:
        return referral
    if "program" in changed:
        # Labels only ever get stricter: a Part 2 label is never removed by a program change.
        new_labels = _labels_for_referral(referral.organization, referral.program)
        if "42CFRPart2" in new_labels and not referral.is_part2:
            referral.security_labels = new_labels
            referral.program_of_origin = referral.program
            changed.append("security_labels")
    referral.full_clean(exclude=["patient", "created_by"])
    _validate_person(referral)
    _touch(referral, changed)
    audit.record(user=actor, action=Action.CHANGE, patient=referral.patient, obj=referral,
                 detail={"fields": changed})
    return referral


@transaction.atomic
def move_referral(*, actor, referral: Referral, to_stage: str, note: str = "") -> Referral:
    """Move a referral to the next stage in the pipeline.

    Closing goes through `close_referral` and admission through `admit_referral`.
    Side effects: a referral event; the stage's timestamp; a `change` audit event.
    """
    if to_stage in (Stage.CLOSED, Stage.ADMITTED):
        raise ValidationError({"to_stage": "Use close or admit for that."})
    if to_stage not in NEXT_STAGES.get(referral.stage, ()):
        raise ValidationError(
            {"to_stage": f"A referral at {referral.get_stage_display()} cannot move to "
                         f"{Stage(to_stage).label if to_stage in Stage.values else to_stage}."}
        )
    if to_stage == Stage.ASSESSED and not referral.assessments.exists():
        raise ValidationError({"to_stage": "Record the clinician's level-of-care assessment first."})
    from_stage = referral.stage
    referral.stage = to_stage
    fields = ["stage"]
    now = timezone.now()
    if referral.first_contact_at is None and from_stage == Stage.INQUIRY:
        referral.first_contact_at = now
        fields.append("first_contact_at")
    _touch(referral, fields)
    _event(referral, actor=actor, from_stage=from_stage, to_stage=to_stage, note=note)
    audit.record(user=actor, action=Action.CHANGE, patient=referral.patient, obj=referral,
                 detail={"stage": [from_stage, to_stage]})
    return referral


@transaction.atomic
def close_referral(*, actor, referral: Referral, reason: str, note: str = "") -> Referral:
    """Close an open referral with a reason (referred elsewhere, declined, no contact, not eligible)."""
    if not referral.is_open:
        raise ValidationError({"reason": "This referral is already closed or admitted."})
    if reason not in CloseReason.values:
        raise ValidationError({"reason": "Choose why the referral is closed."})
    if reason == CloseReason.OTHER_LEVEL and not note.strip():
        raise ValidationError({"note": "Say which level of care or program the person was referred to."})
    from_stage = referral.stage
    referral.stage = Stage.CLOSED
    referral.close_reason = reason
    referral.close_note = note.strip()
    referral.closed_at = timezone.now()
    referral.next_follow_up_on = None
    _touch(referral, ["stage", "close_reason", "close_note", "closed_at", "next_follow_up_on"])
    _event(referral, actor=actor, from_stage=from_stage, to_stage=Stage.CLOSED,
           note=f"{CloseReason(reason).label}. {note}".strip())
    audit.record(user=actor, action=Action.CHANGE, patient=referral.patient, obj=referral,
                 detail={"stage": [from_stage, Stage.CLOSED], "reason": reason})
    return referral


@transaction.atomic
def add_referral_note(
    *, actor, referral: Referral, note: str, next_follow_up_on=None, reached: bool = False
) -> ReferralEvent:
    """Log a contact attempt or note, optionally setting the next follow-up date.

    `reached` says the person was actually spoken to; only then does the first-contact time
    (time-to-first-contact metric) start counting. A missed call is a note, not a contact.
    """
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Write what happened."})
    if next_follow_up_on is not None and next_follow_up_on < timezone.localdate():
        raise ValidationError({"next_follow_up_on": "The follow-up date is in the past."})
    fields = []
    if next_follow_up_on is not None:
        referral.next_follow_up_on = next_follow_up_on
        fields.append("next_follow_up_on")
    if reached and referral.first_contact_at is None:
        referral.first_contact_at = timezone.now()
        fields.append("first_contact_at")
    _touch(referral, fields)
    ReferralEvent.objects.create(referral=referral, by=actor, from_stage=referral.stage,
                                 to_stage=referral.stage, note=note)
    audit.record(user=actor, action=Action.CHANGE, patient=referral.patient, obj=referral,
                 detail={"note": True})
    return referral.events.last()


@transaction.atomic
def verify_insurance(*, actor, referral: Referral, verified_on: dt.date | None = None, **insurance) -> Referral:
    """Record that the reported insurance was verified (and correct it if needed)."""
    allowed = {"insurance_kind", "payer_name", "member_id", "group_number"}
    if set(insurance) - allowed:
        raise ValidationError("Only insurance fields can be verified here.")
    for name, value in insurance.items():
        setattr(referral, name, value)
    if not referral.insurance_kind:
        raise ValidationError({"insurance_kind": "Choose the kind of coverage."})
    referral.insurance_verified_on = verified_on or timezone.localdate()
    _touch(referral, [*insurance, "insurance_verified_on"])
    audit.record(user=actor, action=Action.CHANGE, patient=referral.patient, obj=referral,
                 detail={"fields": sorted([*insurance, "insurance_verified_on"])})
    return referral


@transaction.atomic
def waitlist_referral(*, actor, referral: Referral, program, expected_start_on: dt.date) -> Referral:
    """Put an assessed referral on a program's waitlist with the expected start date."""
    if referral.stage != Stage.ASSESSED:
        raise ValidationError({"expected_start_on": "Only an assessed referral can join a waitlist."})
    if expected_start_on < timezone.localdate():
        raise ValidationError({"expected_start_on": "The expected start date is in the past."})
    update_referral(actor=actor, referral=referral, program=program)
    referral.waitlisted_on = referral.waitlisted_on or timezone.localdate()
    referral.expected_start_on = expected_start_on
    _touch(referral, ["waitlisted_on", "expected_start_on"])
    _event(referral, actor=actor, from_stage=referral.stage, to_stage=referral.stage,
           note=f"Waitlisted for {program}, expected start {expected_start_on:%Y-%m-%d}")
    return referral


@transaction.atomic
def record_screening(*, actor, referral: Referral, **answers) -> Screening:
    """Record the screening interview.

    Side effects: an urgent safety task for every clinician of the referral's program (or the
    clinical director when no program is set) when any safety answer is "yes"; a `create`
    audit event. Returns the screening; `screening.positive_safety_answers` says what fired.
    """
    if actor.role not in (Role.CLINICIAN, Role.PRESCRIBER, Role.DIRECTOR):
        raise ValidationError("A clinician completes the screening.")
    if hasattr(referral, "screening"):
        raise ValidationError("This referral already has a screening; add a note for anything new.")
    screening = Screening(referral=referral, completed_by=actor, **answers)
    screening.program_of_origin = referral.program_of_origin
    screening.security_labels = list(referral.security_labels)
    screening.full_clean(exclude=["referral", "completed_by"])
    _validate_availability(screening.weekly_availability)
    screening.save()
    if referral.stage in (Stage.INQUIRY, Stage.CONTACTED):
        move_referral(actor=actor, referral=referral, to_stage=Stage.SCREENING, note="Screening recorded")
    if screening.positive_safety_answers:
        _alert_clinicians(actor=actor, referral=referral, screening=screening)
    audit.record(user=actor, action=Action.CREATE, patient=referral.patient, obj=screening)
    return screening


def _alert_clinicians(*, actor, referral, screening) -> None:
    from openiop.accounts.models import User

    answers = "; ".join(screening.positive_safety_answers)
    recipients = User.objects.filter(
        organization_id=referral.organization_id, is_active=True, role__in=(Role.CLINICIAN, Role.PRESCRIBER, Role.DIRECTOR),
    )
    if referral.program_id:
        recipients = recipients.filter(programs=referral.program_id) | recipients.filter(role=Role.DIRECTOR)
    else:
        recipients = recipients.filter(role=Role.DIRECTOR)
    for user in recipients.distinct():
        worklist.create_task(
            actor=actor, assignee=user, kind=TaskKind.SAFETY, urgent=True, referral=referral,
            title=f"Safety: screening of {referral.display_name} answered yes",
            detail=f"{answers}. Contact the person today; {screening.safety_notes}".strip(),
        )


def _validate_availability(blocks) -> None:
    for block in blocks:
        try:
            day = int(block["day"])
            start = dt.time.fromisoformat(block["start"])
            end = dt.time.fromisoformat(block["end"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError({"weekly_availability": "Each available time needs a day, a start and an end."}) from None
        if not 0 <= day <= 6 or end <= start:
            raise ValidationError({"weekly_availability": "An available time must end after it starts."})


@transaction.atomic
def sign_assessment(
    *, actor, framework: str, recommended_level: str, actual_level: str,
    referral: Referral | None = None, patient=None, ratings: dict | None = None,
    locus_composite: int | None = None, variance_reason: str = "",
) -> LevelOfCareAssessment:
    """Record and sign a clinician's level-of-care assessment.

    Ratings are entered by the clinician (0-4 with a rationale for each rated ASAM dimension;
    a LOCUS composite of 7-35). The software adds the cited escalations and requires a reason
    when the actual level differs from the recommended one. Side effects: `create` audit event.
    """
    if actor.role not in (Role.CLINICIAN, Role.PRESCRIBER, Role.DIRECTOR):
        raise ValidationError("A clinician signs the level-of-care assessment.")
    if (referral is None) == (patient is None):
        raise ValidationError("An assessment is for a referral or for a patient.")
    spec = FRAMEWORKS.get(framework)
    if spec is None:
        raise ValidationError({"framework": "Choose ASAM 3rd edition, ASAM 4th edition or LOCUS."})
    errors = {}
    clean_ratings = {}
    for dimension in spec.dimensions:
        entry = (ratings or {}).get(dimension.key) or {}
        rationale = str(entry.get("rationale", "")).strip()
        if not dimension.rated:
            clean_ratings[dimension.key] = {"rating": None, "rationale": rationale}
            continue
        try:
            rating = int(entry.get("rating"))
        except (TypeError, ValueError):
            errors[f"rating_{dimension.key}"] = f"Rate {dimension.name} from {spec.rating_min} to {spec.rating_max}."
            continue
        if not spec.rating_min <= rating <= spec.rating_max:
            errors[f"rating_{dimension.key}"] = (
                f"{rating} is outside {spec.rating_min}-{spec.rating_max} for {dimension.name}."
            )
        if not rationale:
            errors[f"rationale_{dimension.key}"] = "Give the history and here-and-now behind this rating."
        clean_ratings[dimension.key] = {"rating": rating, "rationale": rationale}
    locus_in_range = locus_composite is not None and spec.rating_min <= locus_composite <= spec.rating_max
    if framework == "locus" and not locus_in_range:
        errors["locus_composite"] = f"The LOCUS composite is between {spec.rating_min} and {spec.rating_max}."
    for name, code in (("recommended_level", recommended_level), ("actual_level", actual_level)):
        if spec.level(code) is None:
            errors[name] = "Choose a level of care."
    if recommended_level != actual_level and not variance_reason.strip():
        errors["variance_reason"] = "The level decided differs from the level recommended: say why."
    if errors:
        raise ValidationError(errors)
    found = escalations(spec, {key: value["rating"] for key, value in clean_ratings.items()})
    source = referral.program_of_origin if referral else patient.program_of_origin
    labels = list(referral.security_labels) if referral else list(patient.security_labels)
    assessment = LevelOfCareAssessment.objects.create(
        referral=referral, patient=patient, framework=framework, ratings=clean_ratings,
        locus_composite=locus_composite if framework == "locus" else None,
        recommended_level=recommended_level, actual_level=actual_level,
        variance_reason=variance_reason.strip(),
        escalations=[{"code": e.code, "message": e.message} for e in found],
        signed_by=actor, program_of_origin=source, security_labels=labels,
    )
    if referral is not None:
        referral.assessed_at = referral.assessed_at or timezone.now()
        _touch(referral, ["assessed_at"])
        if referral.stage in (Stage.SCREENING, Stage.ASSESSMENT_SCHEDULED, Stage.CONTACTED, Stage.INQUIRY):
            from_stage = referral.stage
            referral.stage = Stage.ASSESSED
            _touch(referral, ["stage"])
            _event(referral, actor=actor, from_stage=from_stage, to_stage=Stage.ASSESSED,
                   note=f"Assessed: {spec.level(actual_level).name}")
    audit.record(user=actor, action=Action.CREATE, patient=referral.patient if referral else patient,
                 obj=assessment)
    return assessment


def validate_planned_hours(*, program, planned_weekly_hours, override_reason: str) -> Decimal:
    """Check planned hours against the program's band; outside it, a reason is required."""
    try:
        hours = Decimal(str(planned_weekly_hours))
    except (ArithmeticError, ValueError):
        raise ValidationError({"planned_weekly_hours": "Enter the planned hours per week as a number."}) from None
    if hours <= 0 or hours > 40:
        raise ValidationError({"planned_weekly_hours": "Planned hours per week must be between 0 and 40."})
    low, high = program.min_weekly_hours, program.max_weekly_hours
    if not low <= hours <= high and not override_reason.strip():
        raise ValidationError(
            {"hours_override_reason": f"{hours} hours is outside this program's {low}-{high} hours a week: "
                                      "give the clinical reason, or change the hours."}
        )
    return hours


def open_referral_count(organization) -> int:
    return Referral.objects.filter(organization=organization, stage__in=OPEN_STAGES).count()


@transaction.atomic
def admit_referral(
    *, actor, referral: Referral, program, admitted_on: dt.date, planned_weekly_hours,
    primary_clinician, diagnoses: list[dict], consents: list[dict],
    hours_override_reason: str = "", expected_length_of_stay_days: int | None = None,
    care_team: list[dict] | None = None, patient=None, level_of_care: str = "iop",
    medicare_certification: dict | None = None,
) -> "EpisodeOfCare":  # noqa: F821
    """Admit an assessed referral: reuse `patient` (a duplicate found by intake) or register a
    new one, open the episode, record diagnoses, care team, consents and, for Medicare, the
    physician certification. All or nothing.

    `diagnoses`: [{"icd10_code", "description", "is_primary"}]; `consents`: [{"kind", "signed_on"}];
    `care_team`: [{"user", "role"}] besides the primary clinician;
    `medicare_certification`: the arguments of care.services.record_medicare_certification.
    Side effects: audit events for every record; the referral moves to admitted.
    """
    from openiop.care import services as care
    from openiop.care.models import REQUIRED_ADMISSION_CONSENTS, REQUIRED_PART2_CONSENTS
    from openiop.patients import services as patients

    errors = {}
    if referral.stage != Stage.ASSESSED:
        errors["referral"] = "Only an assessed referral can be admitted."
    if not referral.assessments.exists():
        errors["referral"] = "Record the clinician's level-of-care assessment first."
    if referral.date_of_birth is None and patient is None:
        errors["date_of_birth"] = "Record the date of birth before admission."
    if not diagnoses:
        errors["diagnoses"] = "Record at least one diagnosis (ICD-10-CM)."
    elif sum(1 for d in diagnoses if d.get("is_primary")) != 1:
        errors["diagnoses"] = "Mark exactly one diagnosis as primary."
    if primary_clinician is None or not primary_clinician.treats_patients:
        errors["primary_clinician"] = "Choose the primary clinician."
    signed = {c["kind"] for c in consents}
    required = set(REQUIRED_ADMISSION_CONSENTS) | (set(REQUIRED_PART2_CONSENTS) if program.is_part2 else set())
    missing = sorted(required - signed)
    if missing:
        from openiop.care.models import ConsentKind

        errors["consents"] = "Missing: " + "; ".join(ConsentKind(kind).label for kind in missing) + "."
    is_medicare = referral.insurance_kind == "medicare"
    if is_medicare and not medicare_certification:
        errors["medicare_certification"] = "Medicare patients need the physician's certification of at least 9 hours a week."
    try:
        hours = validate_planned_hours(program=program, planned_weekly_hours=planned_weekly_hours,
                                       override_reason=hours_override_reason)
    except ValidationError as error:
        errors.update(error.message_dict)
        hours = None
    if errors:
        raise ValidationError(errors)

    if patient is None:
        patient = patients.register_patient(
            actor=actor, organization=referral.organization, program=program,
            legal_first_name=referral.first_name, legal_last_name=referral.last_name,
            preferred_name=referral.preferred_name, date_of_birth=referral.date_of_birth,
            phone=referral.phone, email=referral.email, preferred_contact=referral.preferred_contact,
            ok_to_leave_message=referral.ok_to_leave_message,
        )
        if referral.insurance_kind:
            patients.add_coverage(
                actor=actor, patient=patient, program=program, kind=referral.insurance_kind,
                payer_name=referral.payer_name or referral.get_insurance_kind_display(),
                member_id=referral.member_id, group_number=referral.group_number,
            )
    assessment = referral.assessments.first()
    episode = care.admit_patient(
        actor=actor, patient=patient, program=program, admitted_on=admitted_on,
        level_of_care=level_of_care, planned_weekly_hours=hours,
        hours_override_reason=hours_override_reason,
        expected_length_of_stay_days=expected_length_of_stay_days, referral=referral,
        level_reason=f"Admission after {assessment.get_framework_display()} assessment "
                     f"(level {assessment.actual_level})",
        # The level was decided by the clinician who signed the assessment, not by whoever
        # enters the admission (often the intake coordinator).
        level_decided_by=assessment.signed_by,
    )
    for diagnosis in diagnoses:
        care.add_diagnosis(actor=actor, episode=episode, recorded_on=admitted_on, **diagnosis)
    care.assign_care_team_member(actor=actor, episode=episode, user=primary_clinician,
                                 role="primary", start_date=admitted_on)
    for member in care_team or []:
        care.assign_care_team_member(actor=actor, episode=episode, start_date=admitted_on, **member)
    for consent in consents:
        care.record_admission_consent(actor=actor, episode=episode, **consent)
    if medicare_certification:
        care.record_medicare_certification(actor=actor, episode=episode, **medicare_certification)
    referral.patient = patient
    referral.program = program
    from_stage = referral.stage
    referral.stage = Stage.ADMITTED
    referral.admitted_at = timezone.now()
    referral.next_follow_up_on = None
    _touch(referral, ["patient", "program", "stage", "admitted_at", "next_follow_up_on"])
    _event(referral, actor=actor, from_stage=from_stage, to_stage=Stage.ADMITTED,
           note=f"Admitted to {program} on {admitted_on:%Y-%m-%d}")
    audit.record(user=actor, action=Action.CHANGE, patient=patient, obj=referral,
                 detail={"stage": [from_stage, Stage.ADMITTED]})
    return episode
