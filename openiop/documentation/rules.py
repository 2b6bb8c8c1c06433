"""Pure rules of clinical notes: the templates' sections, the service code OpenIOP suggests, the
check that a group note names no other member, and the complete text of one patient's note.

Service codes (shared domain.md §2). OpenIOP stores codes and its own short labels only, never
the AMA's CPT descriptors. What is suggested:

- individual psychotherapy by minutes: 16–37 → 90832, 38–52 → 90834, 53 or more → 90837; under
  16 minutes no psychotherapy code (time thresholds are CPT's time rule, [U] in domain.md);
- family psychotherapy: 90847 with the patient present, 90846 without; 26 minutes or more (the
  midpoint of the codes' 50 minutes; [U]);
- group psychotherapy: G0410 when the patient's coverage on that day is Medicare (Medicare
  PHP/IOP claims use G0410, not 90853), otherwise 90853; 16 minutes or more;
- medication management: nothing. These visits are billed with an E/M code whose level the
  prescriber chooses from medical decision-making or time; domain.md does not cover E/M and
  OpenIOP does not guess a level.
State Medicaid plans may want H-codes instead (H0004 individual, H0005 SUD group counseling):
those are offered in the list a clinician picks from, never suggested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openiop.documentation.models import NoteKind, NoteTemplate

# The sections of each template, in order: (key, label, prompt).
TEMPLATE_SECTIONS: dict[str, list[tuple[str, str, str]]] = {
    NoteTemplate.DAP: [
        ("data", "Data", "What was observed and said; what was done in the session."),
        ("assessment", "Assessment", "What it means: progress, clinical impressions, risk."),
        ("plan", "Plan", "What comes next: homework, next session, referrals."),
    ],
    NoteTemplate.SOAP: [
        ("subjective", "Subjective", "What the patient reports, in their words where useful."),
        ("objective", "Objective", "What was observed: presentation, mental status, measures."),
        ("assessment", "Assessment", "Clinical impression and progress on the plan."),
        ("plan", "Plan", "Next steps, changes, follow-up."),
    ],
    NoteTemplate.BIRP: [
        ("behavior", "Behavior", "The patient's presentation and what they brought to the session."),
        ("intervention", "Intervention", "What the clinician did (modality, techniques)."),
        ("response", "Response", "How the patient responded to the intervention."),
        ("plan", "Plan", "Next steps and the next session."),
    ],
    NoteTemplate.GROUP: [
        ("participation", "Participation", "How this member took part in the group."),
        ("mood_affect", "Mood and affect", "Observed mood and affect."),
        ("progress", "Progress on plan objectives", "Progress on this member's own objectives."),
        ("risk_observed", "Risk observed", "Safety or relapse risk observed, or none observed."),
        ("plan_next", "Plan for next session", "What this member works on next."),
    ],
}

TEMPLATES_FOR_KIND = {
    NoteKind.GROUP: (NoteTemplate.GROUP,),
    NoteKind.INDIVIDUAL: (NoteTemplate.DAP, NoteTemplate.SOAP, NoteTemplate.BIRP),
    NoteKind.FAMILY: (NoteTemplate.DAP, NoteTemplate.SOAP, NoteTemplate.BIRP),
    NoteKind.MEDICATION: (NoteTemplate.SOAP, NoteTemplate.DAP, NoteTemplate.BIRP),
}

# The shared part of a group note: (field, label).
GROUP_SHARED_FIELDS = [
    ("topic", "Topic"),
    ("interventions", "Interventions"),
    ("summary", "Summary"),
]

# Codes a clinician may choose, with OpenIOP's own short labels (not CPT descriptors).
SERVICE_CODES: dict[str, str] = {
    "90832": "Psychotherapy, about 30 minutes",
    "90834": "Psychotherapy, about 45 minutes",
    "90837": "Psychotherapy, about 60 minutes",
    "90846": "Family psychotherapy, patient not present",
    "90847": "Family psychotherapy, patient present",
    "90853": "Group psychotherapy",
    "G0410": "Group psychotherapy in PHP or IOP (Medicare)",
    "G0411": "Interactive group psychotherapy in PHP or IOP (Medicare)",
    "H0004": "Behavioral health counseling, per 15 minutes (Medicaid)",
    "H0005": "Alcohol and drug group counseling (Medicaid)",
    "99212": "E/M visit, established patient, level 2",
    "99213": "E/M visit, established patient, level 3",
    "99214": "E/M visit, established patient, level 4",
    "99215": "E/M visit, established patient, level 5",
}
PSYCHOTHERAPY_MINIMUM_MINUTES = 16
FAMILY_MINIMUM_MINUTES = 26
GROUP_MINIMUM_MINUTES = 16

DEFAULT_ATTESTATION = (
    "I provided or supervised this service, this note is accurate and complete, and I sign it now."
)
COSIGN_ATTESTATION = "I have reviewed this note and co-sign it as the clinician's supervisor."
ADDENDUM_ATTESTATION = "I wrote this addendum; it adds to the signed note above and changes nothing in it."


@dataclass(frozen=True)
class CodeSuggestion:
    code: str       # "" when nothing is suggested
    reason: str     # why this code, or why none

    @property
    def label(self) -> str:
        return SERVICE_CODES.get(self.code, "")


def suggest_code(*, kind: str, minutes: int | None, coverage_kind: str = "",
                 patient_present: bool = True) -> CodeSuggestion:
    """The service code OpenIOP suggests for a note of `kind` lasting `minutes`, for a patient
    whose coverage on the day is `coverage_kind` (medicaid, medicare, commercial, self_pay)."""
    if kind == NoteKind.MEDICATION:
        return CodeSuggestion("", "Medication management is billed with an E/M code: the prescriber "
                                  "chooses its level; OpenIOP does not suggest one.")
    if minutes is None:
        return CodeSuggestion("", "Enter the times in and out to get a suggestion.")
    if kind == NoteKind.GROUP:
        if minutes < GROUP_MINIMUM_MINUTES:
            return CodeSuggestion("", f"{minutes} minutes in the group: under {GROUP_MINIMUM_MINUTES}, "
                                      "no group psychotherapy code.")
        if coverage_kind == "medicare":
            return CodeSuggestion("G0410", "Group psychotherapy; Medicare IOP claims use G0410 rather than 90853.")
        return CodeSuggestion("90853", "Group psychotherapy (commercial or Medicaid claim).")
    if kind == NoteKind.FAMILY:
        if minutes < FAMILY_MINIMUM_MINUTES:
            return CodeSuggestion("", f"{minutes} minutes: under {FAMILY_MINIMUM_MINUTES}, no family "
                                      "psychotherapy code.")
        if patient_present:
            return CodeSuggestion("90847", f"Family psychotherapy with the patient present, {minutes} minutes.")
        return CodeSuggestion("90846", f"Family psychotherapy without the patient, {minutes} minutes.")
    if minutes < PSYCHOTHERAPY_MINIMUM_MINUTES:
        return CodeSuggestion("", f"{minutes} minutes: under {PSYCHOTHERAPY_MINIMUM_MINUTES} minutes of "
                                  "psychotherapy, no psychotherapy code.")
    if minutes <= 37:
        return CodeSuggestion("90832", f"{minutes} minutes of psychotherapy (16–37).")
    if minutes <= 52:
        return CodeSuggestion("90834", f"{minutes} minutes of psychotherapy (38–52).")
    return CodeSuggestion("90837", f"{minutes} minutes of psychotherapy (53 or more).")


def minutes_between(time_in, time_out) -> int | None:
    if time_in is None or time_out is None or time_out < time_in:
        return None
    return int((time_out - time_in).total_seconds() // 60)


# Names of other group members -------------------------------------------------------------------

MINIMUM_NAME_LENGTH = 2


def names_of(patient) -> list[str]:
    """The names a note could identify `patient` by: legal first and last, preferred."""
    names = [patient.legal_first_name, patient.legal_last_name, patient.preferred_name]
    return [name.strip() for name in names if name and len(name.strip()) >= MINIMUM_NAME_LENGTH]


def named_in(text: str, names) -> list[str]:
    """The `names` that appear in `text` as whole words, case-insensitively."""
    found = []
    for name in names:
        pattern = rf"(?<!\w){re.escape(name)}(?!\w)"
        if re.search(pattern, text or "", flags=re.IGNORECASE) and name not in found:
            found.append(name)
    return found


def other_members_named(values: dict[str, str], others) -> dict[str, list[str]]:
    """Field -> names of `others` (patients) that the field's text contains."""
    names = [name for patient in others for name in names_of(patient)]
    result = {}
    for field_name, text in values.items():
        found = named_in(text, names)
        if found:
            result[field_name] = found
    return result


