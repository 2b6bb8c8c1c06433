"""Reading a FHIR R4 QuestionnaireResponse from another system into answers we can score.

Used by `openiop measures score --fhir FILE` and `openiop measures import-response`. Only the
answers are taken: the instrument comes from the response's `questionnaire`, each answer's
score from our own definition of that instrument (an answer code is matched to our option,
a number is checked against our options). A total the sender wrote into the file is read only
to be *reported* next to ours: it is never used, because a total computed elsewhere, from
another version of the scoring, or typed by hand, is exactly what a clinician must not trust.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from openiop.measures.instruments import Instrument, normalize_code

# Items some senders add to carry the total they computed. Matched case-insensitively.
TOTAL_LINK_IDS = frozenset({"total", "score", "total-score", "totalscore", "total_score", "sum"})
# Completed responses only: an in-progress one has not been given to us as the patient's answers.
IMPORTABLE_STATUSES = ("completed", "amended")


class ResponseError(ValueError):
    """A QuestionnaireResponse that cannot be read; the message names the element at fault."""


@dataclass(frozen=True)
class ReadResponse:
    instrument: Instrument
    answers: dict[str, int]            # our linkId -> the value given
    status: str
    authored: dt.date | None
    source_system: str
    source_identifier: str
    reported_total: int | None         # what the file claimed, if anything; never used
    subject_identifiers: tuple[tuple[str, str], ...]  # (system, value) of the subject


def read_response(resource: dict, instruments: dict[str, Instrument]) -> ReadResponse:
    """Read `resource` (a parsed QuestionnaireResponse) against `instruments` (code -> Instrument,
    e.g. queries.available_instruments). Raises ResponseError naming what is wrong."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "QuestionnaireResponse":
        found = resource.get("resourceType") if isinstance(resource, dict) else type(resource).__name__
        raise ResponseError(f"resourceType: expected a QuestionnaireResponse, found {found!r}.")
    instrument = find_instrument(resource, instruments)
    identifier = resource.get("identifier") or {}
    if isinstance(identifier, list):  # R5 and some senders repeat it
        identifier = identifier[0] if identifier else {}
    meta_source = (resource.get("meta") or {}).get("source", "")
    return ReadResponse(
        instrument=instrument,
        answers=answers_of(resource, instrument),
        status=str(resource.get("status", "")),
        authored=authored_on(resource.get("authored")),
        source_system=str(meta_source or identifier.get("system", ""))[:200],
        source_identifier=str(identifier.get("value", ""))[:200],
        reported_total=reported_total(resource, instrument),
        subject_identifiers=subject_identifiers(resource),
    )


# --- which instrument ------------------------------------------------------------------------


def find_instrument(resource: dict, instruments: dict[str, Instrument]) -> Instrument:
    """The instrument named by `questionnaire`: its canonical URL (any version), else the last
    part of the reference as an instrument id, code or LOINC panel code ("Questionnaire/phq-9",
    ".../PHQ9", "http://loinc.org/q/44249-1"), else a contained Questionnaire's url, id or code."""
    candidates = [str(resource.get("questionnaire") or "")]
    for contained in resource.get("contained") or []:
        if isinstance(contained, dict) and contained.get("resourceType") == "Questionnaire":
            candidates.append(str(contained.get("url") or ""))
            candidates.append(str(contained.get("id") or ""))
            candidates += [str(c.get("code", "")) for c in contained.get("code") or []]
    for candidate in filter(None, candidates):
        if (instrument := _instrument_named(candidate, instruments)) is not None:
            return instrument
    named = resource.get("questionnaire") or "nothing"
    known = ", ".join(sorted(instruments))
    raise ResponseError(
        f"questionnaire: {named!r} is not an instrument OpenIOP knows (known: {known}). "
        "Import its Questionnaire first with `openiop measures import-questionnaire`."
    )


def _instrument_named(reference: str, instruments: dict[str, Instrument]) -> Instrument | None:
    url = reference.split("|")[0].strip().rstrip("/")
    for instrument in instruments.values():
        if instrument.url and instrument.url.rstrip("/") == url:
            return instrument
    last = url.rsplit("/", 1)[-1].removeprefix("#")
    wanted = normalize_code(last)
    if not wanted:
        return None
    for instrument in instruments.values():
        names = {instrument.slug, instrument.code, instrument.questionnaire.get("name", "")}
        if instrument.panel_coding is not None:
            names.add(instrument.panel_coding.code)
        if wanted in {normalize_code(str(name)) for name in names if name}:
            return instrument
    return None


# --- the answers -----------------------------------------------------------------------------


def answers_of(resource: dict, instrument: Instrument) -> dict:
    """{our linkId: value} for every answered question. An item is ours by linkId, or by its
    code (LOINC forms use linkIds like "/44250-9"). Unknown answered items are kept under their
    own linkId so scoring names them; total items are left out (see reported_total)."""
    answers: dict = {}
    for item in _flatten(resource.get("item") or []):
        answer_list = item.get("answer") or []
        if not answer_list or _is_total_item(item, instrument):
            continue
        ours = _our_item(item, instrument)
        link_id = ours.link_id if ours is not None else str(item.get("linkId", ""))
        if len(answer_list) > 1:
            raise ResponseError(f"item {link_id}: has {len(answer_list)} answers; one was expected.")
        answers[link_id] = answer_value(answer_list[0], ours, link_id)
    return answers


