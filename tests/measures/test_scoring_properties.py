"""Properties of scoring that must hold for every built-in instrument and every set of answers."""

from decimal import Decimal, InvalidOperation

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openiop.measures.instruments import builtin_instruments
from openiop.measures.scoring import AnswerError, clean_answers, score

INSTRUMENTS = builtin_instruments()
PCL5 = INSTRUMENTS["PCL-5"]
PCL5_CLUSTERS = ("cluster_b", "cluster_c", "cluster_d", "cluster_e")
ALL_INSTRUMENTS = tuple(INSTRUMENTS.values())

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@st.composite
def instrument_and_answers(draw, instruments=ALL_INSTRUMENTS):
    """An instrument and a complete set of answers, every value one of the item's options."""
    instrument = draw(st.sampled_from(instruments))
    answers = {
        item.link_id: draw(st.sampled_from([option.value for option in item.options]))
        for item in instrument.items
    }
    return instrument, answers


@PROPERTY_SETTINGS
@given(instrument_and_answers())
def test_the_total_is_within_the_instruments_range_and_has_a_band(case):
    instrument, answers = case
    result = score(instrument, answers)
    assert instrument.min_total <= result.total <= instrument.max_total
    assert result.total == sum(answers[item.link_id] for item in instrument.scored_items)
    assert result.severity == instrument.band_for(result.total).label


@PROPERTY_SETTINGS
@given(instrument_and_answers(), st.data())
def test_raising_one_answer_never_lowers_the_total_or_the_severity(case, data):
    instrument, answers = case
    item = data.draw(st.sampled_from(instrument.scored_items))
    higher = [option.value for option in item.options if option.value > answers[item.link_id]]
    if not higher:
        return
    raised = {**answers, item.link_id: data.draw(st.sampled_from(higher))}
    before, after = score(instrument, answers), score(instrument, raised)
    assert after.total > before.total
    if not instrument.higher_is_better:
        assert instrument.band_index(after.total) >= instrument.band_index(before.total)
    # A flag raised by a total or a safety item is never lost by answering higher.
    assert set(before.flags) <= set(after.flags)


@PROPERTY_SETTINGS
@given(instrument_and_answers(instruments=(PCL5,)))
def test_pcl5_cluster_sums_add_up_to_the_total(case):
    instrument, answers = case
    result = score(instrument, answers)
    assert sum(result.subscales[key] for key in PCL5_CLUSTERS) == result.total


@PROPERTY_SETTINGS
@given(instrument_and_answers(instruments=tuple(i for i in INSTRUMENTS.values() if i.subscales)))
def test_subscales_are_scored_as_defined(case):
    instrument, answers = case
    result = score(instrument, answers)
    for subscale in instrument.subscales:
        values = [answers[link_id] for link_id in subscale.link_ids]
        if subscale.count_at_least is None:
            expected = sum(values)
        else:
            expected = sum(1 for value in values if value >= subscale.count_at_least)
        assert result.subscales[subscale.key] == expected
        low, high = instrument.subscale_range(subscale)
        assert low <= result.subscales[subscale.key] <= high


@PROPERTY_SETTINGS
@given(instrument_and_answers(), st.data())
def test_clean_answers_rejects_a_value_that_is_not_an_option_and_names_the_item(case, data):
    instrument, answers = case
    number, item = data.draw(st.sampled_from(list(enumerate(instrument.items, start=1))))
    allowed = {option.value for option in item.options}
    bad = data.draw(st.integers(min_value=-1000, max_value=1000).filter(lambda value: value not in allowed))
    with pytest.raises(AnswerError) as caught:
        clean_answers(instrument, {**answers, item.link_id: bad}, complete=True)
    assert set(caught.value.errors) == {item.link_id}
    message = caught.value.errors[item.link_id]
    assert f"Question {number}" in message
    assert str(bad) in message


@PROPERTY_SETTINGS
@given(instrument_and_answers(), st.data())
def test_clean_answers_rejects_text_that_is_not_a_number(case, data):
    instrument, answers = case
    number, item = data.draw(st.sampled_from(list(enumerate(instrument.items, start=1))))
    text = data.draw(st.text(min_size=1, max_size=8).filter(lambda value: not _is_number(value)))
    with pytest.raises(AnswerError) as caught:
        clean_answers(instrument, {**answers, item.link_id: text}, complete=True)
    assert set(caught.value.errors) == {item.link_id}
    assert f"Question {number}" in caught.value.errors[item.link_id]


def _is_number(value: str) -> bool:
    """Text a number can be read from ("2", " 2.0", "1E0", "NaN"); other tests cover those."""
    try:
        Decimal(value.strip())
    except InvalidOperation:
        return False
    return True


@PROPERTY_SETTINGS
@given(instrument_and_answers(), st.data())
def test_a_missing_required_answer_is_named(case, data):
    instrument, answers = case
    required = [item for item in instrument.items if item.required]
    item = data.draw(st.sampled_from(required))
    partial = {link_id: value for link_id, value in answers.items() if link_id != item.link_id}
    with pytest.raises(AnswerError) as caught:
        score(instrument, partial)
    assert set(caught.value.errors) == {item.link_id}
    assert "not answered" in caught.value.errors[item.link_id]
    # Saved as partial answers, the same set is fine.
    assert clean_answers(instrument, partial, complete=False) == partial


@PROPERTY_SETTINGS
@given(instrument_and_answers(), st.data())
def test_clean_answers_rejects_a_fractional_value(case, data):
    instrument, answers = case
    item = data.draw(st.sampled_from(instrument.items))
    fraction = data.draw(st.sampled_from([option.value for option in item.options])) + 0.5
    with pytest.raises(AnswerError) as caught:
        clean_answers(instrument, {**answers, item.link_id: fraction}, complete=True)
    assert set(caught.value.errors) == {item.link_id}
