"""/self-check/: a plain-language, non-diagnostic "is an IOP right for me?" that stores nothing."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from openiop.audit.models import AuditEvent
from openiop.intake.models import Referral
from openiop.public import selfcheck

pytestmark = pytest.mark.django_db

NO_TO_ALL = {q.key: "no" for q in selfcheck.QUESTIONS}


def answers(**overrides):
    return {"for_whom": "self", "danger": "no", **NO_TO_ALL, **overrides}


def test_it_shows_the_safety_question_before_the_others(client):
    response = client.get("/self-check/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "not a diagnosis" in page
    assert page.index('name="danger"') < page.index('name="more_than_weekly"')
    assert page.count("<fieldset") == 2 + len(selfcheck.QUESTIONS)
    assert "<legend>" in page


def test_a_self_check_stores_nothing(client, clinic):
    client.get("/self-check/")
    response = client.post("/self-check/", answers(more_than_weekly="yes", co_occurring="yes"))
    client.post("/self-check/", answers(danger="yes"))

    assert response.status_code == 200
    assert Referral.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    assert Session.objects.count() == 0
    assert "sessionid" not in response.cookies


def test_a_self_check_is_posted_with_csrf_protection():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/self-check/", answers())

    assert response.status_code == 403


def test_the_answers_are_never_cached_by_the_browser(client):
    response = client.post("/self-check/", answers())

    assert "no-store" in response["Cache-Control"]


def test_a_danger_answer_shows_crisis_help_and_no_program_result(client):
    response = client.post("/self-check/", answers(danger="yes", more_than_weekly="yes"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="tel:988"' in page
    assert 'href="sms:988"' in page
    assert 'href="tel:911"' in page
    assert "Please reach out for help now" in page
    assert "Closest to your answers" not in page
    assert "Request an intake call" not in page


def test_not_being_sure_about_danger_also_stops_at_crisis_help(client):
    response = client.post("/self-check/", answers(danger="not_sure"))

    page = response.content.decode()
    assert "Please reach out for help now" in page
    assert "Closest to your answers" not in page


def test_after_crisis_help_the_person_may_continue_but_gets_no_program_suggestion(client):
    response = client.post("/self-check/", {**answers(danger="yes", more_than_weekly="yes"), "seen_crisis_help": "on"})

    page = response.content.decode()
    assert "Safety first: get help now" in page
    assert page.index('href="tel:988"', page.index("<main")) < page.index("The kinds of care")
    assert "Closest to your answers" not in page
    assert "No program suggestion for now" in page
    assert "/request-intake/" in page


@pytest.mark.parametrize(
    "overrides",
    [{}, {"more_than_weekly": "yes"}, {"needs_24_7": "yes"}, {"most_of_day": "yes"}, {"for_whom": "family"}],
)
def test_the_result_always_ends_with_talk_to_a_professional_and_the_request_button(client, overrides):
    response = client.post("/self-check/", answers(**overrides))

    page = response.content.decode()
    assert "Talk to a professional" in page
    button = f'class="button button-large" href="/request-intake/?for={overrides.get("for_whom", "self")}"'
    assert button in page
    assert page.index("The kinds of care") < page.index("Talk to a professional")


def test_the_result_explains_every_kind_of_care_and_highlights_the_closest(client):
    response = client.post("/self-check/", answers(stepping_down="yes", commitments="yes"))

    page = response.content.decode()
    for level in selfcheck.LEVELS:
        assert level.name in page
    assert "Closest to your answers: Intensive outpatient program (IOP)" in page
    assert "there was a recent hospital stay, residential treatment or day program" in page
    assert page.count("level-closest") == 1


def test_it_asks_for_the_safety_answer_with_a_link_to_the_question(client):
    data = answers()
    del data["danger"]

    response = client.post("/self-check/", data)

    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_danger_0"' in page
    assert "Choose Yes, No or Not sure." in page


def test_a_family_member_link_prefills_who_it_is_for(client):
    response = client.get("/self-check/?for=family")

    assert 'value="family" required id="id_for_whom_1" checked' in response.content.decode()


# --- the rule (not a diagnosis: these pin down the transparent rule in selfcheck.py) ---------


@pytest.mark.parametrize("indicator", [q.key for q in selfcheck.IOP_INDICATORS])
def test_any_iop_indicator_points_to_iop(indicator):
    suggestion = selfcheck.suggest(answers(**{indicator: "yes"}))

    assert suggestion.closest == selfcheck.IOP
    assert not suggestion.urgent


def test_round_the_clock_care_outranks_the_other_answers():
    suggestion = selfcheck.suggest(answers(needs_24_7="yes", most_of_day="yes", co_occurring="yes"))

    assert suggestion.closest == selfcheck.RESIDENTIAL


def test_most_days_impossible_points_to_partial_hospitalization():
    assert selfcheck.suggest(answers(most_of_day="yes", co_occurring="yes")).closest == selfcheck.PHP


def test_no_yes_answers_point_to_outpatient_and_unanswered_count_as_not_sure():
    suggestion = selfcheck.suggest({"for_whom": "self", "danger": "no"})

    assert suggestion.closest == selfcheck.OUTPATIENT
    assert len(suggestion.unsure) == len(selfcheck.QUESTIONS)


def test_danger_suggests_no_level_at_all():
    suggestion = selfcheck.suggest(answers(danger="yes", more_than_weekly="yes"))

    assert suggestion.urgent
    assert suggestion.closest is None
