"""Treatment plans and relapse-prevention plans: structured, versioned, signed, reviewed.

A `Plan` is one episode's treatment plan or relapse-prevention plan. Its content lives in
`PlanVersion`s: a draft is edited; once the clinician signs it, that version and everything in
it is immutable (a change is a new version, with a visible difference from the one before).
The signed version's service mix (`ServiceLine`) is what scheduling plans weeks from.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from openiop.lib import records
from openiop.patients.queries import ClinicalRecordQuerySet
from openiop.privacy.labels import LabelledRecord


class PlanKind(models.TextChoices):
    TREATMENT = "treatment", "Treatment plan"
    RELAPSE_PREVENTION = "relapse_prevention", "Relapse-prevention plan"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class SignedVersionError(ValidationError):
    """Raised on any attempt to change a signed version or its content."""


class Plan(LabelledRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="plans")
    episode = models.ForeignKey("care.EpisodeOfCare", on_delete=models.PROTECT, related_name="plans")
    kind = models.CharField(max_length=20, choices=PlanKind.choices)
    # The first signed version is due by this day (admission + the program's plan_due_days).
    due_on = models.DateField()
    review_every_days = models.PositiveSmallIntegerField(default=30)
    # Set when something (a level-of-care change) makes a review due before the cadence says.
    review_requested_on = models.DateField(null=True, blank=True)
    review_requested_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["episode", "kind"], name="one_plan_of_a_kind_per_episode")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.patient}"


class PlanVersion(LabelledRecord):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Why this version exists ("Review of 3 Nov: stepping down to 2 group blocks").
    change_reason = models.TextField(blank=True)
    # Treatment plans: hours outside the program's band need a clinician's reason.
    hours_override_reason = models.TextField(blank=True)
    # Relapse-prevention plans: reasons for recovery, in the patient's own words.
    reasons_for_recovery = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    # Weekly hours of the service mix, fixed at signing (what scheduling and billing read).
    weekly_hours = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_version_number_per_plan")]

    def __str__(self):
        return f"{self.plan.get_kind_display()} version {self.number} ({self.get_status_display().lower()})"

    def save(self, *args, **kwargs):
        # Immutability at the lowest level every path goes through (service, view, admin).
        if self.pk is not None:
            stored = PlanVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == VersionStatus.SIGNED:
                raise SignedVersionError("A signed plan version cannot be changed; start a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        # Drafts too: what was written is part of the record (a draft nobody signs stays a draft).
        raise SignedVersionError("Plan versions are never deleted.")

    @property
    def is_signed(self) -> bool:
        return self.status == VersionStatus.SIGNED


class VersionContent(models.Model):
    """Something that is part of one version's content: editable only while the version is a draft."""

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def save(self, *args, **kwargs):
        self._check_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_draft()
        return super().delete(*args, **kwargs)

    def _check_draft(self):
        # Both the version the row is stored under and the one it would move to must be drafts:
        # moving content out of a signed version changes that version too.
        version_ids = {self.version_id}
        if self.pk is not None:
            version_ids |= set(type(self).objects.filter(pk=self.pk).values_list("version_id", flat=True))
        if PlanVersion.objects.filter(pk__in=version_ids, status=VersionStatus.SIGNED).exists():
            raise SignedVersionError("A signed plan version cannot be changed; start a new version.")


def new_key() -> str:
    return uuid.uuid4().hex


# Treatment-plan content -----------------------------------------------------------------------


ASAM_DIMENSION_CHOICES = [
    ("d1", "1. Intoxication, withdrawal and addiction medications"),
    ("d2", "2. Biomedical conditions"),
    ("d3", "3. Psychiatric and cognitive conditions"),
    ("d4", "4. Substance use-related risks / readiness to change"),
    ("d5", "5. Recovery environment / relapse potential"),
    ("d6", "6. Person-centred considerations / recovery environment"),
]


class Problem(VersionContent):
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="problems")
    # Stable across versions, so a difference between versions is "changed", not "removed + added".
    key = models.CharField(max_length=32, default=new_key, editable=False)
    statement = models.TextField()
    diagnosis = models.ForeignKey("care.Diagnosis", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    asam_dimension = models.CharField("ASAM dimension", max_length=4, choices=ASAM_DIMENSION_CHOICES, blank=True)
    assessment = models.ForeignKey("intake.LevelOfCareAssessment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    finding = models.TextField(blank=True, help_text="What the assessment found, in a line.")

    class Meta(VersionContent.Meta):
        pass

    def __str__(self):
        return self.statement


class Goal(VersionContent):
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="goals")
    key = models.CharField(max_length=32, default=new_key, editable=False)
    problem = models.ForeignKey(Problem, null=True, blank=True, on_delete=models.PROTECT, related_name="goals")
    clinical_text = models.TextField("Goal (clinical terms)")
    patient_words = models.TextField("Goal in the patient's own words", blank=True)

    class Meta(VersionContent.Meta):
        pass

    def __str__(self):
        return self.patient_words or self.clinical_text


class Objective(VersionContent):
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="objectives")
    key = models.CharField(max_length=32, default=new_key, editable=False)
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="objectives")
    text = models.TextField("Measurable objective")
    target_date = models.DateField()
    # Optional link to a measure: e.g. PHQ-9 below 10 by the target date.
    measure_code = models.CharField(max_length=40, blank=True)
    measure_target = models.SmallIntegerField(null=True, blank=True)

    class Meta(VersionContent.Meta):
        pass

    def __str__(self):
        return self.text


