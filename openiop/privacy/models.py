from django.conf import settings
from django.db import models
from django.utils import timezone


class BreakGlassReason(models.TextChoices):
    # HL7 v3-ActReason purpose-of-use codes.
    ETREAT = "ETREAT", "Emergency treatment"
    BTG = "BTG", "Break the glass (other urgent need)"


class ReviewOutcome(models.TextChoices):
    APPROPRIATE = "appropriate", "Appropriate"
    INAPPROPRIATE = "inappropriate", "Inappropriate: follow up with the user"


class BreakGlassAccess(models.Model):
    """Emergency access to one patient's chart by a clinician outside the care team.

    Granted for OPENIOP_BREAK_GLASS_HOURS (24 by default), always with a coded and a written
    reason, and listed for the privacy officer until reviewed (HIPAA 164.312(a)(2)(ii)).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    reason_code = models.CharField(max_length=10, choices=BreakGlassReason.choices)
    reason = models.TextField()
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "patient", "expires_at"])]

    def __str__(self):
        return f"{self.user} -> {self.patient.mrn} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None
