"""Medications and drug screens in FHIR R4: MedicationStatement and Observation.

MedicationStatement (one per medication row, oldest first):
- status: `active`, `completed` once stopped (the stop reason in `statusReason` text; a dose
  change is a stop and a new statement, so the history travels), `entered-in-error`.
- medicationCodeableConcept: the name as text only. No RxNorm code: OpenIOP does not keep a
  drug terminology, and a guessed code is worse than none.
- effectivePeriod from the start and stop dates; `dateAsserted` when it was recorded.
- dosage: one Dosage with text ("8 mg/2 mg, sublingual, twice daily") and the route as text.
- informationSource: the prescriber here (display-only Practitioner), the outside prescriber's
  name, or the Patient for a patient-reported medication. `category` (R4 code system
  medication-statement-category): outpatient (prescribed here), community (outside),
  patientspecified (reported by the patient).
- reasonCode text; `note`: medication for opioid use disorder, the opioid treatment program that
  doses methadone, and each adherence note.
- context: the EpisodeOfCare it was recorded in.

Observation (one per drug-screen result, oldest collection first; a screen waiting for results
or cancelled has none):
- category `laboratory`; status `final`, or `corrected` for a correction (the corrected
  screen's results stay `final` with a note saying they were corrected later).
- code: OpenIOP's own system `urn:openiop:drug-screen-substance` with the substance code. No
  LOINC code: presumptive cup results map to LOINC codes that depend on the device's cut-off
  and specimen, and we are not sure of any single one, so none is sent (docs/medical.md).
- value: SNOMED CT 10828004 Positive / 260385009 Negative; inconclusive as text only; breath
  alcohol as a UCUM quantity in g/dL.
- effectiveDateTime = collected_at; issued = resulted_at; performer: who collected it and the
  laboratory (display-only references); specimen: a display-only reference naming the type
  and whether collection was observed; method as text.
- interpretation: OpenIOP's `urn:openiop:drug-screen-interpretation` (expected negative,
  expected positive, unexpected positive, unexpected negative, not interpretable), with the
  note and the medication that explained an expected positive.
- Labels: each record's own (Part 2 for screens of the substance-use programs).
"""

from __future__ import annotations

from django.db.models import Prefetch

from openiop.fhir.mappers import (
    OBSERVATION_CATEGORY_SYSTEM,
    UCUM_SYSTEM,
    coding,
    new_resource,
    practitioner_reference,
    reference,
)
from openiop.medical import rules
from openiop.medical.models import AdherenceNote, DrugScreenResult, Medication, Source

SUBSTANCE_SYSTEM = "urn:openiop:drug-screen-substance"
INTERPRETATION_SYSTEM = "urn:openiop:drug-screen-interpretation"
SNOMED_SYSTEM = "http://snomed.info/sct"
STATEMENT_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/medication-statement-category"
POSITIVE = coding(SNOMED_SYSTEM, "10828004", "Positive")
NEGATIVE = coding(SNOMED_SYSTEM, "260385009", "Negative")
CATEGORY = {
    Source.HERE: ("outpatient", "Outpatient"),
    Source.OUTSIDE: ("community", "Community"),
    Source.PATIENT_REPORTED: ("patientspecified", "Patient Specified"),
}


def _instant(value) -> str:
    return value.isoformat(timespec="seconds")


# --- MedicationStatement ---------------------------------------------------------------------


def medication_rows(patient):
    return (
        Medication.objects.filter(patient=patient)
        .select_related("patient", "prescriber", "episode")
        .prefetch_related(Prefetch("adherence_notes", queryset=AdherenceNote.objects.select_related("author")
                                   .order_by("written_at", "id")))
        .order_by("created_at", "id")
    )


def to_fhir_medication_statement(medication) -> dict:
    resource = new_resource("MedicationStatement", medication, medication.security_labels)
    status = {"active": "active", "stopped": "completed", "entered-in-error": "entered-in-error"}[medication.status]
    resource["status"] = status
    if medication.entered_in_error and medication.error_reason:
        resource["statusReason"] = [{"text": f"Entered in error: {medication.error_reason}"}]
    elif medication.stopped_on and medication.stop_reason:
        resource["statusReason"] = [{"text": medication.stop_reason}]
    code, display = CATEGORY[medication.source]
    resource["category"] = {"coding": [coding(STATEMENT_CATEGORY_SYSTEM, code, display)]}
    resource["medicationCodeableConcept"] = {"text": medication.name}
    resource["subject"] = reference("Patient", medication.patient)
    if medication.episode_id:
        resource["context"] = reference("EpisodeOfCare", medication.episode)
    period = {}
    if medication.started_on:
        period["start"] = medication.started_on.isoformat()
    if medication.stopped_on:
        period["end"] = medication.stopped_on.isoformat()
    if period:
        resource["effectivePeriod"] = period
    resource["dateAsserted"] = _instant(medication.created_at)
    if source := information_source(medication):
        resource["informationSource"] = source
    if medication.reason:
        resource["reasonCode"] = [{"text": medication.reason}]
    if notes := statement_notes(medication):
        resource["note"] = notes
    resource["dosage"] = [{
        "text": f"{medication.dose}, {medication.get_route_display().lower()}, {medication.frequency}",
        "route": {"text": medication.get_route_display()},
    }]
    return resource


