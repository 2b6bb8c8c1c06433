"""Scoring the built-in instruments: every band's edges, the flags, and reliable change.

PHQ-9 and GAD-7 are written out as tables a clinician can check by eye. The other instruments'
boundary answers are generated from their definitions, but each band's label is asserted
literally, so a changed definition file fails here rather than on a patient's chart.
"""

import copy
import math

import pytest

from openiop.measures.instruments import (
    builtin_instruments,
    instrument_from_questionnaire,
    reliable_change_index,
    reliable_change_threshold,
)
from openiop.measures.scoring import (
    NO_RELIABLE_CHANGE,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    answers_from_list,
    classify_change,
    score,
)

INSTRUMENTS = builtin_instruments()
PHQ9 = INSTRUMENTS["PHQ-9"]
GAD7 = INSTRUMENTS["GAD-7"]
AUDITC = INSTRUMENTS["AUDIT-C"]
PCL5 = INSTRUMENTS["PCL-5"]


def score_list(instrument, values: str, sex: str = ""):
    """Score answers written in question order, "1,0,2,...". PHQ-9 item 10 (not scored) is left out."""
    return score(instrument, answers_from_list(instrument, values.split(",")), sex=sex)


# --- every band's lowest and highest total -------------------------------------------------------

# (answers to items 1-9, total, severity)
PHQ9_BOUNDARIES = [
    ("0,0,0,0,0,0,0,0,0", 0, "Minimal"),
    ("1,1,1,1,0,0,0,0,0", 4, "Minimal"),
    ("1,1,1,1,1,0,0,0,0", 5, "Mild"),
    ("2,2,2,2,1,0,0,0,0", 9, "Mild"),
    ("2,2,2,2,2,0,0,0,0", 10, "Moderate"),
    ("3,3,3,3,2,0,0,0,0", 14, "Moderate"),
    ("3,3,3,3,3,0,0,0,0", 15, "Moderately severe"),
    ("3,3,3,3,3,3,1,0,0", 19, "Moderately severe"),
    ("3,3,3,3,3,3,2,0,0", 20, "Severe"),
    ("3,3,3,3,3,3,3,3,3", 27, "Severe"),
]

# (answers to items 1-7, total, severity)
GAD7_BOUNDARIES = [
    ("0,0,0,0,0,0,0", 0, "Minimal"),
    ("1,1,1,1,0,0,0", 4, "Minimal"),
    ("1,1,1,1,1,0,0", 5, "Mild"),
    ("2,2,2,2,1,0,0", 9, "Mild"),
    ("2,2,2,2,2,0,0", 10, "Moderate"),
    ("2,2,2,2,2,2,2", 14, "Moderate"),
    ("3,2,2,2,2,2,2", 15, "Severe"),
    ("3,3,3,3,3,3,3", 21, "Severe"),
]


@pytest.mark.parametrize(("answers", "total", "severity"), PHQ9_BOUNDARIES)
def test_phq9_band_edges_have_the_expected_severity(answers, total, severity):
    result = score_list(PHQ9, answers)
    assert (result.total, result.severity) == (total, severity)


@pytest.mark.parametrize(("answers", "total", "severity"), GAD7_BOUNDARIES)
def test_gad7_band_edges_have_the_expected_severity(answers, total, severity):
    result = score_list(GAD7, answers)
    assert (result.total, result.severity) == (total, severity)


def test_the_tables_cover_every_phq9_and_gad7_band_edge():
    for instrument, table in ((PHQ9, PHQ9_BOUNDARIES), (GAD7, GAD7_BOUNDARIES)):
        edges = sorted({band.low for band in instrument.bands} | {band.high for band in instrument.bands})
        assert sorted(total for _, total, _ in table) == edges, instrument.code


