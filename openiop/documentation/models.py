"""Clinical notes: group notes written once, individual, family and medication-management notes,
signatures, co-signatures and addenda.

A group session has one `GroupNote`: the shared part (topic, curriculum module, interventions,
summary), written once. Each member who attended gets their own `Note` (kind "group") holding
only their individual part; their chart shows the shared part with their own part, and nothing
of anyone else's. Adding or changing one member's part never touches another member's row.

Once signed, a note (and a group note's shared part) is never changed and never deleted, by any
path: the guards are in `save()`/`delete()` and in the objectives' m2m signal. Corrections are
`Addendum` rows below the note; a supervisor's co-signature is a `NoteSignature` row added
beside it. A draft is never deleted either: it can be voided, with a reason, and is kept.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import m2m_changed, pre_delete
from django.dispatch import receiver

from openiop.lib import records
from openiop.patients.queries import ClinicalRecordQuerySet
from openiop.privacy.labels import LabelledRecord


class SignedNoteError(ValidationError):
    """Raised on any attempt to change or delete a signed note, a signature or an addendum."""


class NoteKind(models.TextChoices):
    GROUP = "group", "Group therapy"
    INDIVIDUAL = "individual", "Individual therapy"
    FAMILY = "family", "Family therapy"
    MEDICATION = "medication", "Medication management"


class NoteTemplate(models.TextChoices):
    GROUP = "group", "Group member part"
    DAP = "dap", "DAP (data, assessment, plan)"
    SOAP = "soap", "SOAP (subjective, objective, assessment, plan)"
    BIRP = "birp", "BIRP (behavior, intervention, response, plan)"


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"
    VOIDED = "voided", "Voided (draft withdrawn)"


class SignatureRole(models.TextChoices):
    AUTHOR = "author", "Author"
    SUPERVISOR = "supervisor", "Supervisor (co-signature)"


# Statuses after which a row is frozen for good.
FROZEN_STATUSES = frozenset({NoteStatus.SIGNED, NoteStatus.VOIDED})


class GroupNoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Group notes of sessions the user may document: the clinical director's whole
        organization; a clinician or prescriber's own programs and the sessions they staffed."""
        from openiop.accounts.enums import TREATING_ROLES, Role

        if user is None or not user.is_authenticated or not user.organization_id:
            return self.none()
        in_organization = self.filter(program__organization_id=user.organization_id)
        if user.role == Role.DIRECTOR:
            return in_organization
        if user.role in TREATING_ROLES:
            return in_organization.filter(
                models.Q(program__in=user.programs.all()) | models.Q(session__staff=user)
            ).distinct()
        return self.none()


