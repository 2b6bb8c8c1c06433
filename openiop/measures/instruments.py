"""Measurement instruments: what is asked, how it is scored, and what a score means.

Every instrument, built-in or imported, is described by one FHIR R4 `Questionnaire` with
OpenIOP's scoring extension (docs/measures.md). `instrument_from_questionnaire` turns that
description into an `Instrument`; nothing about PHQ-9 or GAD-7 is written in Python, so an
organization that holds the licence for another instrument imports its file and it works.

The built-in files are in `definitions/`; codes and thresholds there are sourced in
docs/measures-sources.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

SCORING_URL = "https://openiop.org/fhir/StructureDefinition/instrument-scoring"
ITEM_SCORED_URL = "https://openiop.org/fhir/StructureDefinition/item-scored"
ORDINAL_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
# The R5 name of the same idea; accepted on import because many tools emit it.
ITEM_WEIGHT_URL = "http://hl7.org/fhir/StructureDefinition/itemWeight"
LOINC = "http://loinc.org"
DEFINITIONS_DIR = Path(__file__).parent / "definitions"

# Jacobson & Truax (1991): a change larger than 1.96 standard errors of the difference is
# unlikely (p < .05) to be measurement error alone.
RCI_CRITICAL_VALUE = 1.96


class DefinitionError(ValueError):
    """A Questionnaire file that cannot be used as an instrument; the message says where."""


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str = ""

    def as_fhir(self) -> dict:
        coding = {"system": self.system, "code": self.code}
        if self.display:
            coding["display"] = self.display
        return coding


@dataclass(frozen=True)
class Option:
    value: int
    label: str
    coding: Coding | None = None


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    options: tuple[Option, ...]
    coding: Coding | None = None
    scored: bool = True
    required: bool = True

    @property
    def lowest(self) -> int:
        return min(option.value for option in self.options)

    @property
    def highest(self) -> int:
        return max(option.value for option in self.options)

    def option_for(self, value: int) -> Option | None:
        return next((option for option in self.options if option.value == value), None)


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str

    def contains(self, score: int) -> bool:
        return self.low <= score <= self.high


@dataclass(frozen=True)
class Subscale:
    key: str
    label: str
    link_ids: tuple[str, ...]
    # When set, the subscale counts items answered at or above this value instead of summing.
    count_at_least: int | None = None


@dataclass(frozen=True)
class SafetyItem:
    link_id: str
    at_least: int
    flag: str
    message: str


@dataclass(frozen=True)
class Cutoff:
    flag: str
    label: str
    at_least: int | None = None
    at_most: int | None = None
    sex: str = ""          # "" applies to everyone; "male" / "female" for sex-specific cut-offs
    subscale: str = ""     # "" means the total

    def is_met_by(self, score: int) -> bool:
        if self.at_least is not None and score < self.at_least:
            return False
        return not (self.at_most is not None and score > self.at_most)


@dataclass(frozen=True)
class ReliableChange:
    """How big a change must be to be more than measurement error, with where that comes from."""

    points: float
    citation: str

    @classmethod
    def from_reliability(cls, *, sd: float, reliability: float, citation: str) -> ReliableChange:
        return cls(points=reliable_change_threshold(sd=sd, reliability=reliability), citation=citation)


@dataclass(frozen=True)
class Caseness:
    at_least: int
    citation: str


@dataclass(frozen=True)
class Instrument:
    code: str                    # what people type: "PHQ-9"
    slug: str                    # the Questionnaire id: "phq-9"
    version: str
    title: str
    stem: str                    # shown above the questions
    recall_period: str
    licence: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    safety_items: tuple[SafetyItem, ...] = ()
    cutoffs: tuple[Cutoff, ...] = ()
    reliable_change: ReliableChange | None = None
    caseness: Caseness | None = None
    has_total: bool = True
    higher_is_better: bool = False
    panel_coding: Coding | None = None
    total_coding: Coding | None = None
    url: str = ""
    questionnaire: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    @property
    def min_total(self) -> int:
        return sum(item.lowest for item in self.scored_items)

    @property
    def max_total(self) -> int:
        return sum(item.highest for item in self.scored_items)

    def item(self, link_id: str) -> Item | None:
        return next((item for item in self.items if item.link_id == link_id), None)

    def band_for(self, total: int | None) -> Band | None:
        if total is None:
            return None
        return next((band for band in self.bands if band.contains(total)), None)

    def band_index(self, total: int | None) -> int | None:
        band = self.band_for(total)
        return None if band is None else self.bands.index(band)

    def subscale_range(self, subscale: Subscale) -> tuple[int, int]:
        items = [self.item(link_id) for link_id in subscale.link_ids]
        if subscale.count_at_least is not None:
            return 0, len(items)
        return sum(item.lowest for item in items), sum(item.highest for item in items)


def reliable_change_threshold(*, sd: float, reliability: float) -> float:
    """The smallest reliable change in points (Jacobson & Truax 1991):
    1.96 × S_diff, where S_diff = √2 × SE and SE = SD × √(1 − r)."""
    standard_error = sd * math.sqrt(1 - reliability)
    return RCI_CRITICAL_VALUE * math.sqrt(2 * standard_error**2)


def reliable_change_index(*, before: float, after: float, sd: float, reliability: float) -> float:
    """RC = (after − before) / S_diff; |RC| > 1.96 is reliable change (Jacobson & Truax 1991)."""
    standard_error = sd * math.sqrt(1 - reliability)
    return (after - before) / math.sqrt(2 * standard_error**2)


# Reading a Questionnaire ---------------------------------------------------------------------


def instrument_from_questionnaire(questionnaire: dict) -> Instrument:
    """Build an Instrument from a Questionnaire with OpenIOP's scoring extension, or raise
    DefinitionError naming what is missing or inconsistent."""
    if not isinstance(questionnaire, dict) or questionnaire.get("resourceType") != "Questionnaire":
        raise DefinitionError("resourceType: this is not a FHIR Questionnaire.")
    scoring = _extension(questionnaire.get("extension", []), SCORING_URL)
    if scoring is None:
        raise DefinitionError(f"extension: the Questionnaire has no scoring extension ({SCORING_URL}).")
    parts = scoring.get("extension", [])
    code = _single_value(parts, "code", "valueString")
    if not code:
        raise DefinitionError("extension code: the instrument needs a short code, e.g. PHQ-9.")
    items = tuple(_item(raw, index) for index, raw in enumerate(_flatten_items(questionnaire.get("item", []))))
    if not items:
        raise DefinitionError("item: the Questionnaire has no questions.")
    instrument = Instrument(
        code=code.strip(),
        slug=questionnaire.get("id") or code.lower(),
        version=str(questionnaire.get("version") or "1"),
        title=questionnaire.get("title") or code,
        stem=questionnaire.get("description", ""),
        recall_period=_single_value(parts, "recallPeriod", "valueString") or "",
        licence=questionnaire.get("copyright", ""),
        items=items,
        bands=tuple(_band(part) for part in _repeated(parts, "band")),
        subscales=tuple(_subscale(part) for part in _repeated(parts, "subscale")),
        safety_items=tuple(_safety_item(part) for part in _repeated(parts, "safetyItem")),
        cutoffs=tuple(_cutoff(part) for part in _repeated(parts, "cutoff")),
        reliable_change=_reliable_change(_extension(parts, "reliableChange")),
        caseness=_caseness(_extension(parts, "caseness")),
        has_total=_single_value(parts, "hasTotal", "valueBoolean", default=True),
        higher_is_better=_single_value(parts, "higherIsBetter", "valueBoolean", default=False),
        panel_coding=_coding((questionnaire.get("code") or [None])[0]),
        total_coding=_coding(_single_value(parts, "totalCode", "valueCoding")),
        url=questionnaire.get("url", ""),
        questionnaire=questionnaire,
    )
    _check_consistency(instrument)
    return instrument


def _flatten_items(items: list) -> list:
    """Questions in order; groups are unwrapped and display-only items skipped."""
    flat = []
    for raw in items:
        if raw.get("type") == "group":
            flat.extend(_flatten_items(raw.get("item", [])))
        elif raw.get("type") != "display":
            flat.append(raw)
    return flat


def _item(raw: dict, index: int) -> Item:
    link_id = raw.get("linkId")
    where = f"item {link_id or index + 1}"
    if not link_id:
        raise DefinitionError(f"item {index + 1}: linkId is missing.")
    options = tuple(_option(option, where) for option in raw.get("answerOption", []))
    if not options:
        raise DefinitionError(f"{where}: answerOption is missing (every question needs scored answers).")
    if len({option.value for option in options}) != len(options):
        raise DefinitionError(f"{where}: two answers have the same value.")
    scored = _single_value(raw.get("extension", []), ITEM_SCORED_URL, "valueBoolean", default=True)
    return Item(
        link_id=str(link_id),
        text=raw.get("text", ""),
        options=options,
        coding=_coding((raw.get("code") or [None])[0]),
        scored=scored,
        required=bool(raw.get("required", scored)),
    )


def _option(raw: dict, where: str) -> Option:
    if "valueInteger" in raw:
        value = raw["valueInteger"]
        return Option(value=value, label=str(value))
    coding = raw.get("valueCoding")
    if not coding:
        raise DefinitionError(f"{where}: an answerOption needs valueCoding or valueInteger.")
    weight = _single_value(raw.get("extension", []), ORDINAL_VALUE_URL, "valueDecimal")
    if weight is None:
        weight = _single_value(raw.get("extension", []), ITEM_WEIGHT_URL, "valueDecimal")
    if weight is None:
        raise DefinitionError(
            f"{where}: answer '{coding.get('display', coding.get('code'))}' has no ordinalValue (its score)."
        )
    if Decimal(str(weight)) != int(weight):
        raise DefinitionError(f"{where}: answer scores must be whole numbers, not {weight}.")
    return Option(value=int(weight), label=coding.get("display") or coding.get("code", ""), coding=_coding(coding))


def _band(part: dict) -> Band:
    values = part.get("extension", [])
    return Band(
        low=_required(values, "low", "valueInteger", "band"),
        high=_required(values, "high", "valueInteger", "band"),
        label=_required(values, "label", "valueString", "band"),
    )


def _subscale(part: dict) -> Subscale:
    values = part.get("extension", [])
    key = _required(values, "key", "valueString", "subscale")
    return Subscale(
        key=key,
        label=_single_value(values, "label", "valueString") or key,
        link_ids=tuple(value["valueString"] for value in _repeated(values, "item")),
        count_at_least=_single_value(values, "countAtLeast", "valueInteger"),
    )


def _safety_item(part: dict) -> SafetyItem:
    values = part.get("extension", [])
    return SafetyItem(
        link_id=_required(values, "item", "valueString", "safetyItem"),
        at_least=_required(values, "atLeast", "valueInteger", "safetyItem"),
        flag=_required(values, "flag", "valueString", "safetyItem"),
        message=_single_value(values, "message", "valueString") or "Safety item answered: review today.",
    )


def _cutoff(part: dict) -> Cutoff:
    values = part.get("extension", [])
    at_least = _single_value(values, "atLeast", "valueInteger")
    at_most = _single_value(values, "atMost", "valueInteger")
    if at_least is None and at_most is None:
        raise DefinitionError("extension cutoff: needs atLeast or atMost.")
    return Cutoff(
        flag=_required(values, "flag", "valueString", "cutoff"),
        label=_single_value(values, "label", "valueString") or "",
        at_least=at_least,
        at_most=at_most,
        sex=_single_value(values, "sex", "valueCode") or "",
        subscale=_single_value(values, "subscale", "valueString") or "",
    )


def _reliable_change(part: dict | None) -> ReliableChange | None:
    if part is None:
        return None
    values = part.get("extension", [])
    citation = _single_value(values, "citation", "valueString") or ""
    points = _single_value(values, "points", "valueDecimal")
    if points is not None:
        return ReliableChange(points=float(points), citation=citation)
    sd = _single_value(values, "sd", "valueDecimal")
    reliability = _single_value(values, "reliability", "valueDecimal")
    if sd is None or reliability is None:
        raise DefinitionError("extension reliableChange: needs points, or sd and reliability.")
    return ReliableChange.from_reliability(sd=float(sd), reliability=float(reliability), citation=citation)


def _caseness(part: dict | None) -> Caseness | None:
    if part is None:
        return None
    values = part.get("extension", [])
    return Caseness(
        at_least=_required(values, "atLeast", "valueInteger", "caseness"),
        citation=_single_value(values, "citation", "valueString") or "",
    )


def _check_consistency(instrument: Instrument) -> None:
    """Catch definition mistakes at import, not when a patient's score comes out wrong."""
    link_ids = {item.link_id for item in instrument.items}
    for subscale in instrument.subscales:
        unknown = [link_id for link_id in subscale.link_ids if link_id not in link_ids]
        if unknown:
            raise DefinitionError(f"subscale {subscale.key}: unknown items {', '.join(unknown)}.")
    for safety in instrument.safety_items:
        if safety.link_id not in link_ids:
            raise DefinitionError(f"safetyItem: unknown item {safety.link_id}.")
    subscale_keys = {subscale.key for subscale in instrument.subscales}
    for cutoff in instrument.cutoffs:
        if cutoff.subscale and cutoff.subscale not in subscale_keys:
            raise DefinitionError(f"cutoff {cutoff.flag}: unknown subscale {cutoff.subscale}.")
        if cutoff.sex not in ("", "male", "female"):
            raise DefinitionError(f"cutoff {cutoff.flag}: sex must be male or female, not {cutoff.sex}.")
    if instrument.has_total and instrument.bands:
        _check_bands_cover_range(instrument)


