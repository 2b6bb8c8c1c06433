"""Measurement-based care in FHIR R4: Questionnaire, QuestionnaireResponse and total Observation.

One administration (openiop/measures) is one QuestionnaireResponse: what the patient answered,
each answer with its code and score. Its total is an Observation (`category` survey) derived
from that response, coded with the instrument's LOINC total code when it has one, so a
receiver that charts PHQ-9 totals finds ours without reading the answers. The instrument itself
is the Questionnaire it was defined by (openiop/measures/definitions), exported once per
Bundle. Only completed and entered-in-error administrations leave the system: a due or started
one is a to-do, not a record of what the patient said.
"""

import copy

from django.utils import timezone

from openiop.fhir.mappers import (
    OBSERVATION_CATEGORY_SYSTEM,
    coding,
    full_url,
    new_resource,
    practitioner_reference,
    reference,
    resource_id,
)
from openiop.measures.instruments import ORDINAL_VALUE_URL, Instrument, Item, Option
from openiop.measures.models import Mode, Status

# Totals without a LOINC code, and subscales (which have none), are coded in OpenIOP's own
# systems; the code is the instrument's short code ("CRAVING", "PCL-5:cluster_b").
MEASURE_TOTAL_SYSTEM = "urn:openiop:measure-total"
MEASURE_SUBSCALE_SYSTEM = "urn:openiop:measure-subscale"
MEASURE_FLAG_SYSTEM = "urn:openiop:measure-flag"

# Answers the patient gave themselves; paper and interview answers are entered by staff.
SELF_REPORTED_MODES = (Mode.PORTAL, Mode.KIOSK)
STAFF_ENTERED_MODES = (Mode.PAPER, Mode.INTERVIEW)


def questionnaire_key(instrument: Instrument) -> str:
    return f"questionnaire-{instrument.code}|{instrument.version}"


def questionnaire_canonical(instrument: Instrument, version: str | None = None) -> str:
    """`url|version` of the Questionnaire an administration answered. An imported instrument
    whose file has no `url` is named by its Questionnaire's fullUrl in the Bundle instead."""
    url = instrument.url or full_url("Questionnaire", None, key=questionnaire_key(instrument))
    return f"{url}|{version or instrument.version}"


def response_key(administration) -> str:
    return f"measure-response-{administration.pk}"


def total_key(administration) -> str:
    return f"measure-total-{administration.pk}"


# --- Questionnaire ---------------------------------------------------------------------------


def to_fhir_questionnaire(instrument: Instrument) -> dict:
    """The instrument's own Questionnaire, as defined (items, codes, licence, scoring extension).

    Two changes only: `id` becomes the Bundle's UUID for it (every entry's fullUrl is
    `urn:uuid:<id>`, and "phq-9" is not a UUID), and an imported file without `url` gets one
    so the responses can point to it. The canonical `url|version` is what names it.
    Instruments are not patient data: the Questionnaire carries no security labels.
    """
    questionnaire = copy.deepcopy(instrument.questionnaire)
    questionnaire["id"] = resource_id("Questionnaire", None, key=questionnaire_key(instrument))
    if not questionnaire.get("url"):
        questionnaire["url"] = questionnaire_canonical(instrument).split("|")[0]
    questionnaire.setdefault("version", instrument.version)
    return questionnaire


# --- QuestionnaireResponse -------------------------------------------------------------------


def to_fhir_questionnaire_response(administration, instrument: Instrument) -> dict:
    """Map a completed (or entered-in-error) administration: the answers, in question order,
    each as its answer code with its score, or as the bare score when the answer has no code."""
    resource = new_resource(
        "QuestionnaireResponse", administration, administration.security_labels,
        key=response_key(administration),
    )
    if administration.source_identifier or administration.source_system:
        # Where an imported response came from, so the sender can recognise it again.
        identifier = {"value": administration.source_identifier or str(administration.pk)}
        if administration.source_system:
            identifier = {"system": administration.source_system, **identifier}
        resource["identifier"] = identifier
    resource["questionnaire"] = questionnaire_canonical(instrument, administration.instrument_version)
    resource["status"] = (
        "entered-in-error" if administration.status == Status.ENTERED_IN_ERROR else "completed"
    )
    patient = reference("Patient", administration.patient)
    resource["subject"] = patient
    # `authored` is when the answers were given: the day on a paper form may be days before it
    # was typed in, so a date-only value then (FHIR allows it); the moment otherwise.
    if administration.completed_at and (
        administration.answered_on is None
        or timezone.localdate(administration.completed_at) == administration.answered_on
    ):
        resource["authored"] = timezone.localtime(administration.completed_at).isoformat(timespec="seconds")
    elif administration.answered_on:
        resource["authored"] = administration.answered_on.isoformat()
    if author := response_author(administration, patient):
        resource["author"] = author
    # Who gave the answers: always the patient (on paper, in an interview, or on screen).
    resource["source"] = patient
    resource["item"] = [
        response_item(item, administration.answers[item.link_id])
        for item in instrument.items if item.link_id in administration.answers
    ]
    return resource


def response_author(administration, patient_reference: dict) -> dict | None:
    """Who put the answers into the system: the patient on the portal or a clinic tablet; the
    staff member for paper forms and interviews; nobody we know for imported responses."""
    if administration.mode in SELF_REPORTED_MODES:
        return patient_reference
    if administration.mode in STAFF_ENTERED_MODES and administration.entered_by is not None:
        return practitioner_reference(administration.entered_by)
    return None


