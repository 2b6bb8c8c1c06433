"""Attendance: who came to a session, when they arrived and left, and the minutes that counts.

One `Attendance` per roster row (`scheduling.Attendee`). The minutes are computed from the
check-in and check-out instants, clipped to the session's own start and end, so an early arrival
or a late stay never adds minutes the program did not deliver. Weekly attended hours (and later
billing) are sums of these whole minutes, never of rounded hours.

Absences are recorded too (excused or not): an unexcused absence is what starts outreach.
"""

from django.conf import settings
from django.db import models

from openiop.patients.queries import PatientDataQuerySet
from openiop.privacy.labels import LabelledRecord


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    LATE = "late", "Late"
    LEFT_EARLY = "left_early", "Left early"
    ABSENT_EXCUSED = "absent_excused", "Absent (excused)"
    ABSENT_UNEXCUSED = "absent_unexcused", "Absent (not excused)"


# The statuses in which the patient took part (and so gets minutes and, for a group, a note).
ATTENDED_STATUSES = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY})
ABSENT_STATUSES = frozenset({AttendanceStatus.ABSENT_EXCUSED, AttendanceStatus.ABSENT_UNEXCUSED})


class OutreachOutcome(models.TextChoices):
    """What came of the call after an unexcused absence (stored in worklist.Task.outcome)."""

    REACHED = "reached", "Reached the patient"
    LEFT_MESSAGE = "left_message", "Left a message"
    NO_ANSWER = "no_answer", "No answer, no voicemail"
    WRONG_NUMBER = "wrong_number", "Wrong or disconnected number"
    PATIENT_DECLINED = "patient_declined", "Patient declined to talk"
    EMERGENCY_CONTACT = "emergency_contact", "Reached the emergency contact"


# Set by the service when attendance is corrected so no call is needed (not a choice on the form).
OUTCOME_CORRECTED = "attendance_corrected"


class AttendanceQuerySet(PatientDataQuerySet):
    # Attendance is not clinical content: front desk takes it and billing bills from it.
    clinical = False

    def attended(self):
        return self.filter(status__in=ATTENDED_STATUSES)


class Attendance(LabelledRecord):
    attendee = models.OneToOneField("scheduling.Attendee", on_delete=models.PROTECT, related_name="attendance")
    # Copied from the roster row so lists and weekly sums need no join through it.
    session = models.ForeignKey("scheduling.Session", on_delete=models.PROTECT, related_name="attendance")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="attendance")
    episode = models.ForeignKey("care.EpisodeOfCare", on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    by_telehealth = models.BooleanField("Attended by telehealth", default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    # Whole minutes inside the session's own times; 0 for an absence. Set by the service only.
    minutes = models.PositiveIntegerField(default=0, editable=False)
    absence_reason = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["session", "id"]
        indexes = [models.Index(fields=["patient", "session"]), models.Index(fields=["episode", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(checked_out_at__isnull=True) | models.Q(checked_in_at__isnull=True)
                | models.Q(checked_out_at__gte=models.F("checked_in_at")),
                name="attendance_checks_out_after_checking_in",
            ),
        ]

    def __str__(self):
        return f"{self.patient_id} at session {self.session_id}: {self.get_status_display()}"

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED_STATUSES