# The other built-in instruments' bands as (low, high, label), written out.
BANDS = {
    "PHQ-2": [(0, 2, "Negative screen"), (3, 6, "Positive screen")],
    "GAD-2": [(0, 2, "Negative screen"), (3, 6, "Positive screen")],
    "AUDIT-C": [
        (0, 2, "Below the screening thresholds"),
        (3, 3, "Positive for women (3); below the threshold for men (4)"),
        (4, 12, "Positive screen (women 3 or more, men 4 or more)"),
    ],
    "PCL-5": [
        (0, 32, "Below provisional PTSD cut-off"),
        (33, 80, "At or above provisional PTSD cut-off (33)"),
    ],
    "Craving": [(0, 3, "Low"), (4, 6, "Moderate"), (7, 10, "High")],
}


def answers_totalling(instrument, total: int) -> dict[str, int]:
    """Answers that add up to `total`, filling questions in order (safety items last, so a
    boundary test is not also a safety test)."""
    safety = {rule.link_id for rule in instrument.safety_items}
    order = sorted(instrument.scored_items, key=lambda item: item.link_id in safety)
    answers = {item.link_id: item.lowest for item in instrument.scored_items}
    remaining = total - sum(answers.values())
    for item in order:
        for option in sorted(item.options, key=lambda option: option.value):
            if option.value - answers[item.link_id] <= remaining and option.value > answers[item.link_id]:
                remaining -= option.value - answers[item.link_id]
                answers[item.link_id] = option.value
    assert remaining == 0, f"{instrument.code} cannot total {total}"
    return answers


def test_every_built_in_instrument_is_covered_by_a_band_table():
    assert set(INSTRUMENTS) == set(BANDS) | {"PHQ-9", "GAD-7"}


@pytest.mark.parametrize("code", sorted(BANDS))
def test_the_definition_has_the_bands_written_here(code):
    bands = [(band.low, band.high, band.label) for band in INSTRUMENTS[code].bands]
    assert bands == BANDS[code]


@pytest.mark.parametrize(
    ("code", "total", "severity"),
    [(code, total, label) for code, bands in BANDS.items() for low, high, label in bands for total in {low, high}],
)
def test_band_edges_of_the_other_instruments_have_the_expected_severity(code, total, severity):
    instrument = INSTRUMENTS[code]
    result = score(instrument, answers_totalling(instrument, total))
    assert (result.total, result.severity) == (total, severity)


# --- flags ------------------------------------------------------------------------------------------


def test_phq9_item_9_answered_raises_suicide_risk_even_with_a_total_of_1():
    result = score_list(PHQ9, "0,0,0,0,0,0,0,0,1")
    assert result.total == 1
    assert result.severity == "Minimal"
    assert "suicide_risk" in result.flags
    assert result.safety_flags == ("suicide_risk",)
    assert result.safety_messages  # the message shown with the urgent task


def test_phq9_total_24_without_item_9_raises_no_suicide_risk():
    result = score_list(PHQ9, "3,3,3,3,3,3,3,3,0")
    assert result.total == 27 - 3
    assert "suicide_risk" not in result.flags
    assert result.safety_flags == ()
    assert "positive_screen" in result.flags


def test_phq9_positive_screen_starts_at_10():
    assert "positive_screen" not in score_list(PHQ9, "2,2,2,2,1,0,0,0,0").flags
    assert "positive_screen" in score_list(PHQ9, "2,2,2,2,2,0,0,0,0").flags


@pytest.mark.parametrize(
    ("answers", "sex", "positive"),
    [
        ("1,1,1", "female", True),
        ("1,1,1", "male", False),
        ("2,1,1", "male", True),
        ("1,1,0", "female", False),
        # Unknown sex: the lower, more cautious cut-off applies.
        ("1,1,1", "", True),
        ("1,1,1", "unknown", True),
        ("1,1,0", "", False),
    ],
)
def test_audit_c_positive_screen_uses_the_cut_off_for_the_patients_sex(answers, sex, positive):
    result = score_list(AUDITC, answers, sex=sex)
    assert ("positive_screen" in result.flags) is positive


@pytest.mark.parametrize(("total", "probable"), [(32, False), (33, True), (80, True)])
def test_pcl5_probable_ptsd_from_33(total, probable):
    result = score(PCL5, answers_totalling(PCL5, total))
    assert ("probable_ptsd" in result.flags) is probable