def information_source(medication) -> dict | None:
    if medication.source == Source.PATIENT_REPORTED:
        return reference("Patient", medication.patient)
    if medication.moud == rules.MoudKind.METHADONE and medication.otp_name:
        return {"type": "Organization", "display": medication.otp_name}
    if medication.prescriber_id:
        return practitioner_reference(medication.prescriber)
    if medication.prescriber_name:
        return {"type": "Practitioner", "display": medication.prescriber_name}
    return None


def statement_notes(medication) -> list[dict]:
    notes = []
    if medication.is_moud:
        text = f"Medication for opioid use disorder ({medication.get_moud_display()})."
        if medication.otp_name:
            text += f" Dispensed by {medication.otp_name} (opioid treatment program)."
        notes.append({"text": text})
    for note in medication.adherence_notes.all():
        annotation = {"time": _instant(note.written_at),
                      "text": note.get_adherence_display() + (f": {note.text}" if note.text else "")}
        if note.author_id:
            annotation["authorString"] = note.author.display_name
        notes.append(annotation)
    return notes


def medication_statements_section(patient) -> list[dict]:
    """The patient's medications, oldest first, as MedicationStatements."""
    return [to_fhir_medication_statement(medication) for medication in medication_rows(patient)]


# --- drug screens as Observations ------------------------------------------------------------


def result_rows(patient):
    return (
        DrugScreenResult.objects.filter(patient=patient)
        .select_related("patient", "explained_by", "screen__collected_by", "screen__episode")
        .prefetch_related("screen__amended_by")
        .order_by("screen__collected_at", "screen_id", "id")
    )


def to_fhir_drug_screen_observation(row) -> dict:
    screen = row.screen
    resource = new_resource("Observation", row, row.security_labels, key=f"drug-screen-result-{row.pk}")
    resource["status"] = "corrected" if screen.amends_id else "final"
    resource["category"] = [{"coding": [coding(OBSERVATION_CATEGORY_SYSTEM, "laboratory", "Laboratory")]}]
    name = rules.substance_name(row.substance)
    resource["code"] = {"coding": [coding(SUBSTANCE_SYSTEM, row.substance, name)],
                        "text": f"{name}, {screen.panel_name}"}
    resource["subject"] = reference("Patient", row.patient)
    resource["effectiveDateTime"] = _instant(screen.collected_at)
    if screen.resulted_at:
        resource["issued"] = _instant(screen.resulted_at)
    performers = []
    if screen.collected_by_id:
        performers.append(practitioner_reference(screen.collected_by))
    if screen.lab_name:
        performers.append({"type": "Organization", "display": screen.lab_name})
    if performers:
        resource["performer"] = performers
    if row.value is not None:
        resource["valueQuantity"] = {"value": float(row.value), "unit": row.unit or rules.BREATH_ALCOHOL_UNIT,
                                     "system": UCUM_SYSTEM, "code": row.unit or rules.BREATH_ALCOHOL_UNIT}
    elif row.result == rules.Result.POSITIVE:
        resource["valueCodeableConcept"] = {"coding": [POSITIVE], "text": "Positive"}
    elif row.result == rules.Result.NEGATIVE:
        resource["valueCodeableConcept"] = {"coding": [NEGATIVE], "text": "Negative"}
    else:
        resource["valueCodeableConcept"] = {"text": "Inconclusive"}
    resource["interpretation"] = [{
        "coding": [coding(INTERPRETATION_SYSTEM, row.interpretation, row.get_interpretation_display())],
        "text": row.get_interpretation_display(),
    }]
    notes = []
    if row.interpretation_note:
        notes.append({"text": row.interpretation_note})
    if screen.validity != rules.Validity.VALID:
        notes.append({"text": f"Specimen {screen.get_validity_display().lower()}."})
    if screen.amends_id and screen.amend_reason:
        notes.append({"text": f"Correction of results recorded earlier: {screen.amend_reason}"})
    corrections = list(screen.amended_by.all())
    if corrections:
        notes.append({"text": f"These results were corrected later ({corrections[0].amend_reason})."})
    if notes:
        resource["note"] = notes
    observed = "observed collection" if screen.observed else "collection not observed"
    resource["specimen"] = {"type": "Specimen", "display": f"{screen.get_specimen_display()} ({observed})"}
    resource["method"] = {"text": screen.get_method_display()}
    return resource


def drug_screens_section(patient) -> list[dict]:
    """Each drug-screen result, oldest collection first, as a laboratory Observation."""
    return [to_fhir_drug_screen_observation(row) for row in result_rows(patient)]
