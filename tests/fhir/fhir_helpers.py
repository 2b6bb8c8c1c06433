"""Helpers shared by the FHIR tests: validation against the R4B models and bundle walking.

fhir.resources checks structure, cardinality and datatypes (not value-set bindings), so tests
that care about a code also assert it directly.
"""

from openiop.privacy.labels import ACT_CODE_SYSTEM, CONFIDENTIALITY_SYSTEM

# What every entry made from a Part 2 record carries in meta.security (code -> system).
PART2_ENTRY_LABELS = {
    "R": CONFIDENTIALITY_SYSTEM,
    "42CFRPart2": ACT_CODE_SYSTEM,
    "SUD": ACT_CODE_SYSTEM,
    "ETH": ACT_CODE_SYSTEM,
    "NORDSCLCD": ACT_CODE_SYSTEM,
    "RedisclosureProhibitionMark": ACT_CODE_SYSTEM,
}


def validate_resource(resource: dict):
    """Validate one resource with its fhir.resources R4B model and return the model."""
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def validate_bundle(bundle: dict):
    """Validate the Bundle and, one by one, every resource in it."""
    from fhir.resources.R4B.bundle import Bundle

    model = Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        validate_resource(entry["resource"])
    return model


def resources(bundle: dict, resource_type: str | None = None) -> list[dict]:
    return [
        entry["resource"] for entry in bundle["entry"]
        if resource_type is None or entry["resource"]["resourceType"] == resource_type
    ]


def the(bundle: dict, resource_type: str) -> dict:
    """The single resource of `resource_type` in the bundle."""
    (found,) = resources(bundle, resource_type)
    return found


def security(resource: dict) -> dict[str, str]:
    """Label code -> code system, from `meta.security`."""
    return {coding["code"]: coding["system"] for coding in resource["meta"].get("security", [])}


def references_in(value) -> list[str]:
    """Every `reference` string anywhere inside `value`."""
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for item in value.values() for ref in references_in(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references_in(item)]
    return []
