"""Service-code suggestions and the name check, as pure rules."""

import pytest

from openiop.documentation import rules


@pytest.mark.parametrize(("minutes", "code"), [
    (None, ""), (0, ""), (15, ""), (16, "90832"), (37, "90832"), (38, "90834"), (52, "90834"), (53, "90837"),
    (90, "90837"),
])
def test_it_suggests_individual_psychotherapy_codes_by_minutes(minutes, code):
    assert rules.suggest_code(kind="individual", minutes=minutes, coverage_kind="commercial").code == code


def test_it_says_why_no_code_is_suggested_under_16_minutes():
    suggestion = rules.suggest_code(kind="individual", minutes=12)
    assert suggestion.code == "" and "under 16 minutes" in suggestion.reason


@pytest.mark.parametrize(("present", "code"), [(True, "90847"), (False, "90846")])
def test_it_suggests_family_codes_by_whether_the_patient_was_there(present, code):
    assert rules.suggest_code(kind="family", minutes=50, patient_present=present).code == code


def test_it_suggests_no_family_code_for_a_short_contact():
    assert rules.suggest_code(kind="family", minutes=20).code == ""


@pytest.mark.parametrize(("coverage", "code"), [("medicare", "G0410"), ("medicaid", "90853"),
                                                ("commercial", "90853"), ("", "90853")])
def test_it_suggests_g0410_for_medicare_groups_and_90853_otherwise(coverage, code):
    assert rules.suggest_code(kind="group", minutes=180, coverage_kind=coverage).code == code


def test_it_suggests_no_code_for_medication_management():
    suggestion = rules.suggest_code(kind="medication", minutes=30)
    assert suggestion.code == "" and "E/M" in suggestion.reason


def test_every_suggested_code_has_its_own_short_label():
    for kind, minutes in (("individual", 20), ("individual", 40), ("individual", 60), ("family", 50), ("group", 60)):
        assert rules.suggest_code(kind=kind, minutes=minutes).label


def test_it_finds_names_as_whole_words_in_any_case():
    assert rules.named_in("Dana shared; DANA again", ["Dana"]) == ["Dana"]
    assert rules.named_in("Danae and Adana", ["Dana"]) == []
    assert rules.named_in("O'Neil spoke", ["O'Neil"]) == ["O'Neil"]
    assert rules.named_in("", ["Dana"]) == []


def test_every_template_has_its_sections():
    keys = {template: [key for key, _, _ in sections] for template, sections in rules.TEMPLATE_SECTIONS.items()}
    assert keys["dap"] == ["data", "assessment", "plan"]
    assert keys["soap"] == ["subjective", "objective", "assessment", "plan"]
    assert keys["birp"] == ["behavior", "intervention", "response", "plan"]
    assert keys["group"] == ["participation", "mood_affect", "progress", "risk_observed", "plan_next"]
