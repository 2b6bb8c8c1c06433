"""Medications, medications for opioid use disorder, reconciliation, adherence, drug screens and
the patient's own recovery date.

Nothing here is edited in place or deleted (guards in `save()`/`delete()`, so every path is
refused: service, view, admin, shell):
- a medication is stopped once (stop date and reason); a dose change is a stop and a new row
  that `replaces` it; a row entered in error is marked so, with the reason, and stays;
- reconciliations, their lines, adherence notes, drug-screen results and recovery-date rows are
  written once;
- a drug screen changes only from "collected" to "resulted" or "cancelled"; a correction is a
  new screen that `amends` the first, with the reason.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from openiop.lib import records
from openiop.medical.rules import (
    UNEXPECTED,
    Interpretation,
    Method,
    MoudKind,
    Result,
    Specimen,
    Validity,
    substance_name,
)
from openiop.patients.queries import ClinicalRecordQuerySet
from openiop.privacy.labels import LabelledRecord


class ImmutableRecordError(ValidationError):
    """Raised on any attempt to change or delete what the record keeps for good."""


class Route(models.TextChoices):
    ORAL = "oral", "Oral"
    SUBLINGUAL = "sublingual", "Sublingual"
    INJECTION = "injection", "Injection (IM or subcutaneous)"
    TRANSDERMAL = "transdermal", "Transdermal"
    OTHER = "other", "Other"


class Source(models.TextChoices):
    HERE = "here", "Prescribed here"
    OUTSIDE = "outside", "Outside prescriber"
    PATIENT_REPORTED = "patient", "Reported by the patient"


def _guard(instance, mutable_once: tuple[str, ...] = (), mutable: tuple[str, ...] = ()):
    """Refuse a change to a stored row, except setting each of `mutable_once` from empty once
    and changing `mutable` fields."""
    if instance.pk is None:
        return
    model = type(instance)
    stored = model.objects.filter(pk=instance.pk).first()
    if stored is None:
        return
    for field in model._meta.concrete_fields:
        name = field.attname
        old, new = getattr(stored, name), getattr(instance, name)
        if old == new:
            continue
        if field.name in mutable or (field.name in mutable_once and old in (None, "", False)):
            continue
        raise ImmutableRecordError(
            f"{model._meta.verbose_name.capitalize()} records are kept as written ({field.name} cannot change)."
        )


class WrittenOnce(records.WrittenOnce):
    """Reconciliations, adherence notes, drug-screen results, recovery dates: kept as written
    (openiop/lib/records.py)."""

    written_once_error = ImmutableRecordError

    class Meta:
        abstract = True


class MedicationQuerySet(ClinicalRecordQuerySet):
    def current(self):
        return self.filter(stopped_on__isnull=True, entered_in_error=False)


class Medication(LabelledRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="medications")
    # Null for a medication the patient already took before admission (it is still theirs).
    episode = models.ForeignKey("care.EpisodeOfCare", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="medications")
    name = models.CharField(max_length=120, help_text="e.g. Buprenorphine/naloxone")
    dose = models.CharField(max_length=60, help_text="e.g. 8 mg/2 mg")
    route = models.CharField(max_length=20, choices=Route.choices, default=Route.ORAL)
    frequency = models.CharField(max_length=60, help_text="e.g. once daily")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    prescriber_name = models.CharField(max_length=120, blank=True, help_text="An outside prescriber's name")
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)
    reason = models.CharField("Reason (indication)", max_length=200, blank=True)
    moud = models.CharField("Medication for opioid use disorder", max_length=20, choices=MoudKind.choices,
                            default=MoudKind.NONE)
    # Methadone for OUD is dispensed by an opioid treatment program, never prescribed by the IOP.
    otp_name = models.CharField("Opioid treatment program", max_length=120, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.HERE)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    entered_in_error = models.BooleanField(default=False)
    error_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MedicationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["patient", "stopped_on"])]

    def __str__(self):
        return f"{self.name} {self.dose} {self.frequency}".strip()

    def save(self, *args, **kwargs):
        _guard(self, mutable_once=("stopped_on", "stop_reason", "entered_in_error", "error_reason"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Medications are never deleted; mark one entered in error instead.")

    @property
    def status(self) -> str:
        if self.entered_in_error:
            return "entered-in-error"
        return "stopped" if self.stopped_on else "active"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_moud(self) -> bool:
        return self.moud != MoudKind.NONE

    @property
    def prescribed_by(self) -> str:
        if self.moud == MoudKind.METHADONE and self.otp_name:
            return f"{self.otp_name} (opioid treatment program)"
        if self.prescriber_id:
            return self.prescriber.display_name
        return self.prescriber_name or self.get_source_display()


class ReconciliationKind(models.TextChoices):
    ADMISSION = "admission", "Admission"
    DISCHARGE = "discharge", "Discharge"


class Decision(models.TextChoices):
    CONTINUE = "continue", "Continue"
    STOP = "stop", "Stop"
    CHANGE = "change", "Change"
    NEW = "new", "New"


class Reconciliation(WrittenOnce, LabelledRecord):
    episode = models.ForeignKey("care.EpisodeOfCare", on_delete=models.PROTECT, related_name="reconciliations")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ReconciliationKind.choices)
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    performed_at = models.DateTimeField()
    notes = models.TextField(blank=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["performed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["episode", "kind"], name="one_reconciliation_of_a_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} reconciliation"


class ReconciliationLine(WrittenOnce, models.Model):
    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.PROTECT, related_name="lines")
    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="reconciliation_lines")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.medication.name}: {self.get_decision_display()}"


class Adherence(models.TextChoices):
    AS_PRESCRIBED = "as_prescribed", "Taking as prescribed"
    MISSED_DOSES = "missed_doses", "Missed doses"
    STOPPED_ON_OWN = "stopped_on_own", "Stopped on own"
    UNKNOWN = "unknown", "Unknown"


class AdherenceNote(WrittenOnce, LabelledRecord):
    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="adherence_notes")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    written_at = models.DateTimeField()
    adherence = models.CharField(max_length=20, choices=Adherence.choices)
    text = models.TextField(blank=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-written_at", "-id"]

    def __str__(self):
        return f"{self.get_adherence_display()} ({self.medication.name})"


class ScreenStatus(models.TextChoices):
    COLLECTED = "collected", "Collected, waiting for results"
    RESULTED = "resulted", "Resulted"
    CANCELLED = "cancelled", "Cancelled"


class DrugScreen(LabelledRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="drug_screens")
    episode = models.ForeignKey("care.EpisodeOfCare", on_delete=models.PROTECT, related_name="drug_screens")
    session = models.ForeignKey("scheduling.Session", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    specimen = models.CharField(max_length=10, choices=Specimen.choices)
    collected_at = models.DateTimeField()
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    observed = models.BooleanField("Collection observed", default=False)
    panel = models.CharField(max_length=30)
    method = models.CharField(max_length=12, choices=Method.choices)
    lab_name = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=ScreenStatus.choices, default=ScreenStatus.COLLECTED)
    resulted_at = models.DateTimeField(null=True, blank=True)
    validity = models.CharField("Specimen validity", max_length=12, choices=Validity.choices, default=Validity.VALID)
    notes = models.TextField(blank=True)
    # Presumptive drug test code (80305/80306/80307), blank when another screen already has the
    # date of service's one code (domain.md 2.2) or for a breath test. `billing_note` says why.
    service_code = models.CharField(max_length=5, blank=True)
    billing_note = models.CharField(max_length=200, blank=True)
    amends = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amended_by")
    amend_reason = models.CharField(max_length=300, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-collected_at", "-id"]
        indexes = [models.Index(fields=["patient", "collected_at"])]

    def __str__(self):
        return f"{self.panel_name} collected {self.collected_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = DrugScreen.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored is not None and stored != ScreenStatus.COLLECTED:
                raise ImmutableRecordError("A resulted or cancelled drug screen is kept as written; amend it instead.")
            _guard(self, mutable=("status", "resulted_at", "validity", "cancel_reason"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Drug screens are never deleted.")

    @property
    def panel_name(self) -> str:
        from openiop.medical.rules import panel

        found = panel(self.panel)
        return found.name if found else self.panel


class DrugScreenResult(WrittenOnce, LabelledRecord):
    screen = models.ForeignKey(DrugScreen, on_delete=models.PROTECT, related_name="results")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    substance = models.CharField(max_length=30)
    result = models.CharField(max_length=12, choices=Result.choices)
    value = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=12, blank=True)
    interpretation = models.CharField(max_length=20, choices=Interpretation.choices)
    interpretation_note = models.CharField(max_length=400, blank=True)
    explained_by = models.ForeignKey(Medication, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["screen", "id"]
        constraints = [models.UniqueConstraint(fields=["screen", "substance"], name="one_result_per_substance")]

    def __str__(self):
        return f"{self.substance_name}: {self.get_result_display()}"

    @property
    def substance_name(self) -> str:
        return substance_name(self.substance)

    @property
    def is_unexpected(self) -> bool:
        return self.interpretation in UNEXPECTED


class RecoverySource(models.TextChoices):
    PORTAL = "portal", "Set by the patient in the portal"
    CLINIC = "clinic", "Recorded by staff at the patient's request"


class RecoveryDate(WrittenOnce, LabelledRecord):
    """One row per time the patient sets, changes or clears their recovery date; the latest row
    is the date now (a blank `recovery_date` means the patient cleared it). Nothing else ever
    writes here: a drug screen result does not."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="recovery_dates")
    recovery_date = models.DateField(null=True, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    set_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=RecoverySource.choices)
    note = models.CharField(max_length=300, blank=True)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-set_at", "-id"]

    def __str__(self):
        return f"Recovery date {self.recovery_date or 'cleared'}"