class Modality(models.TextChoices):
    CBT = "cbt", "Cognitive behavioural therapy (CBT)"
    DBT = "dbt", "Dialectical behaviour therapy (DBT) skills"
    MI = "mi", "Motivational interviewing"
    EMDR = "emdr", "EMDR"
    TWELVE_STEP = "twelve_step", "12-step facilitation"
    FAMILY = "family", "Family therapy"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation"
    LIFE_SKILLS = "life_skills", "Life skills"
    MEDICATION = "medication", "Medication management"
    NUTRITION_EXERCISE = "nutrition_exercise", "Nutrition and exercise"
    MINDFULNESS = "mindfulness", "Mindfulness"
    CASE_MANAGEMENT = "case_management", "Case management"
    OTHER = "other", "Other"


class Intervention(VersionContent):
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="interventions")
    key = models.CharField(max_length=32, default=new_key, editable=False)
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.PROTECT, related_name="interventions")
    modality = models.CharField(max_length=30, choices=Modality.choices)
    description = models.TextField(blank=True)
    frequency = models.CharField(max_length=100, help_text="e.g. 3 times a week")
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta(VersionContent.Meta):
        pass

    def __str__(self):
        return f"{self.get_modality_display()}, {self.frequency}"


class Service(models.TextChoices):
    # What scheduling books. Group blocks are the program's group sessions (process, skills,
    # psychoeducation, relapse prevention...); the scheduling issue assigns them to group types.
    GROUP = "group", "Group therapy block"
    INDIVIDUAL = "individual", "Individual therapy"
    FAMILY = "family", "Family session"
    MEDICATION = "medication", "Medication management"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation or life-skills class"
    DRUG_SCREEN = "drug_screen", "Drug screen"
    CASE_MANAGEMENT = "case_management", "Case management"


# Services that count toward the IOP's weekly therapeutic hours (drug screens do not).
COUNTED_SERVICES = frozenset({Service.GROUP, Service.INDIVIDUAL, Service.FAMILY, Service.MEDICATION,
                              Service.PSYCHOEDUCATION, Service.CASE_MANAGEMENT})


class ServiceLine(VersionContent):
    """One line of the intended weekly service mix, e.g. 3 group blocks of 180 minutes every week,
    or a 60-minute family session every 2 weeks."""

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="service_lines")
    key = models.CharField(max_length=32, default=new_key, editable=False)
    service = models.CharField(max_length=20, choices=Service.choices)
    sessions = models.PositiveSmallIntegerField(default=1)
    minutes = models.PositiveSmallIntegerField()
    every_weeks = models.PositiveSmallIntegerField(
        default=1, help_text="1 = every week, 2 = every other week, 4 = about monthly.")

    class Meta(VersionContent.Meta):
        pass

    def __str__(self):
        every = "week" if self.every_weeks == 1 else f"{self.every_weeks} weeks"
        return f"{self.sessions} × {self.minutes} min {self.get_service_display().lower()} every {every}"

    @property
    def weekly_minutes(self) -> float:
        return self.sessions * self.minutes / self.every_weeks


# Relapse-prevention content ---------------------------------------------------------------------


class RPItemKind(models.TextChoices):
    TRIGGER = "trigger", "Trigger"
    WARNING_SIGN = "warning_sign", "Early warning sign"
    COPING = "coping", "Coping strategy"
    HIGH_RISK = "high_risk", "High-risk situation"
    SUPPORT = "support", "Support person"
    CRISIS_CONTACT = "crisis_contact", "Crisis contact"


class TriggerCategory(models.TextChoices):
    PEOPLE = "people", "People"
    PLACES = "places", "Places"
    SITUATIONS = "situations", "Situations"
    FEELINGS = "feelings", "Feelings"
    TIMES = "times", "Times"