def _flatten(items: list) -> list[dict]:
    """Every item, groups and nested items (inside items and answers) included, in order."""
    flat = []
    for item in items:
        if not isinstance(item, dict):
            continue
        flat.append(item)
        flat.extend(_flatten(item.get("item") or []))
        for answer in item.get("answer") or []:
            flat.extend(_flatten(answer.get("item") or []) if isinstance(answer, dict) else [])
    return flat


def _our_item(item: dict, instrument: Instrument):
    link_id = str(item.get("linkId", ""))
    if (ours := instrument.item(link_id)) is not None:
        return ours
    codes = {str(c.get("code", "")) for c in item.get("code") or [] if isinstance(c, dict)}
    codes.add(link_id.lstrip("/"))
    for candidate in instrument.items:
        if candidate.coding is not None and candidate.coding.code in codes:
            return candidate
    return None


def answer_value(answer: dict, item, link_id: str):
    """The value of one answer on our scale. A Coding is matched to our option by its code
    (the sender's ordinalValue, if any, is not trusted); a number is taken as given and
    checked by scoring. Anything else is returned as text so scoring names the question."""
    if not isinstance(answer, dict):
        raise ResponseError(f"item {link_id}: the answer is not an object.")
    if "valueCoding" in answer:
        return _coded_value(answer["valueCoding"] or {}, item, link_id)
    if "valueInteger" in answer:
        return answer["valueInteger"]
    if "valueDecimal" in answer:
        return _whole_number(answer["valueDecimal"], link_id)
    kinds = [key for key in answer if key.startswith("value")]
    raise ResponseError(
        f"item {link_id}: answers must be valueCoding, valueInteger or valueDecimal, "
        f"not {kinds[0] if kinds else 'empty'}."
    )


def _coded_value(value_coding: dict, item, link_id: str) -> int:
    code = str(value_coding.get("code", ""))
    system = value_coding.get("system")
    if item is not None:
        for option in item.options:
            if option.coding is None or option.coding.code != code:
                continue
            if system and option.coding.system and system != option.coding.system:
                continue
            return option.value
    shown = f"{system}|{code}" if system else code
    raise ResponseError(f"item {link_id}: answer code {shown!r} is not one of this question's answers.")


def _whole_number(raw, link_id: str) -> int:
    try:
        number = Decimal(str(raw))
    except InvalidOperation as error:
        raise ResponseError(f"item {link_id}: {raw!r} is not a number.") from error
    if number != number.to_integral_value():
        raise ResponseError(f"item {link_id}: {raw} is not a whole number.")
    return int(number)


# --- the total the sender claimed (reported, never used) -------------------------------------


def reported_total(resource: dict, instrument: Instrument) -> int | None:
    """The total the file says it has, from the first of: an item whose linkId is "total",
    "score" (and the like) or whose code is the instrument's total code; an extension on the
    response whose url names a score or total (e.g. itemWeight-style score extensions); a
    contained Observation's value."""
    for item in _flatten(resource.get("item") or []):
        if _is_total_item(item, instrument):
            for answer in item.get("answer") or []:
                if (value := _number_in(answer)) is not None:
                    return value
    totals = [
        extension for extension in resource.get("extension") or []
        if isinstance(extension, dict) and _names_a_total(str(extension.get("url", "")))
    ]
    totals += [
        contained for contained in resource.get("contained") or []
        if isinstance(contained, dict) and contained.get("resourceType") == "Observation"
    ]
    for element in totals:
        if (value := _number_in(element)) is not None:
            return value
    return None


def _is_total_item(item: dict, instrument: Instrument) -> bool:
    link_id = str(item.get("linkId", ""))
    if instrument.item(link_id) is not None:
        return False
    if link_id.strip().lower() in TOTAL_LINK_IDS:
        return True
    if instrument.total_coding is None:
        return False
    codes = {str(c.get("code", "")) for c in item.get("code") or [] if isinstance(c, dict)}
    return instrument.total_coding.code in codes | {link_id.lstrip("/")}


def _names_a_total(url: str) -> bool:
    name = url.rstrip("/").rsplit("/", 1)[-1].lower()
    return "total" in name or "score" in name or name in ("itemweight", "ordinalvalue")


def _number_in(element: dict) -> int | None:
    if not isinstance(element, dict):
        return None
    for key in ("valueInteger", "valueDecimal"):
        if key in element:
            return _as_int(element[key])
    if isinstance(element.get("valueQuantity"), dict):
        return _as_int(element["valueQuantity"].get("value"))
    return None


def _as_int(raw) -> int | None:
    try:
        return int(Decimal(str(raw)))
    except (InvalidOperation, ValueError):
        return None


# --- dates and the subject -------------------------------------------------------------------


def authored_on(raw) -> dt.date | None:
    """The local day of `authored` (a FHIR date or dateTime)."""
    if not raw:
        return None
    text = str(raw)
    moment = parse_datetime(text)
    if moment is not None:
        if timezone.is_aware(moment):
            return timezone.localdate(moment)
        return moment.date()
    try:
        day = parse_date(text) or parse_date(f"{text}-01") or parse_date(f"{text}-01-01")
    except ValueError:
        day = None
    if day is None:
        raise ResponseError(f"authored: {text!r} is not a FHIR date or dateTime.")
    return day


def subject_identifiers(resource: dict) -> tuple[tuple[str, str], ...]:
    subject = resource.get("subject") or {}
    identifier = subject.get("identifier") if isinstance(subject, dict) else None
    identifiers = identifier if isinstance(identifier, list) else [identifier] if identifier else []
    return tuple(
        (str(i.get("system", "")), str(i.get("value", ""))) for i in identifiers if isinstance(i, dict)
    )