# --- reliable change ----------------------------------------------------------------------------------


def test_reliable_change_index_matches_a_hand_computed_example():
    # SE = SD × √(1 − r) = 5 × √0.16 = 2.0
    # S_diff = √(2 × SE²) = √8 = 2.8284
    # RC = (12 − 20) / 2.8284 = −2.828; |RC| > 1.96, so the change is reliable.
    rc = reliable_change_index(before=20, after=12, sd=5.0, reliability=0.84)
    assert rc == pytest.approx(-2.828, abs=1e-3)
    assert abs(rc) > 1.96
    # The smallest reliable change: 1.96 × 2.8284 = 5.544 points.
    assert reliable_change_threshold(sd=5, reliability=0.84) == pytest.approx(5.544, abs=1e-3)


def test_a_definition_with_sd_and_reliability_gets_the_jacobson_truax_threshold():
    questionnaire = copy.deepcopy(PHQ9.questionnaire)
    scoring = questionnaire["extension"][0]["extension"]
    rule = next(part for part in scoring if part["url"] == "reliableChange")
    rule["extension"] = [{"url": "sd", "valueDecimal": 5}, {"url": "reliability", "valueDecimal": 0.84}]
    instrument = instrument_from_questionnaire(questionnaire)
    assert instrument.reliable_change.points == pytest.approx(1.96 * math.sqrt(8), abs=1e-9)
    assert classify_change(instrument, 20, 14).direction == RELIABLE_IMPROVEMENT   # 6 > 5.544
    assert classify_change(instrument, 20, 15).direction == NO_RELIABLE_CHANGE    # 5 < 5.544


@pytest.mark.parametrize(
    ("baseline", "latest", "direction"),
    [
        (18, 12, RELIABLE_IMPROVEMENT),     # 6 points: the PHQ-9 threshold
        (18, 13, NO_RELIABLE_CHANGE),       # 5 points
        (12, 18, RELIABLE_DETERIORATION),
        (12, 17, NO_RELIABLE_CHANGE),
        (12, 12, NO_RELIABLE_CHANGE),
    ],
)
def test_phq9_change_is_reliable_from_6_points(baseline, latest, direction):
    change = classify_change(PHQ9, baseline, latest)
    assert change.direction == direction
    assert change.threshold == 6


@pytest.mark.parametrize(
    ("baseline", "latest", "recovered", "reliably_recovered"),
    [
        (15, 9, True, True),     # below caseness (10) and 6 points better
        (14, 9, True, False),    # below caseness, but 5 points is not a reliable change
        (10, 9, True, False),
        (9, 3, False, False),    # never a case: improvement is not recovery
        (14, 10, False, False),  # still at caseness
    ],
)
def test_phq9_recovery_means_crossing_below_caseness(baseline, latest, recovered, reliably_recovered):
    change = classify_change(PHQ9, baseline, latest)
    assert (change.recovered, change.reliably_recovered) == (recovered, reliably_recovered)


def test_gad7_uses_its_own_threshold_and_caseness():
    assert classify_change(GAD7, 12, 8).direction == RELIABLE_IMPROVEMENT
    assert classify_change(GAD7, 12, 9).direction == NO_RELIABLE_CHANGE
    assert classify_change(GAD7, 12, 7).reliably_recovered


def test_change_cannot_be_called_reliable_without_a_threshold():
    assert AUDITC.reliable_change is None
    assert classify_change(AUDITC, 10, 2) is None


def test_higher_is_better_instruments_improve_upwards():
    questionnaire = copy.deepcopy(PHQ9.questionnaire)
    scoring = questionnaire["extension"][0]["extension"]
    next(part for part in scoring if part["url"] == "higherIsBetter")["valueBoolean"] = True
    instrument = instrument_from_questionnaire(questionnaire)
    assert classify_change(instrument, 10, 16).direction == RELIABLE_IMPROVEMENT
    assert classify_change(instrument, 16, 10).direction == RELIABLE_DETERIORATION
    assert classify_change(instrument, 16, 4).recovered is False  # caseness is for higher-is-worse scales