# The complete text of one patient's note ----------------------------------------------------------


def section_rows(note) -> list[tuple[str, str]]:
    """(label, text) of the note's own sections, in the template's order."""
    body = note.body or {}
    return [(label, body.get(key, "")) for key, label, _ in TEMPLATE_SECTIONS.get(note.template, [])]


def shared_rows(group_note) -> list[tuple[str, str]]:
    rows = [("Topic", group_note.topic)]
    if group_note.module_id:
        rows.append(("Curriculum module", group_note.module.title))
    rows += [("Interventions", group_note.interventions), ("Group summary", group_note.summary)]
    return rows


def note_text(note, *, addenda=(), signatures=()) -> str:
    """The note as one patient's chart holds it: the group's shared part (when a group note),
    this patient's own part, signatures and addenda. Nothing of another member's part."""
    lines = [f"{note.get_kind_display()} note"]
    if note.time_in and note.time_out:
        lines.append(f"Time in {note.time_in.isoformat(timespec='minutes')}, "
                     f"time out {note.time_out.isoformat(timespec='minutes')} ({note.minutes} minutes)")
    if note.group_note_id:
        lines.append("")
        lines.append("Group session (shared part)")
        lines += [f"{label}: {text}" for label, text in shared_rows(note.group_note) if text]
        lines.append("")
        lines.append("This member's part")
    lines += [f"{label}: {text}" for label, text in section_rows(note) if text]
    objectives = list(note.objectives.all())
    if objectives:
        lines.append("Plan objectives addressed: " + "; ".join(objective.text for objective in objectives))
    if note.service_code:
        lines.append(f"Service code: {note.service_code}")
    for signature in signatures:
        lines.append(f"Signed by {signature.signer.display_name} ({signature.get_role_display().lower()}) at "
                     f"{signature.signed_at.isoformat(timespec='minutes')}: {signature.attestation}")
    for addendum in addenda:
        lines.append("")
        lines.append(f"Addendum by {addendum.author.display_name} at {addendum.written_at.isoformat(timespec='minutes')}")
        lines.append(addendum.text)
    return "\n".join(lines) + "\n"
