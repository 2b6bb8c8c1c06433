"""Clinical notes as FHIR R4 DocumentReferences (`notes_section(patient)`).

- One DocumentReference per SIGNED note of the patient (drafts and voided drafts never leave):
  status `current`, docStatus `final`, type LOINC 11506-3 "Progress note", category US Core
  "clinical-note", subject the patient, date the signing instant, author the signer (display-only
  practitioner reference), authenticator the co-signing supervisor when there is one.
- The content is one text/plain attachment (base64): the note as THIS patient's chart holds it —
  for a group session the shared part and this member's own part, never another member's — with
  its signatures and addenda (documentation.rules.note_text).
- Each addendum is also its own DocumentReference whose `relatesTo` says it `appends` the note.
- `context.encounter` points to the Encounter of the attendance (fhir/encounters.py maps each
  attended Attendance to an Encounter with the attendance's own id); `context.period` is the
  time in and out; `context.related` points to the patient's Appointment for the session. All
  three resolve inside the export Bundle.
- Labels: the note's own (42 CFR Part 2 for a substance-use program's note).

These are progress notes, part of the record. SUD counseling notes and psychotherapy notes in
the Part 2 / HIPAA sense (kept apart from the record) are a different record type that OpenIOP
does not hold, and would never be exported here.
"""

from __future__ import annotations

import base64

from django.db.models import Prefetch

from openiop.documentation.models import Addendum, Note, NoteSignature, NoteStatus, SignatureRole
from openiop.documentation.rules import note_text
from openiop.fhir.mappers import coding, new_resource, period, practitioner_reference, reference

LOINC_SYSTEM = "http://loinc.org"
PROGRESS_NOTE = coding(LOINC_SYSTEM, "11506-3", "Progress note")
CATEGORY_SYSTEM = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
CLINICAL_NOTE = coding(CATEGORY_SYSTEM, "clinical-note", "Clinical Note")
NOTE_KIND_SYSTEM = "urn:openiop:note-kind"


def addendum_key(addendum) -> str:
    return f"addendum-{addendum.pk}"


def signed_notes(patient):
    """The patient's signed notes with everything the mapper reads (a fixed number of queries)."""
    return (
        Note.objects.filter(patient=patient, status=NoteStatus.SIGNED)
        .select_related("patient", "signed_by", "attendance", "group_note__module")
        .prefetch_related(
            "objectives",
            Prefetch("signatures", queryset=NoteSignature.objects.select_related("signer").order_by("signed_at", "id")),
            Prefetch("addenda", queryset=Addendum.objects.select_related("author").order_by("written_at", "id")),
        )
        .order_by("signed_at", "id")
    )


def _attachment(text: str, title: str, created) -> dict:
    return {
        "contentType": "text/plain; charset=utf-8",
        "language": "en",
        "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
        "title": title,
        "creation": created.isoformat(timespec="seconds"),
    }


def _type() -> dict:
    return {"coding": [PROGRESS_NOTE], "text": "Progress note"}


def to_fhir_note(note) -> dict:
    signatures = list(note.signatures.all())
    addenda = list(note.addenda.all())
    resource = new_resource("DocumentReference", note, note.security_labels)
    resource["status"] = "current"
    resource["docStatus"] = "final"
    resource["type"] = _type()
    resource["category"] = [
        {"coding": [CLINICAL_NOTE]},
        {"coding": [coding(NOTE_KIND_SYSTEM, note.kind, note.get_kind_display())], "text": note.get_kind_display()},
    ]
    resource["subject"] = reference("Patient", note.patient)
    resource["date"] = note.signed_at.isoformat(timespec="seconds")
    resource["author"] = [practitioner_reference(note.signed_by)]
    supervisor = next((s for s in signatures if s.role == SignatureRole.SUPERVISOR), None)
    if supervisor is not None:
        resource["authenticator"] = practitioner_reference(supervisor.signer)
    resource["description"] = f"{note.get_kind_display()} note"
    title = f"{note.get_kind_display()} note"
    resource["content"] = [{"attachment": _attachment(note_text(note, addenda=addenda, signatures=signatures),
                                                      title, note.signed_at)}]
    context = {}
    if note.attendance_id:
        # The same id as encounters.to_fhir_encounter gives the attendance.
        context["encounter"] = [reference("Encounter", note.attendance)]
    if note.time_in or note.time_out:
        context["period"] = period(note.time_in, note.time_out)
    if note.attendance_id:
        context["related"] = [reference("Appointment", note.attendance,
                                        key=f"appointment-{note.attendance.attendee_id}")]
    if context:
        resource["context"] = context
    return resource


def to_fhir_addendum(note, addendum) -> dict:
    resource = new_resource("DocumentReference", addendum, addendum.security_labels, key=addendum_key(addendum))
    resource["status"] = "current"
    resource["docStatus"] = "final"
    resource["type"] = _type()
    resource["category"] = [{"coding": [CLINICAL_NOTE]}]
    resource["subject"] = reference("Patient", note.patient)
    resource["date"] = addendum.written_at.isoformat(timespec="seconds")
    resource["author"] = [practitioner_reference(addendum.author)]
    resource["description"] = f"Addendum to the {note.get_kind_display().lower()} note"
    resource["relatesTo"] = [{"code": "appends", "target": reference("DocumentReference", note)}]
    text = (f"Addendum by {addendum.author.display_name} at {addendum.written_at.isoformat(timespec='minutes')}\n"
            f"{addendum.text}\nAttestation: {addendum.attestation}\n")
    resource["content"] = [{"attachment": _attachment(text, "Addendum", addendum.written_at)}]
    return resource


def notes_section(patient) -> list[dict]:
    """The patient's signed notes, oldest first, each followed by its addenda."""
    resources = []
    for note in signed_notes(patient):
        resources.append(to_fhir_note(note))
        resources += [to_fhir_addendum(note, addendum) for addendum in note.addenda.all()]
    return resources
