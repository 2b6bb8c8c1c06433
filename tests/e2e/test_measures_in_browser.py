"""A patient answers a check-in in the portal; a safety answer reaches their clinician."""

import re

import pytest

from tests.factories.clinic import TEST_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in_as(page, username, lands_on):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lands_on)


def question(page, number):
    """The fieldset of question `number`, found by its legend as a screen reader would."""
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


def test_a_patients_safety_answer_shows_988_and_reaches_the_clinicians_home_page(
    page, browser, live_server, patient_user, patient_record, clinician,
):
    sign_in_as(page, "patient", "**/portal/")
    page.get_by_role("link", name="See your check-ins").click()
    page.get_by_role("link", name="Mood check-in (PHQ-9)").click()
    for number in range(1, 9):
        question(page, number).get_by_label("Not at all").check()
    question(page, 9).get_by_label("Several days").check()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/sent/")
    assert page.get_by_role("link", name="Call 988").is_visible()
    assert page.get_by_role("link", name="Text 988").is_visible()
    assert page.get_by_text("will contact you today").is_visible()
    assert page.console_errors == []

    clinician_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    try:
        clinician_page = clinician_context.new_page()
        clinician_page.set_default_timeout(15_000)
        sign_in_as(clinician_page, "clinician", "**/clinic/**")
        tasks = clinician_page.get_by_role("region", name=re.compile("Needs your attention"))
        alert = tasks.get_by_role("listitem").filter(has_text="Same-day safety review: PHQ-9")
        assert alert.is_visible()
        assert alert.get_by_text("Urgent", exact=True).is_visible()
    finally:
        clinician_context.close()


def test_a_missing_answer_is_named_and_the_other_answers_stay_checked(page, patient_user, patient_record):
    sign_in_as(page, "patient", "**/portal/")
    page.goto("/portal/check-ins/")
    page.get_by_role("link", name="Mood check-in (PHQ-9)").click()
    for number in (1, 2, 3, 5, 6, 7, 8, 9):
        question(page, number).get_by_label("Not at all").check()
    page.get_by_role("button", name="Send my answers").click()
    summary = page.get_by_role("alert")
    assert summary.get_by_text("Question 4 is not answered.").is_visible()
    assert question(page, 1).get_by_label("Not at all").is_checked()
    summary.get_by_role("link").first.click()
    assert question(page, 4).get_by_label("Not at all").is_visible()


def test_the_check_in_fits_a_phone_screen_with_big_tap_targets(page, patient_user, patient_record):
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in_as(page, "patient", "**/portal/")
    page.goto("/portal/check-ins/")
    page.get_by_role("link", name="Mood check-in (PHQ-9)").click()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    box = question(page, 1).locator("label").filter(has_text="Several days").bounding_box()
    assert box["height"] >= 44