class RPItem(VersionContent):
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="rp_items")
    key = models.CharField(max_length=32, default=new_key, editable=False)
    kind = models.CharField(max_length=20, choices=RPItemKind.choices)
    # Required for triggers, signs and situations (services._validate_item); a coping strategy
    # chosen from the library or a contact may have no words of its own.
    text = models.TextField(blank=True, help_text="The trigger, sign, strategy or situation, in the patient's words.")
    category = models.CharField(max_length=20, choices=TriggerCategory.choices, blank=True)
    # High-risk situations: the concrete plan (bring a sober companion, leave early, exit strategy).
    plan_text = models.TextField(blank=True)
    coping_strategy = models.ForeignKey("plans.CopingStrategy", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    # Support people and crisis contacts.
    name = models.CharField(max_length=200, blank=True)
    relationship = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    # Support people: on printed sheets and exports only when the patient allows it.
    patient_allows_sharing = models.BooleanField(default=False)
    # Links: a treatment-plan goal (by its stable key) and a curriculum module.
    goal_key = models.CharField(max_length=32, blank=True)
    curriculum_module = models.ForeignKey("programs.CurriculumModule", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")

    class Meta(VersionContent.Meta):
        pass

    def __str__(self):
        return self.name or self.text


class CopingStrategy(models.Model):
    """The library a relapse-prevention plan chooses coping strategies from. Built-in rows have
    no organization; an organization adds its own."""

    organization = models.ForeignKey("programs.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "coping strategies"

    def __str__(self):
        return self.name


# Signatures, reviews, proposals --------------------------------------------------------------------


class SignerRole(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    PATIENT = "patient", "Patient"
    SUPERVISOR = "supervisor", "Supervisor (co-signature)"


class SignatureMethod(models.TextChoices):
    CLINIC_SCREEN = "clinic_screen", "On screen in the clinic"
    PORTAL = "portal", "In the patient portal"


class WrittenOnce(records.WrittenOnce):
    """A record complete when it is created (a signature, a signed review and its progress
    rows): never changed, never deleted (openiop/lib/records.py)."""

    written_once_what = "This record"
    written_once_error = SignedVersionError

    class Meta:
        abstract = True


class Signature(WrittenOnce, LabelledRecord):
    written_once_what = "A signature"

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="signatures")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=12, choices=SignerRole.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The patient's name as they typed it (on screen or in the portal).
    typed_name = models.CharField(max_length=200, blank=True)
    attestation = models.TextField(help_text="The words the signer agreed to, kept as shown.")
    method = models.CharField(max_length=20, choices=SignatureMethod.choices, default=SignatureMethod.CLINIC_SCREEN)
    signed_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "role"], name="one_signature_per_role")]

    def __str__(self):
        return f"{self.get_role_display()}: {self.signer} at {self.signed_at:%Y-%m-%d %H:%M}"


class ReviewReason(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled review"
    LEVEL_OF_CARE = "level_of_care", "Level of care changed"
    REQUESTED = "requested", "Requested by the patient or team"


class ProgressStatus(models.TextChoices):
    MET = "met", "Met"
    PROGRESSING = "progressing", "Progressing"
    NOT_PROGRESSING = "not_progressing", "Not progressing"
    REVISED = "revised", "Revised"


class Review(WrittenOnce, LabelledRecord):
    """A signed review of the treatment plan (and the relapse-prevention plan with it)."""

    written_once_what = "A signed review"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="reviews")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    reason = models.CharField(max_length=20, choices=ReviewReason.choices, default=ReviewReason.SCHEDULED)
    summary = models.TextField()
    relapse_prevention_reviewed = models.BooleanField(default=False)
    # The revised version this review started (e.g. a step-down of the service mix), if any.
    revision = models.ForeignKey(PlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # What the clinician saw beside the objectives, kept as shown (latest scores, attendance).
    context = models.JSONField(default=dict, blank=True)
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self):
        return f"Review of {self.reviewed_on}"


class ObjectiveProgress(WrittenOnce):
    written_once_what = "A signed review's progress"

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="progress")
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=ProgressStatus.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["objective__position", "id"]

    def __str__(self):
        return f"{self.objective}: {self.get_status_display()}"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Waiting for the care team"
    ACCEPTED = "accepted", "Added to the plan"
    DISCUSSED = "discussed", "To talk about together"


class Proposal(LabelledRecord):
    """A change the patient proposes to their relapse-prevention plan from the portal."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="proposals")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=RPItemKind.choices)
    text = models.TextField()
    plan_text = models.TextField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    relationship = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    # A proposed support person: whether the patient allows them on printed copies and exports.
    patient_allows_sharing = models.BooleanField(default=False)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)
    # The draft version the accepted proposal went into.
    added_to = models.ForeignKey(PlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:40]}"
