"""Instrument definitions: the built-in files are valid FHIR, and a broken import says what is wrong."""

import copy
import json

import pytest

from openiop.measures.instruments import (
    DEFINITIONS_DIR,
    ORDINAL_VALUE_URL,
    SCORING_URL,
    DefinitionError,
    builtin_instruments,
    instrument_from_questionnaire,
)

DEFINITION_FILES = sorted(DEFINITIONS_DIR.glob("*.json"))


def load(slug: str) -> dict:
    return json.loads((DEFINITIONS_DIR / f"{slug}.json").read_text(encoding="utf-8"))


def scoring_parts(questionnaire: dict) -> list:
    return next(ext for ext in questionnaire["extension"] if ext["url"] == SCORING_URL)["extension"]


@pytest.mark.parametrize("path", DEFINITION_FILES, ids=lambda path: path.name)
def test_every_built_in_definition_is_a_valid_r4b_questionnaire(path):
    from fhir.resources.R4B.questionnaire import Questionnaire

    questionnaire = Questionnaire.model_validate(json.loads(path.read_text(encoding="utf-8")))
    assert questionnaire.status == "active"
    assert questionnaire.item


def test_every_definition_file_is_a_built_in_instrument():
    assert len(builtin_instruments()) == len(DEFINITION_FILES) == 7
    slugs = {instrument.slug for instrument in builtin_instruments().values()}
    assert slugs == {path.stem for path in DEFINITION_FILES}


def test_a_questionnaire_without_the_scoring_extension_is_refused():
    questionnaire = load("phq-9")
    questionnaire["extension"] = [ext for ext in questionnaire["extension"] if ext["url"] != SCORING_URL]
    with pytest.raises(DefinitionError, match="no scoring extension"):
        instrument_from_questionnaire(questionnaire)


def test_something_other_than_a_questionnaire_is_refused():
    with pytest.raises(DefinitionError, match="not a FHIR Questionnaire"):
        instrument_from_questionnaire({"resourceType": "QuestionnaireResponse"})


def test_bands_with_a_gap_are_refused_naming_the_band():
    questionnaire = load("phq-9")
    mild = next(part for part in scoring_parts(questionnaire) if part["url"] == "band"
                and {"url": "label", "valueString": "Mild"} in part["extension"])
    next(value for value in mild["extension"] if value["url"] == "low")["valueInteger"] = 6
    with pytest.raises(DefinitionError, match=r"band Mild: .*without gaps or overlaps"):
        instrument_from_questionnaire(questionnaire)


def test_bands_that_stop_short_of_the_highest_total_are_refused():
    questionnaire = load("gad-7")
    bands = [part for part in scoring_parts(questionnaire) if part["url"] == "band"]
    next(value for value in bands[-1]["extension"] if value["url"] == "high")["valueInteger"] = 20
    with pytest.raises(DefinitionError, match="highest total, 21"):
        instrument_from_questionnaire(questionnaire)


def test_an_answer_without_an_ordinal_value_is_refused_naming_item_and_answer():
    questionnaire = load("phq-9")
    option = questionnaire["item"][2]["answerOption"][1]
    option["extension"] = [ext for ext in option["extension"] if ext["url"] != ORDINAL_VALUE_URL]
    with pytest.raises(DefinitionError, match=r"item 3: answer 'Several days' has no ordinalValue"):
        instrument_from_questionnaire(questionnaire)


def test_a_subscale_naming_an_unknown_item_is_refused():
    questionnaire = load("pcl-5")
    cluster_b = next(part for part in scoring_parts(questionnaire) if part["url"] == "subscale"
                     and {"url": "key", "valueString": "cluster_b"} in part["extension"])
    cluster_b["extension"].append({"url": "item", "valueString": "99"})
    with pytest.raises(DefinitionError, match="subscale cluster_b: unknown items 99"):
        instrument_from_questionnaire(questionnaire)


def test_a_safety_item_naming_an_unknown_item_is_refused():
    questionnaire = load("phq-9")
    safety = next(part for part in scoring_parts(questionnaire) if part["url"] == "safetyItem")
    next(value for value in safety["extension"] if value["url"] == "item")["valueString"] = "12"
    with pytest.raises(DefinitionError, match="safetyItem: unknown item 12"):
        instrument_from_questionnaire(questionnaire)


def test_a_cut_off_for_an_unknown_subscale_is_refused():
    questionnaire = load("pcl-5")
    cutoff = next(part for part in scoring_parts(questionnaire) if part["url"] == "cutoff")
    cutoff["extension"].append({"url": "subscale", "valueString": "cluster_z"})
    with pytest.raises(DefinitionError, match="cutoff probable_ptsd: unknown subscale cluster_z"):
        instrument_from_questionnaire(questionnaire)


def test_a_question_without_answers_is_refused():
    questionnaire = load("gad-7")
    del questionnaire["item"][0]["answerOption"]
    with pytest.raises(DefinitionError, match="item 1: answerOption is missing"):
        instrument_from_questionnaire(questionnaire)


def test_a_fractional_answer_score_is_refused():
    questionnaire = load("gad-7")
    option = questionnaire["item"][0]["answerOption"][1]
    next(ext for ext in option["extension"] if ext["url"] == ORDINAL_VALUE_URL)["valueDecimal"] = 1.5
    with pytest.raises(DefinitionError, match="whole numbers"):
        instrument_from_questionnaire(questionnaire)


def test_a_reliable_change_rule_needs_points_or_sd_and_reliability():
    questionnaire = load("phq-9")
    rule = next(part for part in scoring_parts(questionnaire) if part["url"] == "reliableChange")
    rule["extension"] = [{"url": "sd", "valueDecimal": 5}]
    with pytest.raises(DefinitionError, match="reliableChange: needs points, or sd and reliability"):
        instrument_from_questionnaire(questionnaire)


def test_the_phq9_definition_reads_as_expected():
    phq9 = instrument_from_questionnaire(load("phq-9"))
    assert phq9 == builtin_instruments()["PHQ-9"]
    assert (phq9.min_total, phq9.max_total) == (0, 27)
    assert [item.link_id for item in phq9.scored_items] == [str(number) for number in range(1, 10)]
    assert phq9.item("10").scored is False and phq9.item("10").required is False
    assert phq9.safety_items[0].link_id == "9" and phq9.safety_items[0].flag == "suicide_risk"
    assert phq9.caseness.at_least == 10 and phq9.reliable_change.points == 6


def test_groups_are_unwrapped_and_display_items_skipped():
    questionnaire = load("gad-7")
    questionnaire["item"] = [
        {"linkId": "intro", "type": "display", "text": "Please answer every question."},
        {"linkId": "all", "type": "group", "item": copy.deepcopy(questionnaire["item"])},
    ]
    instrument = instrument_from_questionnaire(questionnaire)
    assert [item.link_id for item in instrument.items] == [str(number) for number in range(1, 8)]
