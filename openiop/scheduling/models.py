"""What the clinic schedules: group types and their curricula, weekly group series with rolling
membership, staff and patient availability, the sessions of each week and who is in them, and
calendar feeds and reminders.

Times: a session is stored as an aware `starts_at`/`ends_at` (UTC in the database, shown in the
clinic's TIME_ZONE), so minutes stay exact across daylight-saving changes. Weekly templates (a
series meets Monday 18:00) are local wall-clock times.

Rolling admission (issue 6): joining or leaving a series writes one `SeriesMembership` row and
adds or removes only that patient's `Attendee` rows in sessions from that date on. Past sessions,
other members' rows and anything written about a session are never touched.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from openiop.privacy.labels import LabelledRecord

WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"), (6, "Sunday")]
DEFAULT_GROUP_SIZE = 12


class GroupCategory(models.TextChoices):
    PROCESS = "process", "Process group"
    SKILLS = "skills", "CBT/DBT skills"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation and life skills"
    RELAPSE_PREVENTION = "relapse_prevention", "Relapse prevention"
    FAMILY_EDUCATION = "family_education", "Family education"
    TWELVE_STEP = "twelve_step", "12-step facilitation"
    MINDFULNESS = "mindfulness", "Mindfulness or exercise"


class SessionKind(models.TextChoices):
    GROUP = "group", "Group"
    INDIVIDUAL = "individual", "Individual therapy"
    FAMILY = "family", "Family session"
    MEDICATION = "medication", "Medication management"
    DRUG_SCREEN = "drug_screen", "Drug screen"


# The one-to-one services the solver books (the instance's SERVICES).
ONE_TO_ONE = (SessionKind.INDIVIDUAL, SessionKind.FAMILY, SessionKind.MEDICATION)


class GroupType(models.Model):
    """A kind of group the organization runs, e.g. "DBT skills", with its size cap and an
    optional rotating curriculum (its modules in order)."""

    organization = models.ForeignKey("programs.Organization", on_delete=models.PROTECT, related_name="group_types")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=30, choices=GroupCategory.choices)
    max_size = models.PositiveSmallIntegerField(default=DEFAULT_GROUP_SIZE, help_text="Most patients in one session.")
    modules = models.ManyToManyField("programs.CurriculumModule", through="CurriculumSlot", blank=True, related_name="group_types")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="unique_group_type_code")]

    def __str__(self):
        return self.name


class CurriculumSlot(models.Model):
    """A module's place in a group type's rotation: sessions of a series take the modules in
    `position` order and start again after the last."""

    group_type = models.ForeignKey(GroupType, on_delete=models.CASCADE, related_name="slots")
    module = models.ForeignKey("programs.CurriculumModule", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["group_type", "position"]
        constraints = [
            models.UniqueConstraint(fields=["group_type", "position"], name="unique_slot_position"),
            models.UniqueConstraint(fields=["group_type", "module"], name="unique_slot_module"),
        ]

    def __str__(self):
        return f"{self.group_type}: {self.position + 1}. {self.module}"


class StaffProfile(models.Model):
    """What a staff member may be scheduled for: the group types they may lead (by credential and
    training), the one-to-one services they give, and the most minutes of sessions a week."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedule_profile")
    leads = models.ManyToManyField(GroupType, blank=True, related_name="leaders")
    gives_individual = models.BooleanField("Individual therapy", default=False)
    gives_family = models.BooleanField("Family sessions", default=False)
    prescribes = models.BooleanField("May prescribe (medication management)", default=False)
    max_weekly_minutes = models.PositiveIntegerField(default=40 * 60)

    def __str__(self):
        return f"Scheduling profile of {self.user}"

    @property
    def services(self) -> list[str]:
        return [
            service for service, gives in (
                ("individual", self.gives_individual), ("family", self.gives_family), ("medication", self.prescribes),
            ) if gives
        ]


class StaffAvailability(models.Model):
    """A staff member's usual working hours on one weekday (several rows for split shifts)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["user", "weekday", "start"]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="staff_hours_end_after_start")]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class TimeOff(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["user", "starts_at"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="time_off_ends_after_start")]

    def __str__(self):
        return f"{self.user} off {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"


class PatientAvailability(LabelledRecord):
    """When the patient can come, as they told intake (work and school kept free), and their
    reminder choices. One row per patient; `windows` is [{"day": 0-6, "start": "HH:MM",
    "end": "HH:MM"}] of free times."""

    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT, related_name="availability")
    windows = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True, help_text="e.g. Works Mon-Fri 8:00-16:30")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self):
        return f"Availability of {self.patient.mrn}"


class GroupSeries(models.Model):
    """A weekly group in a program's template: one group type, one weekday and time, usually one
    room and facilitator, running from `starts_on` until `ends_on` (open-ended when empty).
    Patients join and leave it on any date (SeriesMembership)."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="group_series")
    group_type = models.ForeignKey(GroupType, on_delete=models.PROTECT, related_name="series")
    name = models.CharField(max_length=100, help_text="e.g. Evening process group (Mon)")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start = models.TimeField()
    minutes = models.PositiveSmallIntegerField(default=180)
    room = models.ForeignKey("programs.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    telehealth = models.BooleanField(default=False)
    video_link = models.URLField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["program", "weekday", "start", "name"]

    def __str__(self):
        return self.name

    def runs_on(self, day: dt.date) -> bool:
        return day.weekday() == self.weekday and self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class SeriesMembership(LabelledRecord):
    """A patient's place in a group series from `joined_on` until `left_on` (inclusive)."""

    series = models.ForeignKey(GroupSeries, on_delete=models.PROTECT, related_name="memberships")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="series_memberships")
    episode = models.ForeignKey("care.EpisodeOfCare", on_delete=models.PROTECT, related_name="series_memberships")
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    left_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["series", "joined_on", "id"]
        indexes = [models.Index(fields=["patient", "joined_on"])]

    def __str__(self):
        return f"{self.patient.mrn} in {self.series} from {self.joined_on}"

    def covers(self, day: dt.date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day <= self.left_on)


