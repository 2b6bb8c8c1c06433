"""Measurement-based care: who is asked what and when, and what they answered.

An `Administration` is one asking of one instrument (a FHIR QuestionnaireResponse). It is
created as *due* by the schedule, filled in on the portal, a clinic kiosk or from paper, and
becomes immutable once completed; a wrong one is marked entered-in-error, never edited or
deleted.
"""

from django.conf import settings
from django.db import models

from openiop.patients.queries import ClinicalRecordQuerySet
from openiop.privacy.labels import LabelledRecord


class Status(models.TextChoices):
    # FHIR QuestionnaireResponse.status values where they exist, plus "due" and "missed".
    DUE = "due", "Due"
    IN_PROGRESS = "in-progress", "Started"
    COMPLETED = "completed", "Completed"
    MISSED = "missed", "Missed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


OPEN_STATUSES = (Status.DUE, Status.IN_PROGRESS)


class Mode(models.TextChoices):
    PORTAL = "portal", "Patient portal"
    KIOSK = "kiosk", "Clinic tablet (kiosk)"
    PAPER = "paper", "Paper form, entered by staff"
    INTERVIEW = "interview", "Asked by a clinician"
    IMPORTED = "imported", "Imported from another system"


class Occasion(models.TextChoices):
    ADMISSION = "admission", "At admission"
    ROUTINE = "routine", "Routine"
    DISCHARGE = "discharge", "At discharge"
    FOLLOW_UP = "follow_up", "Follow-up after discharge"
    AD_HOC = "ad_hoc", "Additional"


class Administration(LabelledRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="measure_administrations")
    episode = models.ForeignKey(
        "care.EpisodeOfCare", null=True, blank=True, on_delete=models.PROTECT, related_name="measure_administrations"
    )
    instrument_code = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=40)
    occasion = models.CharField(max_length=20, choices=Occasion.choices, default=Occasion.ROUTINE)
    # For follow-ups: days after discharge (30, 90, ...); lets the schedule avoid duplicates.
    follow_up_day = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DUE)
    mode = models.CharField(max_length=20, choices=Mode.choices, blank=True)
    due_on = models.DateField(null=True, blank=True)
    # The day the answers describe (the day a paper form was filled in may be before entry).
    answered_on = models.DateField(null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    total = models.SmallIntegerField(null=True, blank=True)
    severity = models.CharField(max_length=80, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True)
    # The subset of flags raised by safety items (PHQ-9 item 9): these create urgent tasks.
    safety_flags = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The person who entered the answers: the patient (portal), or staff (paper, kiosk start).
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Imported QuestionnaireResponses: where they came from, and the total the sender claimed
    # (kept for comparison only; the stored total is always computed here).
    source_system = models.CharField(max_length=200, blank=True)
    source_identifier = models.CharField(max_length=200, blank=True)
    source_reported_total = models.SmallIntegerField(null=True, blank=True)
    error_reason = models.TextField(blank=True)
    marked_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    marked_in_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-answered_on", "-completed_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "instrument_code", "status"]),
            models.Index(fields=["status", "due_on"]),
        ]

    def __str__(self):
        return f"{self.instrument_code} {self.get_status_display().lower()} ({self.answered_on or self.due_on})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_completed(self) -> bool:
        return self.status == Status.COMPLETED

    @property
    def has_safety_flag(self) -> bool:
        return bool(self.safety_flags)


class MeasureSchedule(models.Model):
    """When a program asks an instrument: at admission, every N days, at discharge, and on
    given days after discharge. A program with no rows uses DEFAULT_SCHEDULES (services.py)."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="measure_schedules")
    instrument_code = models.CharField(max_length=40)
    at_admission = models.BooleanField(default=True)
    every_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Ask again every this many days while the patient is in the program."
    )
    at_discharge = models.BooleanField(default=True)
    follow_up_days = models.JSONField(
        default=list, blank=True, help_text="Days after discharge to ask again, e.g. [30, 90]."
    )
    # "Not on track": no reliable improvement after this many weeks creates a review task.
    review_after_weeks = models.PositiveSmallIntegerField(default=4)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["program", "instrument_code"]
        constraints = [
            models.UniqueConstraint(fields=["program", "instrument_code"], name="one_schedule_per_instrument")
        ]

    def __str__(self):
        return f"{self.instrument_code} in {self.program}"


class PatientSchedule(LabelledRecord):
    """A clinician's change to one patient's cadence for one instrument (e.g. PHQ-9 twice a
    week after a safety event, or stop the craving scale). The latest row wins."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("care.EpisodeOfCare", on_delete=models.PROTECT, related_name="measure_overrides")
    instrument_code = models.CharField(max_length=40)
    every_days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty stops routine asking.")
    reason = models.TextField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-set_at", "-id"]


class ImportedInstrument(models.Model):
    """An instrument an organization added from a FHIR Questionnaire file (e.g. DAST-10 under
    its own licence). The file is kept as given; instruments.py reads it."""

    organization = models.ForeignKey("programs.Organization", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=40)
    version = models.CharField(max_length=40)
    questionnaire = models.JSONField()
    imported_by = models.CharField(max_length=200)
    imported_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code", "-imported_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code", "version"], name="one_import_per_version")
        ]

    def __str__(self):
        return f"{self.code} {self.version}"


class KioskSession(models.Model):
    """A clinic tablet handed to one patient to answer their due measures, and nothing else.
    It ends when they finish, when staff end it, or by itself after `expires_at`."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"Kiosk session {self.pk} started {self.started_at:%Y-%m-%d %H:%M}"
