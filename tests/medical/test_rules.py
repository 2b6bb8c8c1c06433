"""The interpretation table: what a result means given the medications on the collection day."""

import datetime as dt

from openiop.medical import rules
from openiop.medical.rules import ActiveMedication, Interpretation, MoudKind, interpret

DAY = dt.date(2026, 12, 1)


def med(name, moud=MoudKind.NONE, started_on=dt.date(2026, 10, 1), stopped_on=None):
    return ActiveMedication(pk=1, name=name, moud=moud, started_on=started_on, stopped_on=stopped_on)


BUP = med("Buprenorphine/naloxone", MoudKind.BUPRENORPHINE)
METHADONE = med("Methadone", MoudKind.METHADONE)
NALTREXONE = med("Naltrexone", MoudKind.NALTREXONE)


def test_it_reads_a_buprenorphine_positive_as_expected_when_buprenorphine_is_prescribed():
    reading = interpret(substance="buprenorphine", result="positive", medications=[BUP])
    assert reading.interpretation == Interpretation.EXPECTED_POSITIVE
    assert reading.explained_by is BUP
    assert "Buprenorphine/naloxone" in reading.note


def test_it_reads_a_buprenorphine_negative_while_prescribed_as_an_unexpected_negative():
    reading = interpret(substance="buprenorphine", result="negative", medications=[BUP])
    assert reading.interpretation == Interpretation.UNEXPECTED_NEGATIVE
    assert "missed doses" in reading.note


def test_it_reads_methadone_from_an_opioid_treatment_program_as_expected():
    assert interpret(substance="methadone", result="positive", medications=[METHADONE]).interpretation == \
        Interpretation.EXPECTED_POSITIVE


def test_it_reads_an_opiate_positive_on_naltrexone_as_unexpected_and_says_why_it_matters():
    reading = interpret(substance="opiates", result="positive", medications=[NALTREXONE])
    assert reading.interpretation == Interpretation.UNEXPECTED_POSITIVE
    assert "naltrexone" in reading.note


def test_it_reads_a_negative_without_medication_as_expected():
    assert interpret(substance="cocaine", result="negative", medications=[]).interpretation == \
        Interpretation.EXPECTED_NEGATIVE


def test_it_never_lets_buprenorphine_explain_other_opioids():
    assert interpret(substance="oxycodone", result="positive", medications=[BUP]).interpretation == \
        Interpretation.UNEXPECTED_POSITIVE


def test_it_does_not_interpret_a_negative_from_a_dilute_specimen():
    reading = interpret(substance="buprenorphine", result="negative", medications=[BUP], validity="dilute")
    assert reading.interpretation == Interpretation.NOT_INTERPRETABLE


def test_it_does_not_interpret_an_inconclusive_result():
    assert interpret(substance="thc", result="inconclusive", medications=[]).interpretation == \
        Interpretation.NOT_INTERPRETABLE


def test_it_names_a_known_cross_reaction_on_a_presumptive_positive():
    reading = interpret(substance="benzodiazepines", result="positive", medications=[med("Sertraline")])
    assert reading.interpretation == Interpretation.UNEXPECTED_POSITIVE
    assert "Sertraline" in reading.note and "laboratory" in reading.note


def test_it_counts_a_medication_as_active_through_its_stop_day_and_not_after():
    stopped = med("Lorazepam", stopped_on=dt.date(2026, 11, 20))
    assert rules.is_active_on(stopped, dt.date(2026, 11, 20))
    assert not rules.is_active_on(stopped, dt.date(2026, 11, 21))
    assert not rules.is_active_on(med("Lorazepam", started_on=dt.date(2026, 12, 2)), DAY)


def test_it_codes_presumptive_tests_by_method_and_not_breath_alcohol():
    assert rules.service_code_for(method="poc", specimen="urine") == "80305"
    assert rules.service_code_for(method="instrument", specimen="urine") == "80306"
    assert rules.service_code_for(method="lab", specimen="urine") == "80307"
    assert rules.service_code_for(method="instrument", specimen="breath") == ""


def test_every_panel_tests_only_known_substances():
    for panel in rules.PANELS.values():
        assert set(panel.substances) <= set(rules.SUBSTANCES)
