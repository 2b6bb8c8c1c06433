from django.db import models


class Organization(models.Model):
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=30, blank=True)
    npi = models.CharField("NPI", max_length=10, blank=True)

    def __str__(self):
        return self.name


class Site(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProgramKind(models.TextChoices):
    SUBSTANCE_USE = "sud", "Substance use"
    MENTAL_HEALTH = "mh", "Mental health"
    CO_OCCURRING = "cod", "Co-occurring"
    ADOLESCENT = "adolescent", "Adolescent"


class Program(models.Model):
    """A program track, e.g. the adult substance-use IOP (evening track)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="programs"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="programs")
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=20, choices=ProgramKind.choices)
    # A federally assisted program that holds itself out as providing SUD treatment is a
    # 42 CFR Part 2 program: everything created for it carries the Part 2 label.
    is_part2 = models.BooleanField(
        "42 CFR Part 2 program", default=False,
        help_text="Records created for this program carry the 42 CFR Part 2 label.",
    )
    track = models.CharField(max_length=100, blank=True, help_text="e.g. Evening: Mon/Tue/Thu 18:00-21:00")
    min_weekly_hours = models.PositiveSmallIntegerField(default=9)
    max_weekly_hours = models.PositiveSmallIntegerField(default=19)
    # Treatment plans: the first signed plan is due this many days after admission, and
    # reviewed every plan_review_days (and at each level-of-care change).
    plan_due_days = models.PositiveSmallIntegerField(default=7)
    plan_review_days = models.PositiveSmallIntegerField(default=30)
    min_age = models.PositiveSmallIntegerField(default=18)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Room(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    capacity = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="unique_room_per_site")]

    def __str__(self):
        return f"{self.name} ({self.site})"


class OnCallShift(models.Model):
    """Who answers urgent clinical alerts for a program (e.g. a PHQ-9 item 9 answer) between
    two moments. Overlapping shifts are allowed; every clinician on call is alerted."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="on_call_shifts")
    clinician = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="on_call_shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["program", "starts_at"]
        indexes = [models.Index(fields=["program", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="on_call_ends_after_start")
        ]

    def __str__(self):
        return f"{self.clinician} on call for {self.program} from {self.starts_at:%Y-%m-%d %H:%M}"


class CurriculumModule(models.Model):
    """A module of a group curriculum (e.g. "Money management" in life skills). Relapse-prevention
    plan items link to modules; the scheduling issue rotates them through group series."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="curriculum_modules")
    topic_area = models.CharField(max_length=60, help_text="e.g. Life skills, Relapse prevention, DBT skills")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["topic_area", "title"]
        constraints = [models.UniqueConstraint(fields=["organization", "title"], name="unique_module_title")]

    def __str__(self):
        return f"{self.topic_area}: {self.title}"
