from django.contrib.auth.models import AbstractUser
from django.db import models

from openiop.accounts.enums import PORTAL_ROLES, STAFF_ROLES, TREATING_ROLES, Role


class User(AbstractUser):
    """One account per human (HIPAA 164.312(a)(2)(i): no shared logins)."""

    role = models.CharField(max_length=20, choices=Role.choices)
    organization = models.ForeignKey(
        "programs.Organization", null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    # Programs a staff member works in; clinicians see every patient enrolled in them.
    programs = models.ManyToManyField("programs.Program", blank=True, related_name="staff")
    credentials = models.CharField(max_length=60, blank=True, help_text="e.g. LCSW, LCADC, PMHNP")
    # Clinicians whose licence needs supervision (associates, interns): their signed plans wait
    # for the supervisor's co-signature.
    requires_cosignature = models.BooleanField(default=False)
    supervisor = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="supervisees")
    # Set for patient accounts: the patient record this login belongs to.
    patient = models.OneToOneField(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT,
        related_name="portal_user",
    )

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        # `openiop createsuperuser` asks for no role; a superuser is a system administrator,
        # and so falls under the staff rules (MFA, idle timeout) from the first sign-in.
        if self.is_superuser and not self.role:
            self.role = Role.ADMIN
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        full = self.get_full_name()
        if full and self.credentials:
            return f"{full}, {self.credentials}"
        return full or self.username

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_portal_user(self) -> bool:
        return self.role in PORTAL_ROLES

    @property
    def treats_patients(self) -> bool:
        return self.role in TREATING_ROLES
