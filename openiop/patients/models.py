from django.conf import settings
from django.db import models

from openiop.patients.enums import ContactMethod, CoverageKind, Relationship
from openiop.patients.queries import PatientDataQuerySet, PatientQuerySet
from openiop.privacy.labels import LabelledRecord


class Patient(LabelledRecord):
    organization = models.ForeignKey(
        "programs.Organization", on_delete=models.PROTECT, related_name="patients"
    )
    mrn = models.CharField("MRN", max_length=20, unique=True)
    legal_first_name = models.CharField(max_length=100)
    legal_middle_name = models.CharField(max_length=100, blank=True)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField()
    sex_assigned_at_birth = models.CharField(max_length=20, blank=True)
    gender_identity = models.CharField(max_length=60, blank=True)
    language = models.CharField(max_length=40, default="English")
    interpreter_needed = models.BooleanField(default=False)
    # Contact details and how the patient wants to be reached (safely: some must not get
    # voicemail or mail that reveals treatment).
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    preferred_contact = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.PHONE
    )
    ok_to_leave_message = models.BooleanField(default=False)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(
        max_length=20, choices=Relationship.choices, blank=True
    )
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        indexes = [
            models.Index(fields=["legal_last_name", "legal_first_name"]),
            models.Index(fields=["date_of_birth"]),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.mrn})"

    @property
    def legal_name(self) -> str:
        parts = [self.legal_first_name, self.legal_middle_name, self.legal_last_name]
        return " ".join(p for p in parts if p)

    @property
    def display_name(self) -> str:
        """The name staff use: preferred first name with the legal last name."""
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"


class Coverage(LabelledRecord):
    """An insurance coverage (or self-pay) for a patient, in priority order."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    kind = models.CharField(max_length=20, choices=CoverageKind.choices)
    payer_name = models.CharField(max_length=200)
    member_id = models.CharField(max_length=40, blank=True)
    group_number = models.CharField(max_length=40, blank=True)
    subscriber_name = models.CharField(max_length=200, blank=True)
    priority = models.PositiveSmallIntegerField(default=1, help_text="1 = primary")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    objects = PatientDataQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self):
        return f"{self.payer_name} ({self.get_kind_display()})"


class FamilyMember(LabelledRecord):
    """A family member or support person; portal access only with the patient's consent."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="family_members")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="family_link",
    )
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    phone = models.CharField(max_length=30, blank=True)
    portal_consent_on = models.DateField(
        null=True, blank=True, help_text="Date the patient consented to this person's portal access"
    )
    portal_consent_revoked_on = models.DateField(null=True, blank=True)

    objects = PatientDataQuerySet.as_manager()

    def __str__(self):
        return f"{self.name} ({self.get_relationship_display()})"

    @property
    def has_portal_consent(self) -> bool:
        return self.portal_consent_on is not None and self.portal_consent_revoked_on is None
