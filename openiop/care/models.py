from django.conf import settings
from django.db import models

from openiop.intake.levels import CARE_LEVEL_CHOICES
from openiop.patients.queries import ClinicalRecordQuerySet, PatientDataQuerySet
from openiop.privacy.labels import LabelledRecord


class EpisodeStatus(models.TextChoices):
    # FHIR EpisodeOfCare.status values, so the export maps one to one.
    PLANNED = "planned", "Planned"
    WAITLIST = "waitlist", "Waitlist"
    ACTIVE = "active", "Active"
    ONHOLD = "onhold", "On hold"
    FINISHED = "finished", "Discharged"
    CANCELLED = "cancelled", "Cancelled"


class DischargeReason(models.TextChoices):
    COMPLETED = "completed", "Completed program"
    STEP_DOWN = "step_down", "Stepped down to outpatient care"
    STEP_UP = "step_up", "Referred to a higher level of care"
    AMA = "ama", "Left against clinical advice"
    ADMINISTRATIVE = "administrative", "Administrative discharge"
    OTHER = "other", "Other"


class EpisodeOfCare(LabelledRecord):
    """One stay in a program, from admission to discharge."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="episodes")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="episodes")
    status = models.CharField(max_length=20, choices=EpisodeStatus.choices, default=EpisodeStatus.ACTIVE)
    admitted_on = models.DateField()
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=20, choices=DischargeReason.choices, blank=True)
    level_of_care = models.CharField(max_length=20, choices=CARE_LEVEL_CHOICES, default="iop")
    planned_weekly_hours = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    # Why planned hours lie outside the program's band, when they do (a clinician's decision).
    hours_override_reason = models.TextField(blank=True)
    expected_length_of_stay_days = models.PositiveSmallIntegerField(null=True, blank=True)
    referral = models.ForeignKey(
        "intake.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="episodes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Enrolment (program, dates, care team) is what front desk and billing schedule and bill
    # by, so it is patient data but not clinical content.
    objects = PatientDataQuerySet.as_manager()

    class Meta:
        ordering = ["-admitted_on", "-id"]
        indexes = [models.Index(fields=["program", "status"]), models.Index(fields=["patient", "admitted_on"])]

    def __str__(self):
        return f"{self.program} from {self.admitted_on}"

    @property
    def is_current(self) -> bool:
        return self.status in (EpisodeStatus.ACTIVE, EpisodeStatus.ONHOLD)


class Diagnosis(LabelledRecord):
    """A diagnosis (FHIR Condition), coded in ICD-10-CM."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="diagnoses")
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="diagnoses")
    icd10_code = models.CharField("ICD-10-CM code", max_length=10)
    description = models.CharField(max_length=255)
    is_primary = models.BooleanField(default=False)
    onset_date = models.DateField(null=True, blank=True)
    recorded_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "icd10_code"]
        verbose_name_plural = "diagnoses"

    def __str__(self):
        return f"{self.icd10_code} {self.description}"


class CareTeamRole(models.TextChoices):
    PRIMARY_CLINICIAN = "primary", "Primary clinician"
    PRESCRIBER = "prescriber", "Prescriber"
    GROUP_FACILITATOR = "facilitator", "Group facilitator"
    CASE_MANAGER = "case_manager", "Case manager"


class CareTeamMember(LabelledRecord):
    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="care_team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_teams")
    role = models.CharField(max_length=20, choices=CareTeamRole.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "user", "role"], name="unique_care_team_role")
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class LevelOfCareChange(LabelledRecord):
    """The episode's level-of-care history: admission level, then each step-up or step-down."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="level_changes")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    changed_on = models.DateField()
    from_level = models.CharField(max_length=20, choices=CARE_LEVEL_CHOICES, blank=True)
    to_level = models.CharField(max_length=20, choices=CARE_LEVEL_CHOICES)
    reason = models.TextField()
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["changed_on", "id"]

    def __str__(self):
        return f"{self.changed_on}: {self.from_level or 'admission'} -> {self.to_level}"


class MedicareCertification(LabelledRecord):
    """A physician's certification that IOP is needed for at least 9 hours a week (Medicare),
    with the date the recertification falls due."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="certifications")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    is_recertification = models.BooleanField(default=False)
    certified_on = models.DateField()
    physician_name = models.CharField(max_length=200)
    physician_npi = models.CharField("Physician NPI", max_length=10, blank=True)
    needs_at_least_nine_hours = models.BooleanField(
        "Certifies the patient needs at least 9 hours of services a week", default=False
    )
    recertification_due_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-certified_on", "-id"]


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Consent to treatment"
    PART2_NOTICE = "part2_notice", "42 CFR Part 2 patient notice received"
    PRIVACY_NOTICE = "privacy_notice", "HIPAA notice of privacy practices received"
    FINANCIAL = "financial", "Financial responsibility"
    TELEHEALTH = "telehealth", "Telehealth consent"
    FAMILY_PORTAL = "family_portal", "Family portal access"


# Without these a person cannot be admitted (the consent engine comes with a later issue).
REQUIRED_ADMISSION_CONSENTS = (ConsentKind.TREATMENT, ConsentKind.PRIVACY_NOTICE)
REQUIRED_PART2_CONSENTS = (ConsentKind.PART2_NOTICE,)


class AdmissionConsent(LabelledRecord):
    """What the patient signed at admission, and when."""

    episode = models.ForeignKey(EpisodeOfCare, on_delete=models.PROTECT, related_name="consents")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    signed_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = PatientDataQuerySet.as_manager()

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["episode", "kind"], name="one_consent_kind_per_episode")]
