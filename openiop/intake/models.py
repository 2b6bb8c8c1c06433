"""Referrals from first contact to admission, their screening and level-of-care assessment."""

from django.conf import settings
from django.db import models

from openiop.intake.enums import (
    CloseReason,
    ForWhom,
    Source,
    Stage,
    WithdrawalRisk,
    YesNo,
)
from openiop.intake.levels import FRAMEWORK_CHOICES
from openiop.intake.queries import ReferralQuerySet, ReferralRecordQuerySet
from openiop.patients.enums import ContactMethod, CoverageKind
from openiop.privacy.labels import LabelledRecord


class Referral(LabelledRecord):
    """A person who may need the program, from the first call or web request to admission."""

    organization = models.ForeignKey("programs.Organization", on_delete=models.PROTECT, related_name="referrals")
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals",
        help_text="The program the person is interested in or referred to, if known",
    )
    stage = models.CharField(max_length=24, choices=Stage.choices, default=Stage.INQUIRY)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    close_note = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.SELF)
    referrer_name = models.CharField(max_length=200, blank=True)
    referrer_organization = models.CharField(max_length=200, blank=True)
    referrer_phone = models.CharField(max_length=30, blank=True)
    # The person who may need care.
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    preferred_contact = models.CharField(max_length=10, choices=ContactMethod.choices, default=ContactMethod.PHONE)
    best_time_to_contact = models.CharField(max_length=200, blank=True)
    ok_to_leave_message = models.BooleanField(default=False)
    # Who asked: the person themself or someone on their behalf.
    for_whom = models.CharField(max_length=10, choices=ForWhom.choices, default=ForWhom.SELF)
    requester_name = models.CharField(max_length=200, blank=True)
    requester_relationship = models.CharField(max_length=100, blank=True)
    # Insurance as reported, to be verified by the intake team.
    insurance_kind = models.CharField(max_length=20, choices=CoverageKind.choices, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    member_id = models.CharField(max_length=40, blank=True)
    group_number = models.CharField(max_length=40, blank=True)
    insurance_verified_on = models.DateField(null=True, blank=True)
    work_school_hours = models.TextField(blank=True, help_text="Work or school hours, as the person described them")
    reason = models.TextField(blank=True, help_text="What is going on, in the person's or referrer's words")
    from_public_request = models.BooleanField(default=False)
    # Follow-up and timing (the board highlights overdue follow-ups).
    next_follow_up_on = models.DateField(null=True, blank=True)
    last_action_at = models.DateTimeField()
    first_contact_at = models.DateTimeField(null=True, blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    admitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Waitlist: accepted for a program, waiting for a start date.
    waitlisted_on = models.DateField(null=True, blank=True)
    expected_start_on = models.DateField(null=True, blank=True)
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals",
        help_text="The patient record, once matched or admitted",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-last_action_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "stage"]),
            models.Index(fields=["last_name", "first_name"]),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.get_stage_display()})"

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"

    @property
    def is_open(self) -> bool:
        return self.stage not in (Stage.ADMITTED, Stage.CLOSED)


class ReferralEvent(models.Model):
    """One thing that happened to a referral (stage change, contact attempt, note). Never edited."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_stage = models.CharField(max_length=24, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=24, choices=Stage.choices, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d} {self.from_stage} -> {self.to_stage}"


class Screening(LabelledRecord):
    """The intake screening interview (one per referral; its answers feed the assessment)."""

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="screening")
    presenting_problems = models.TextField()
    # [{"substance": "alcohol", "route": "oral", "frequency": "daily", "last_use": "2026-11-20"}]
    substance_use = models.JSONField(default=list, blank=True)
    withdrawal_risk = models.CharField(max_length=10, choices=WithdrawalRisk.choices, default=WithdrawalRisk.NONE)
    medical_history = models.TextField(blank=True)
    psychiatric_history = models.TextField(blank=True)
    current_medications = models.TextField(blank=True)
    current_treatment = models.TextField(blank=True)
    # Safety: any "yes" alerts a clinician at once.
    suicidal_thoughts = models.CharField("Thoughts of suicide in the past month", max_length=10, choices=YesNo.choices)
    suicide_plan_or_intent = models.CharField("A plan or intent to act on them", max_length=10, choices=YesNo.choices)
    recent_suicide_attempt = models.CharField("A suicide attempt in the past year", max_length=10, choices=YesNo.choices)
    violence_risk = models.CharField("Thoughts of harming someone else", max_length=10, choices=YesNo.choices)
    safety_notes = models.TextField(blank=True)
    social_situation = models.TextField(blank=True)
    support_at_home = models.TextField(blank=True)
    transportation = models.TextField(blank=True)
    # Weekly availability for scheduling: [{"day": 0-6, "start": "HH:MM", "end": "HH:MM"}], free times.
    weekly_availability = models.JSONField(default=list, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(auto_now_add=True)

    objects = ReferralRecordQuerySet.as_manager()

    SAFETY_FIELDS = ("suicidal_thoughts", "suicide_plan_or_intent", "recent_suicide_attempt", "violence_risk")

    @property
    def positive_safety_answers(self) -> list[str]:
        return [
            self._meta.get_field(name).verbose_name
            for name in self.SAFETY_FIELDS
            if getattr(self, name) == YesNo.YES
        ]


class LevelOfCareAssessment(LabelledRecord):
    """A clinician's level-of-care assessment: ratings entered, level decided, signed.

    Signed assessments are never changed; a new assessment records a later decision.
    """

    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments")
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="assessments")
    framework = models.CharField(max_length=10, choices=FRAMEWORK_CHOICES)
    # {"d1": {"rating": 2, "rationale": "..."}, ...} for ASAM; empty for LOCUS.
    ratings = models.JSONField(default=dict, blank=True)
    locus_composite = models.PositiveSmallIntegerField(null=True, blank=True)
    recommended_level = models.CharField(max_length=10)
    actual_level = models.CharField(max_length=10)
    variance_reason = models.TextField(blank=True)
    # The cited escalations shown to the clinician when they signed, kept as they were.
    escalations = models.JSONField(default=list, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    objects = ReferralRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self):
        return f"{self.get_framework_display()}: {self.actual_level}"