def response_item(item, value: int) -> dict:
    entry = {"linkId": item.link_id}
    if item.text:
        entry["text"] = item.text
    entry["answer"] = [response_answer(item, value)]
    return entry


def response_answer(item, value: int) -> dict:
    """The chosen answer's Coding with its score (the ordinalValue extension, whose context is a
    Coding), or valueInteger when the question's answers are plain numbers (craving 0-10)."""
    option = item.option_for(value)
    if option is None or option.coding is None:
        return {"valueInteger": value}
    answer_coding = {
        "extension": [{"url": ORDINAL_VALUE_URL, "valueDecimal": value}],
        **option.coding.as_fhir(),
    }
    return {"valueCoding": answer_coding}


# --- Observation: the total ------------------------------------------------------------------


def to_fhir_measure_total(administration, instrument: Instrument) -> dict:
    """Map an administration's total (and subscales, as components) to an Observation derived
    from its QuestionnaireResponse. Call only for administrations with a total."""
    resource = new_resource(
        "Observation", administration, administration.security_labels,
        key=total_key(administration),
    )
    resource["status"] = (
        "entered-in-error" if administration.status == Status.ENTERED_IN_ERROR else "final"
    )
    resource["category"] = [{"coding": [coding(OBSERVATION_CATEGORY_SYSTEM, "survey", "Survey")]}]
    resource["code"] = total_concept(instrument)
    resource["subject"] = reference("Patient", administration.patient)
    if administration.answered_on:
        resource["effectiveDateTime"] = administration.answered_on.isoformat()
    if administration.completed_at:
        resource["issued"] = administration.completed_at.isoformat(timespec="seconds")
    resource["valueInteger"] = administration.total
    if administration.severity:
        resource["interpretation"] = [{"text": administration.severity}]
    if notes := flag_notes(administration, instrument):
        resource["note"] = notes
    resource["derivedFrom"] = [
        reference("QuestionnaireResponse", administration, key=response_key(administration))
    ]
    if components := subscale_components(administration, instrument):
        resource["component"] = components
    return resource


def total_concept(instrument: Instrument) -> dict:
    text = f"{instrument.title} total score"
    if instrument.total_coding is not None:
        return {"coding": [instrument.total_coding.as_fhir()], "text": text}
    return {"coding": [coding(MEASURE_TOTAL_SYSTEM, instrument.code, text)], "text": text}


def flag_notes(administration, instrument: Instrument) -> list[dict]:
    """One note per flag the answers raised, saying what it means (safety items first, as the
    score lists them): e.g. "suicide_risk: Thoughts of death or self-harm reported: ..."."""
    meanings = {cutoff.flag: cutoff.label for cutoff in instrument.cutoffs if cutoff.label}
    meanings.update({rule.flag: rule.message for rule in instrument.safety_items})
    return [
        {"text": f"{flag}: {meanings[flag]}" if meanings.get(flag) else flag}
        for flag in administration.flags
    ]


def subscale_components(administration, instrument: Instrument) -> list[dict]:
    components = []
    for subscale in instrument.subscales:
        if subscale.key not in administration.subscales:
            continue
        code = f"{instrument.code}:{subscale.key}"
        components.append({
            "code": {
                "coding": [coding(MEASURE_SUBSCALE_SYSTEM, code, subscale.label)],
                "text": subscale.label,
            },
            "valueInteger": administration.subscales[subscale.key],
        })
    return components


# --- one patient's measures, as the export lists them -----------------------------------------


def to_fhir_measures(administrations, instruments: dict[str, Instrument]) -> list[dict]:
    """The Questionnaires of the instruments answered (by code), then for each administration
    its QuestionnaireResponse followed by its total Observation.

    `instruments` maps codes to instruments (queries.available_instruments of the patient's
    organization). An administration of an instrument no longer available (an import since
    withdrawn) is exported against a Questionnaire rebuilt from nothing but its code, so the
    answers still leave with the record.
    """
    used: dict[str, Instrument] = {}
    per_administration = []
    for administration in administrations:
        instrument = instruments.get(administration.instrument_code)
        if instrument is None:
            instrument = placeholder_instrument(administration)
        used.setdefault(instrument.code, instrument)
        per_administration.append((administration, instrument))
    resources = [
        to_fhir_questionnaire(instrument)
        for code, instrument in sorted(used.items()) if instrument.questionnaire
    ]
    for administration, instrument in per_administration:
        resources.append(to_fhir_questionnaire_response(administration, instrument))
        if administration.total is not None:
            resources.append(to_fhir_measure_total(administration, instrument))
    return resources


def placeholder_instrument(administration) -> Instrument:
    """An instrument known only by its code: answers go out as bare numbers, no Questionnaire."""
    items = tuple(
        Item(link_id=link_id, text="", options=(Option(value=value, label=str(value)),))
        for link_id, value in administration.answers.items()
    )
    code = administration.instrument_code
    return Instrument(
        code=code, slug=code.lower(), version=administration.instrument_version, title=code,
        stem="", recall_period="", licence="", items=items,
        url=f"urn:openiop:questionnaire:{code}",
    )