def _check_bands_cover_range(instrument: Instrument) -> None:
    expected = instrument.min_total
    for band in sorted(instrument.bands, key=lambda band: band.low):
        if band.low != expected or band.high < band.low:
            raise DefinitionError(
                f"band {band.label}: bands must cover {instrument.min_total}–{instrument.max_total} "
                f"without gaps or overlaps (expected one starting at {expected})."
            )
        expected = band.high + 1
    if expected != instrument.max_total + 1:
        raise DefinitionError(f"band: the last band must end at the highest total, {instrument.max_total}.")


# Small helpers for FHIR's extension lists ---------------------------------------------------------


def _extension(extensions: list, url: str) -> dict | None:
    return next((ext for ext in extensions if ext.get("url") == url), None)


def _repeated(extensions: list, url: str) -> list[dict]:
    return [ext for ext in extensions if ext.get("url") == url]


def _single_value(extensions: list, url: str, value_key: str, default=None):
    ext = _extension(extensions, url)
    if ext is None or value_key not in ext:
        return default
    return ext[value_key]


def _required(extensions: list, url: str, value_key: str, where: str):
    value = _single_value(extensions, url, value_key)
    if value is None:
        raise DefinitionError(f"extension {where}: '{url}' ({value_key}) is missing.")
    return value


