"""Security labels in FHIR `meta` (HL7 DS4P), for 42 CFR Part 2 and mental-health records.

A record's labels are plain codes decided when it was created (openiop/privacy/labels.py); this
module turns them into the Codings and extensions a receiver reads:

- each resource's `meta.security` carries all of its record's labels, and a Part 2 record also
  the `RedisclosureProhibitionMark`; the confidentiality `R` of a Part 2 record names its basis
  (`extension-sec-label-basis` = 42CFRPart2);
- a Part 2 resource's `meta` carries the §2.32 statement in the DS4P `extension-display`, the
  IG's element for "a marking that should be displayed when the resource is rendered", so the
  notice stays with the resource if a receiver splits the Bundle;
- the Bundle carries only the high-water mark: the highest confidentiality of its entries and
  the Part 2 policy code. Refrain codes (NORDSCLCD) stay on the entries: DS4P says privacy
  refrain and obligation tags shall not be in a Bundle's high-water-mark labels
  (shared privacy.md §4.3).
"""

from openiop.privacy.labels import (
    ACT_CODE_SYSTEM,
    CONFIDENTIALITY_SYSTEM,
    LABEL_DISPLAY,
    PART2_SHORT_NOTICE,
    SEC_LABEL_BASIS_URL,
)

DISPLAY_EXTENSION_URL = (
    "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-display"
)

PART2_POLICY = "42CFRPart2"
REDISCLOSURE_MARK = "RedisclosureProhibitionMark"

# HL7 v3-Confidentiality, lowest to highest; the Bundle takes the highest of its entries.
CONFIDENTIALITY_ORDER = ("U", "L", "M", "N", "R", "V")

# v3-ActCode labels this exporter knows how to write. A record carrying any other code makes the
# export fail loudly instead of sending a label under a guessed code system.
ACT_CODE_DISPLAY = {
    PART2_POLICY: LABEL_DISPLAY[PART2_POLICY],
    "SUD": LABEL_DISPLAY["SUD"],
    "ETH": LABEL_DISPLAY["ETH"],
    "NORDSCLCD": LABEL_DISPLAY["NORDSCLCD"],
    "BH": LABEL_DISPLAY["BH"],
    "PSY": "psychiatry disorder information sensitivity",
    "MH": "mental health information sensitivity",
    "PSYTHPN": "psychotherapy note information sensitivity",
    REDISCLOSURE_MARK: "prohibition against redisclosure mark",
}

CONFIDENTIALITY_DISPLAY = {
    "U": "unrestricted",
    "L": "low",
    "M": "moderate",
    "N": LABEL_DISPLAY["N"],
    "R": LABEL_DISPLAY["R"],
    "V": "very restricted",
}


class SecurityLabelError(ValueError):
    """A record's labels cannot be written faithfully: an unknown code, or no confidentiality.

    The export stops rather than send a record under-labelled (42 CFR Part 2 data must never
    leave without its labels).
    """


def security_coding(code: str, *, part2: bool = False) -> dict:
    """Return the Coding for one label code; on a Part 2 `R`, name 42CFRPart2 as its basis."""
    if code in CONFIDENTIALITY_DISPLAY:
        display = CONFIDENTIALITY_DISPLAY[code]
        coding = {"system": CONFIDENTIALITY_SYSTEM, "code": code, "display": display}
        if part2 and code == "R":
            coding = {"extension": [label_basis_extension()], **coding}
        return coding
    if code in ACT_CODE_DISPLAY:
        return {"system": ACT_CODE_SYSTEM, "code": code, "display": ACT_CODE_DISPLAY[code]}
    raise SecurityLabelError(f"no FHIR code system known for security label {code!r}")


def label_basis_extension() -> dict:
    """The DS4P basis of a Part 2 confidentiality label: the 42 CFR Part 2 policy."""
    return {
        "url": SEC_LABEL_BASIS_URL,
        "valueCoding": security_coding(PART2_POLICY),
    }


def notice_extension() -> dict:
    """The §2.32 short statement, as a DS4P marking receivers are asked to display."""
    return {"url": DISPLAY_EXTENSION_URL, "valueAnnotation": {"text": PART2_SHORT_NOTICE}}


def record_meta(labels) -> dict:
    """Return `meta` for a resource of a record with `labels` (and for Part 2, the notice)."""
    if not any(code in CONFIDENTIALITY_ORDER for code in labels):
        raise SecurityLabelError(f"no confidentiality label among {list(labels)!r}")
    part2 = PART2_POLICY in labels
    codes = list(labels)
    if part2 and REDISCLOSURE_MARK not in codes:
        # The computable twin of the §2.32 notice (its HL7 definition cites 42 CFR Part 2).
        codes.append(REDISCLOSURE_MARK)
    meta = {"security": [security_coding(code, part2=part2) for code in codes]}
    if part2:
        meta = {"extension": [notice_extension()], **meta}
    return meta


def security_codes(resource: dict) -> list[str]:
    """The label codes in a resource's `meta.security`."""
    return [coding["code"] for coding in resource.get("meta", {}).get("security", [])]


def is_part2(resource: dict) -> bool:
    return PART2_POLICY in security_codes(resource)


def high_water_mark(resources) -> str:
    """The highest confidentiality among `resources` (N when none says otherwise)."""
    found = [
        code for resource in resources for code in security_codes(resource)
        if code in CONFIDENTIALITY_ORDER
    ]
    return max(found, key=CONFIDENTIALITY_ORDER.index, default="N")


def bundle_meta(resources, *, last_updated: str) -> dict:
    """Return the Bundle's `meta`: high-water-mark confidentiality, the Part 2 policy and notice
    when any entry is Part 2, and nothing else (no refrain codes on a Bundle, DS4P)."""
    part2 = any(is_part2(resource) for resource in resources)
    security = [security_coding(high_water_mark(resources), part2=part2)]
    meta: dict = {"lastUpdated": last_updated}
    if part2:
        security.append(security_coding(PART2_POLICY))
        meta["extension"] = [notice_extension()]
    meta["security"] = security
    return meta
