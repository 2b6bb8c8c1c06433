"""A visitor on a phone: self-check, then an intake request, then the confirmation."""

import re

import pytest

from openiop.intake.models import Referral

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def answer(page, question: str, choice: str):
    page.get_by_role("group", name=re.compile(question)).get_by_label(choice, exact=True).check()


def test_a_visitor_completes_the_self_check_and_requests_an_intake_call_on_a_phone(page, clinic, settings):
    # The bot check wants a form to be at least 3 s old; a test types faster than a person.
    settings.OPENIOP_INTAKE_MIN_SECONDS = 0
    page.set_viewport_size(PHONE)

    page.goto("/")
    page.get_by_role("link", name="Is an IOP right for me? Take the self-check").click()
    page.wait_for_url("**/self-check/")
    assert fits_the_screen(page)
    answer(page, "Who are you asking for", "A family member or someone I care about")
    answer(page, "thinking about ending your life", "No")
    answer(page, "Is weekly therapy", "Yes")
    answer(page, "Are both mental health", "Yes")
    answer(page, "work, school or family commitments", "Yes")
    page.get_by_role("button", name="See my results").click()

    assert page.get_by_role("heading", name="Closest to your answers: Intensive outpatient program (IOP)").is_visible()
    assert page.get_by_text("This is not a diagnosis.").is_visible()
    assert page.get_by_role("heading", name="Talk to a professional").is_visible()
    assert fits_the_screen(page)
    page.get_by_role("link", name="Request an intake call").click()

    page.wait_for_url("**/request-intake/?for=family")
    assert page.get_by_label("A family member or someone I care about").is_checked()
    page.get_by_label("Your name").fill("Marta Reyes")
    page.get_by_label("Your relationship to them").fill("Mother")
    page.get_by_label("First name").fill("Jordan")
    page.get_by_label("Last name").fill("Reyes")
    page.get_by_label("Phone number").fill("555-201-7788")
    answer(page, "How should we contact you", "Text message")
    page.get_by_label("Best time to contact you").fill("Weekdays after 5 pm")
    answer(page, "May we leave a message", "No")
    answer(page, "Which program", "Adult substance-use IOP")
    answer(page, "Insurance", "Medicaid")
    page.get_by_label("Work or school hours").fill("Mon-Fri 8-4")
    assert fits_the_screen(page)
    page.get_by_role("button", name="Send request").click()

    page.wait_for_url("**/request-intake/sent/")
    assert page.get_by_role("heading", name="Thank you: your request was sent").is_visible()
    assert page.get_by_text("Jordan").count() == 0
    assert page.console_errors == []
    referral = Referral.objects.get()
    assert (referral.first_name, referral.source, referral.program) == ("Jordan", "family", clinic["sud"])
    assert referral.from_public_request and referral.is_part2


def test_a_visitor_in_danger_sees_crisis_help_instead_of_a_result(page, clinic):
    page.set_viewport_size(PHONE)
    page.goto("/self-check/")
    answer(page, "Who are you asking for", "Myself")
    answer(page, "thinking about ending your life", "Yes")
    page.get_by_role("button", name="See my results").click()

    assert page.get_by_role("heading", name="Please reach out for help now").is_visible()
    assert page.get_by_role("link", name="Call 988").is_visible()
    assert page.get_by_role("link", name="Text 988").is_visible()
    assert page.get_by_text("Closest to your answers").count() == 0
    assert fits_the_screen(page)
    assert page.console_errors == []


def test_errors_are_summarised_at_the_top_and_link_to_their_fields(page, clinic, settings):
    settings.OPENIOP_INTAKE_MIN_SECONDS = 0
    page.set_viewport_size(PHONE)
    page.goto("/request-intake/")
    page.get_by_role("button", name="Send request").click()

    summary = page.get_by_role("alert")
    assert summary.get_by_role("heading", name=re.compile("Please check")).is_visible()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    summary.get_by_role("link", name="Enter the first name of the person who needs help.").click()
    assert page.evaluate("document.activeElement.id") == "id_first_name"
    assert Referral.objects.count() == 0