def _coding(raw: dict | None) -> Coding | None:
    if not raw or not raw.get("code"):
        return None
    return Coding(system=raw.get("system", ""), code=raw["code"], display=raw.get("display", ""))


# The built-in library ------------------------------------------------------------------------------


# The order screens list them in: the weekly core measures first, screens last.
DISPLAY_ORDER = ("PHQ-9", "GAD-7", "AUDIT-C", "Craving", "PCL-5", "PHQ-2", "GAD-2")


@cache
def builtin_instruments() -> dict[str, Instrument]:
    """Every instrument shipped in definitions/, by code, in DISPLAY_ORDER (read once per process)."""
    instruments = {}
    for path in sorted(DEFINITIONS_DIR.glob("*.json")):
        try:
            instrument = instrument_from_questionnaire(json.loads(path.read_text(encoding="utf-8")))
        except DefinitionError as error:
            raise DefinitionError(f"{path.name}: {error}") from error
        instruments[instrument.code] = instrument
    rank = {code: index for index, code in enumerate(DISPLAY_ORDER)}
    return dict(sorted(instruments.items(), key=lambda entry: (rank.get(entry[0], len(rank)), entry[0])))


def normalize_code(code: str) -> str:
    """'phq9', 'PHQ 9' and 'PHQ-9' all name PHQ-9."""
    return "".join(character for character in code.upper() if character.isalnum())
