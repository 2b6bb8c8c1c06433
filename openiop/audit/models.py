"""The audit trail: who read or changed which patient's data, when, from where and why.

What is recorded: every view, list, search, export, create and change of patient data made
through the application (web, command line, demo loader), and sign-in events. What is not:
direct database access outside the application. The trail is append-only in the application
(saving an existing event, updating or deleting events raises); on PostgreSQL the operator
guide also revokes UPDATE and DELETE on this table from the application's role.
"""

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Audit events are never changed or removed."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")

    def for_patient(self, patient):
        return self.filter(patient=patient)


class Action(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    SEARCH = "search", "Appeared in search results"
    EXPORT = "export", "Exported"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    BREAK_GLASS = "break_glass", "Broke the glass"
    REVIEW = "review", "Reviewed"
    DENIED = "denied", "Access denied"
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    IDLE_LOGOUT = "idle_logout", "Signed out after inactivity"


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # Snapshots, so the trail reads the same after a user or patient record changes.
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=20, blank=True)
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    patient_mrn = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True, help_text="Break-the-glass reason, when there is one")
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient", "at"]),
            models.Index(fields=["user", "at"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.patient_mrn}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")
