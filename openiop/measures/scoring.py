"""Scoring one set of answers, and judging change between two scores.

The same code scores portal, kiosk, paper and imported answers, and the command line
(`openiop measures score`), so a total is computed in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from openiop.measures.instruments import Instrument


class AnswerError(ValueError):
    """Answers that cannot be scored. `errors` maps an item's linkId (or "answers") to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


@dataclass(frozen=True)
class Score:
    instrument: str
    version: str
    total: int | None
    max_total: int | None
    severity: str
    subscales: dict[str, int] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    safety_flags: tuple[str, ...] = ()
    safety_messages: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "instrument": self.instrument,
            "version": self.version,
            "total": self.total,
            "max_total": self.max_total,
            "severity": self.severity,
            "subscales": dict(self.subscales),
            "flags": list(self.flags),
        }


def clean_answers(instrument: Instrument, answers: dict, *, complete: bool) -> dict[str, int]:
    """Check answers against the instrument and return them as {linkId: value}.

    Unanswered items are left out. With `complete`, every required item must be answered.
    Raises AnswerError naming each item that is wrong and why.
    """
    errors: dict[str, str] = {}
    cleaned: dict[str, int] = {}
    known = {item.link_id for item in instrument.items}
    for link_id in answers:
        if str(link_id) not in known:
            errors[str(link_id)] = f"{instrument.code} has no item {link_id}."
    for number, item in enumerate(instrument.items, start=1):
        raw = answers.get(item.link_id)
        if raw is None or raw == "":
            if complete and item.required:
                errors[item.link_id] = f"Question {number} is not answered."
            continue
        value = _whole_number(raw)
        if value is None:
            errors[item.link_id] = f"Question {number}: '{raw}' is not one of the answers' scores (a whole number)."
            continue
        if item.option_for(value) is None:
            allowed = ", ".join(str(option.value) for option in item.options)
            errors[item.link_id] = f"Question {number}: {value} is not one of the answers ({allowed})."
            continue
        cleaned[item.link_id] = value
    if errors:
        raise AnswerError(errors)
    return cleaned


def _whole_number(raw) -> int | None:
    """2, "2", 2.0 and "2.0" are 2; 2.5, "two" and True are not answers (an imported decimal
    must not be silently truncated into a different answer)."""
    if isinstance(raw, bool):
        return None
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def answers_from_list(instrument: Instrument, values: list[str]) -> dict[str, str]:
    """Map answers given in question order (the command line's `0,1,2,...`) to linkIds."""
    if len(values) > len(instrument.items):
        raise AnswerError({
            "answers": f"{instrument.code} has {len(instrument.items)} questions but {len(values)} answers were given."
        })
    return {item.link_id: value.strip() for item, value in zip(instrument.items, values, strict=False)}


def score(instrument: Instrument, answers: dict, *, sex: str = "") -> Score:
    """Score a complete set of answers. Raises AnswerError when answers are missing or invalid.

    `sex` selects sex-specific cut-offs (AUDIT-C); when it is unknown, the lower (more
    cautious) cut-off applies so that nobody is screened negative by a missing field.
    """
    values = clean_answers(instrument, answers, complete=True)
    total = sum(values.get(item.link_id, 0) for item in instrument.scored_items) if instrument.has_total else None
    subscales = {subscale.key: _subscale_score(subscale, values) for subscale in instrument.subscales}
    band = instrument.band_for(total)
    safety = [rule for rule in instrument.safety_items if values.get(rule.link_id, -1) >= rule.at_least]
    flags = [rule.flag for rule in safety]
    for cutoff in _cutoffs_for_sex(instrument, sex):
        value = subscales.get(cutoff.subscale) if cutoff.subscale else total
        if value is not None and cutoff.is_met_by(value) and cutoff.flag not in flags:
            flags.append(cutoff.flag)
    return Score(
        instrument=instrument.code,
        version=instrument.version,
        total=total,
        max_total=instrument.max_total if instrument.has_total else None,
        severity=band.label if band else "",
        subscales=subscales,
        flags=tuple(flags),
        safety_flags=tuple(dict.fromkeys(rule.flag for rule in safety)),
        safety_messages=tuple(rule.message for rule in safety),
    )


def _subscale_score(subscale, values: dict[str, int]) -> int:
    if subscale.count_at_least is not None:
        return sum(1 for link_id in subscale.link_ids if values.get(link_id, 0) >= subscale.count_at_least)
    return sum(values.get(link_id, 0) for link_id in subscale.link_ids)


def _cutoffs_for_sex(instrument: Instrument, sex: str):
    sex = _normalize_sex(sex)
    general = [cutoff for cutoff in instrument.cutoffs if not cutoff.sex]
    specific = [cutoff for cutoff in instrument.cutoffs if cutoff.sex]
    if not specific:
        return general
    matching = [cutoff for cutoff in specific if cutoff.sex == sex]
    if matching:
        return general + matching
    # Unknown sex: of each flag's sex-specific cut-offs keep the one that fires first.
    cautious = {}
    for cutoff in specific:
        kept = cautious.get(cutoff.flag)
        if kept is None or (cutoff.at_least or 0) < (kept.at_least or 0):
            cautious[cutoff.flag] = cutoff
    return general + list(cautious.values())


def _normalize_sex(sex: str) -> str:
    sex = (sex or "").strip().lower()
    if sex in ("m", "male"):
        return "male"
    if sex in ("f", "female"):
        return "female"
    return ""


# Change between two scores ---------------------------------------------------------------------

RELIABLE_IMPROVEMENT = "reliable_improvement"
RELIABLE_DETERIORATION = "reliable_deterioration"
NO_RELIABLE_CHANGE = "no_reliable_change"

CHANGE_LABELS = {
    RELIABLE_IMPROVEMENT: "Reliable improvement",
    RELIABLE_DETERIORATION: "Reliable deterioration",
    NO_RELIABLE_CHANGE: "No reliable change",
}


@dataclass(frozen=True)
class Change:
    baseline: int
    latest: int
    direction: str                  # one of the three constants above
    recovered: bool                 # baseline at or above caseness, latest below it
    reliably_recovered: bool        # recovered and reliably improved (IAPT "reliable recovery")
    threshold: float | None

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self.direction]


def classify_change(instrument: Instrument, baseline: int, latest: int) -> Change | None:
    """Compare a later total with the baseline using the instrument's reliable-change threshold.
    Returns None when the instrument defines no threshold (change cannot be called reliable)."""
    rule = instrument.reliable_change
    if rule is None or baseline is None or latest is None:
        return None
    improvement = (latest - baseline) if instrument.higher_is_better else (baseline - latest)
    if improvement >= rule.points:
        direction = RELIABLE_IMPROVEMENT
    elif -improvement >= rule.points:
        direction = RELIABLE_DETERIORATION
    else:
        direction = NO_RELIABLE_CHANGE
    recovered = False
    if instrument.caseness is not None and not instrument.higher_is_better:
        recovered = baseline >= instrument.caseness.at_least > latest
    return Change(
        baseline=baseline,
        latest=latest,
        direction=direction,
        recovered=recovered,
        reliably_recovered=recovered and direction == RELIABLE_IMPROVEMENT,
        threshold=rule.points,
    )
