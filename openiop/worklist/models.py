"""Work that a person must act on: urgent safety alerts, follow-ups, recertifications.

A task stays on its assignee's dashboard until someone records what was done about it.
"""

from django.conf import settings
from django.db import models


class TaskKind(models.TextChoices):
    SAFETY = "safety", "Safety alert"
    FOLLOW_UP = "follow_up", "Follow-up"
    REVIEW = "review", "Clinical review"
    OUTREACH = "outreach", "Outreach after an absence"
    ABSENCES = "absences", "Repeated absences"
    DRUG_SCREEN = "drug_screen", "Unexpected drug screen result"
    UNSIGNED_NOTE = "unsigned_note", "Note not signed"
    COSIGN = "cosign", "Co-signature needed"


class TaskQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done_at__isnull=True)

    def for_user(self, user):
        return self.filter(assignee=user)


class Task(models.Model):
    kind = models.CharField(max_length=20, choices=TaskKind.choices)
    urgent = models.BooleanField(default=False)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks"
    )
    # What the task is about: a patient, or a referral that is not yet a patient.
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    referral = models.ForeignKey(
        "intake.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField(blank=True)
    # A coded outcome where the kind has one (outreach: reached, left a message, no answer...).
    outcome = models.CharField(max_length=30, blank=True)
    # What the task is about, as a stable key (e.g. "measures:not-on-track:12:PHQ-9"), so a
    # nightly job does not put a second open task about the same thing on someone's list.
    topic = models.CharField(max_length=120, blank=True, db_index=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-urgent", "created_at"]
        indexes = [models.Index(fields=["assignee", "done_at"])]

    def __str__(self):
        return self.title
