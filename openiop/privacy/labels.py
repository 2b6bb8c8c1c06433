"""Security labels on clinical records (42 CFR Part 2, HL7 DS4P).

A record's labels are decided once, when it is created, from the program it was created for,
and then travel with it into every export. Codes are from HL7 terminology (see
docs/privacy.md and shared domain.md section 5.2).
"""

from django.db import models

CONFIDENTIALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SEC_LABEL_BASIS_URL = (
    "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-sec-label-basis"
)

# Restricted confidentiality + the Part 2 policy + SUD sensitivity (and its legacy twin ETH,
# emitted too because receivers still look for it) + "no redisclosure without consent".
PART2_LABELS = ("R", "42CFRPart2", "SUD", "ETH", "NORDSCLCD")
# Mental-health records outside Part 2: normal confidentiality, behavioural-health sensitivity.
MENTAL_HEALTH_LABELS = ("N", "BH")

LABEL_DISPLAY = {
    "R": "restricted",
    "N": "normal",
    "42CFRPart2": "42 CFR Part2",
    "SUD": "substance use disorder information sensitivity",
    "ETH": "substance abuse information sensitivity",
    "NORDSCLCD": "no redisclosure without consent directive",
    "BH": "behavioral health information sensitivity",
}

PART2_SHORT_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


def labels_for_program(program) -> list[str]:
    if program is not None and program.is_part2:
        return list(PART2_LABELS)
    return list(MENTAL_HEALTH_LABELS)


def merge_labels(*label_lists) -> list[str]:
    """Combine labels so that the most protective wins (R over N) and nothing is dropped."""
    merged: list[str] = []
    for labels in label_lists:
        for code in labels:
            if code not in merged:
                merged.append(code)
    if "R" in merged and "N" in merged:
        merged.remove("N")
    return merged


class LabelledRecord(models.Model):
    """A clinical record that remembers which program it was created for and its labels."""

    program_of_origin = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    security_labels = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_part2(self) -> bool:
        return "42CFRPart2" in self.security_labels

    def label_for_program(self, program) -> None:
        """Set the labels from the program the record is created for (only at creation)."""
        self.program_of_origin = program
        self.security_labels = labels_for_program(program)
