from django.conf import settings
from django.db import models

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