class SessionSource(models.TextChoices):
    SOLVER = "solver", "Placed by the weekly solver"
    HAND = "hand", "Placed by hand"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class Session(models.Model):
    """One meeting on the calendar: a group session of a series, or a one-to-one visit.

    Sessions placed by hand are `fixed`: the solver plans around them and never moves them.
    A cancelled session stays (with its reason), so the calendar's history is kept."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="sessions")
    kind = models.CharField(max_length=20, choices=SessionKind.choices)
    series = models.ForeignKey(GroupSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    group_type = models.ForeignKey(GroupType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    module = models.ForeignKey("programs.CurriculumModule", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room = models.ForeignKey("programs.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="sessions")
    telehealth = models.BooleanField(default=False)
    video_link = models.URLField(blank=True)
    status = models.CharField(max_length=20, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    cancel_reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, choices=SessionSource.choices, default=SessionSource.HAND)
    fixed = models.BooleanField(default=False, help_text="Placed by hand: the solver keeps it as it is.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["starts_at"]), models.Index(fields=["program", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"),
            models.UniqueConstraint(fields=["series", "starts_at"], condition=models.Q(series__isnull=False),
                                    name="one_session_per_series_time"),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.title} {local:%a %d %b %H:%M}"

    @property
    def title(self) -> str:
        """What the session is, with no patient name and no diagnosis (safe for calendars)."""
        if self.kind == SessionKind.GROUP and self.group_type_id:
            return self.group_type.name
        return self.get_kind_display()

    @property
    def minutes(self) -> int:
        # In UTC: Python subtracts two datetimes of the same time zone by their wall clocks,
        # which is an hour off across a daylight-saving change.
        utc = dt.UTC
        return int((self.ends_at.astimezone(utc) - self.starts_at.astimezone(utc)).total_seconds() // 60)

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED


class Attendee(LabelledRecord):
    """A patient on a session's roster. Attendance (present, late, minutes) is recorded by the
    documentation issue; the row itself says the patient was scheduled."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendees")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="session_rows")
    episode = models.ForeignKey("care.EpisodeOfCare", on_delete=models.PROTECT, related_name="session_rows")
    membership = models.ForeignKey(SeriesMembership, null=True, blank=True, on_delete=models.PROTECT, related_name="attendees")
    # Added by staff (a join mid-series, "add a patient"): a full re-solve keeps the session as it
    # is rather than drop what someone arranged by hand.
    placed_by_hand = models.BooleanField(default=False)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "patient"], name="one_roster_row_per_patient")]
        indexes = [models.Index(fields=["patient", "session"])]

    def __str__(self):
        return f"{self.patient.mrn} in {self.session}"


class SolveStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    FAILED = "failed", "Failed"


class SolveRun(models.Model):
    """One run of the weekly solver for a site's programs: queued from the screen or the command
    line, run by the background worker, with its progress and plain-language result."""

    organization = models.ForeignKey("programs.Organization", on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField()
    repair = models.BooleanField(default=False, help_text="Keep the week as it is and place only what is missing.")
    patients = models.ManyToManyField("patients.Patient", blank=True, related_name="+")   # repair: only these
    status = models.CharField(max_length=10, choices=SolveStatus.choices, default=SolveStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done")
    stage = models.CharField(max_length=100, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        return f"Solve of week {self.week_start} ({self.status})"


class CalendarFeed(models.Model):
    """An iCalendar feed URL for one staff member or one patient. Only a hash of the token is
    kept; the URL is shown when made. Revoking keeps the row (who made it, when revoked)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="calendar_feeds")
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(
            condition=models.Q(user__isnull=False, patient__isnull=True) | models.Q(user__isnull=True, patient__isnull=False),
            name="feed_has_one_owner",
        )]

    def __str__(self):
        owner = f"staff member {self.user_id}" if self.user_id else f"patient {self.patient_id}"
        return f"Calendar feed of {owner}{' (revoked)' if self.revoked_at else ''}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ReminderChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    NONE = "none", "No reminders"


class ReminderPreference(models.Model):
    """How a patient wants to be reminded: channel, how long before, and quiet hours during which
    nothing is sent (a reminder due then goes out when the quiet hours end, if still in time)."""

    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT, related_name="reminder_preference")
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices, default=ReminderChannel.EMAIL)
    hours_before = models.PositiveSmallIntegerField(default=24)
    quiet_from = models.TimeField(default=dt.time(21, 0))
    quiet_until = models.TimeField(default=dt.time(8, 0))
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Reminders by {self.channel}, {self.hours_before} h before"


class ReminderSent(models.Model):
    """One reminder sent (or skipped, with why) for one patient and session at one start time:
    never sent twice for the same time, sent again when the session is moved."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="reminders")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    # The start time the reminder announced (a moved session is announced again).
    for_starts_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices)
    sent_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=200, default="sent")

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["session", "patient", "for_starts_at"],
                                               name="one_reminder_per_session_patient_time")]

    def __str__(self):
        return f"Reminder for session {self.session_id} ({self.outcome})"