class GroupNote(LabelledRecord):
    """The shared part of one group session's note: no patient is named in it."""

    session = models.OneToOneField("scheduling.Session", on_delete=models.PROTECT, related_name="group_note")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(max_length=200, blank=True)
    module = models.ForeignKey("programs.CurriculumModule", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    interventions = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    attestation = models.TextField(blank=True)

    objects = GroupNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-session__starts_at", "-id"]

    def __str__(self):
        return f"Group note of session {self.session_id} ({self.get_status_display().lower()})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = GroupNote.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == NoteStatus.SIGNED:
                raise SignedNoteError("A signed group note cannot be changed; add an addendum to a member's note.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SignedNoteError("Group notes are never deleted.")

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED


class Note(LabelledRecord):
    """One patient's note. For a group session it is that member's own part (the shared part is
    its `group_note`); otherwise the whole note, in the sections of its template."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="notes")
    episode = models.ForeignKey("care.EpisodeOfCare", on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(max_length=20, choices=NoteKind.choices)
    template = models.CharField(max_length=10, choices=NoteTemplate.choices)
    session = models.ForeignKey("scheduling.Session", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="notes")
    attendance = models.ForeignKey("attendance.Attendance", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="notes")
    group_note = models.ForeignKey(GroupNote, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="member_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    time_in = models.DateTimeField(null=True, blank=True)
    time_out = models.DateTimeField(null=True, blank=True)
    minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Family sessions: whether the patient was in the room (90847) or not (90846).
    patient_present = models.BooleanField(default=True)
    # The template's sections, by key (rules.TEMPLATE_SECTIONS).
    body = models.JSONField(default=dict, blank=True)
    objectives = models.ManyToManyField("plans.Objective", blank=True, related_name="+")
    # What OpenIOP suggested (rules.suggest_code), and why, when the note was last saved.
    suggested_code = models.CharField(max_length=10, blank=True)
    suggestion_reason = models.CharField(max_length=300, blank=True)
    # What the clinician chose; a choice other than the suggestion keeps its reason.
    service_code = models.CharField(max_length=10, blank=True)
    code_reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    void_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    attestation = models.TextField(blank=True)
    # Fixed at signing: the author's licence needed a supervisor's co-signature then.
    cosign_required = models.BooleanField(default=False)

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"]), models.Index(fields=["author", "status"])]
        constraints = [
            # One live note per attendance (a voided draft does not count).
            models.UniqueConstraint(fields=["attendance"], condition=~models.Q(status="voided"),
                                    name="one_live_note_per_attendance"),
            models.CheckConstraint(
                condition=models.Q(time_in__isnull=True) | models.Q(time_out__isnull=True)
                | models.Q(time_out__gte=models.F("time_in")),
                name="note_time_out_after_time_in",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} note {self.pk} ({self.get_status_display().lower()})"

    def save(self, *args, **kwargs):
        # Immutability at the lowest level every path goes through (service, view, admin, shell).
        if self.pk is not None:
            stored = Note.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored in FROZEN_STATUSES:
                raise SignedNoteError("A signed note cannot be changed; write an addendum instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SignedNoteError("Notes are never deleted (a draft can be voided, with a reason).")

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED

    @property
    def is_draft(self) -> bool:
        return self.status == NoteStatus.DRAFT


@receiver(m2m_changed, sender=Note.objectives.through)
def _refuse_objective_changes_on_signed_notes(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("pre_"):
        return
    if reverse:
        note_ids = set(pk_set or ()) | set(
            sender.objects.filter(objective_id=instance.pk).values_list("note_id", flat=True))
    else:
        note_ids = {instance.pk}
    if Note.objects.filter(pk__in=note_ids, status__in=FROZEN_STATUSES).exists():
        raise SignedNoteError("A signed note's objectives cannot be changed.")


@receiver(pre_delete)
def _refuse_deleting_notes(sender, instance, **kwargs):
    """`QuerySet.delete()` skips the models' `delete()` but still sends this signal for each row
    (a draft note has no signature to PROTECT it): notes and their records are never deleted."""
    if sender in (Note, GroupNote, NoteSignature, Addendum):
        raise SignedNoteError("Notes, group notes, signatures and addenda are never deleted.")


class WrittenOnceNoteRecord(records.WrittenOnce):
    """Complete when created: never changed, never deleted (openiop/lib/records.py)."""

    written_once_what = "This record"
    written_once_error = SignedNoteError

    class Meta:
        abstract = True


class NoteSignature(WrittenOnceNoteRecord, LabelledRecord):
    """A signature on a patient's note or on a group note's shared part."""

    written_once_what = "A signature"

    note = models.ForeignKey(Note, null=True, blank=True, on_delete=models.PROTECT, related_name="signatures")
    group_note = models.ForeignKey(GroupNote, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="signatures")
    role = models.CharField(max_length=12, choices=SignatureRole.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attestation = models.TextField(help_text="The words the signer agreed to, kept as shown.")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(note__isnull=False, group_note__isnull=True)
                | models.Q(note__isnull=True, group_note__isnull=False),
                name="note_signature_signs_one_thing",
            ),
            models.UniqueConstraint(fields=["note", "role"], condition=models.Q(note__isnull=False),
                                    name="one_note_signature_per_role"),
            models.UniqueConstraint(fields=["group_note", "role"], condition=models.Q(group_note__isnull=False),
                                    name="one_group_note_signature_per_role"),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.signer} at {self.signed_at:%Y-%m-%d %H:%M}"


class Addendum(WrittenOnceNoteRecord, LabelledRecord):
    """A signed addition below a signed note: it never alters the note above it."""

    written_once_what = "An addendum"

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    attestation = models.TextField()
    written_at = models.DateTimeField()

    objects = ClinicalRecordQuerySet.as_manager()

    class Meta:
        ordering = ["written_at", "id"]
        verbose_name_plural = "addenda"

    def __str__(self):
        return f"Addendum to note {self.note_id} at {self.written_at:%Y-%m-%d %H:%M}"
