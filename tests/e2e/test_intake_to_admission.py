"""The whole path in a browser: intake opens a referral; a clinician (in a second browser)
records the screening and signs the level-of-care assessment; intake admits; the patient is in
the census and the chart."""

import datetime as dt
import re

import pytest

from tests.factories.clinic import TEST_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def answer(page, question: str, choice: str):
    page.get_by_role("group", name=re.compile(question)).get_by_label(choice, exact=True).check()


def sign_in_on(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/clinic/**")


@pytest.fixture
def new_referral(clinic, intake):
    from openiop.intake import services

    return services.create_referral(
        actor=intake, organization=clinic["organization"], program=clinic["sud"], source="ed",
        referrer_name="Dr. Lane", first_name="Casey", last_name="Morrow",
        date_of_birth=dt.date(1985, 2, 3), phone="555-0142", insurance_kind="commercial",
        payer_name="Acme Health", member_id="AH-1",
    )


@pytest.fixture
def clinician_page(browser, live_server):
    """A second browser (its own cookies) for the clinician."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


def request_intake_as_a_visitor(browser, live_server):
    """A visitor takes the self-check on a phone and asks for an intake call (no login)."""
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    visitor = context.new_page()
    visitor.set_default_timeout(15_000)
    visitor.goto("/self-check/")
    answer(visitor, "Who are you asking for", "Myself")
    answer(visitor, "thinking about ending your life", "No")
    answer(visitor, "Is weekly therapy", "Yes")
    answer(visitor, "Are both mental health", "Yes")
    visitor.get_by_role("button", name="See my results").click()
    assert visitor.get_by_role("heading", name="Talk to a professional").is_visible()
    visitor.get_by_role("link", name="Request an intake call").click()
    visitor.get_by_label("First name").fill("Casey")
    visitor.get_by_label("Last name").fill("Morrow")
    visitor.get_by_label("Date of birth").fill("1985-02-03")
    visitor.get_by_label("Phone number").fill("555-0142")
    answer(visitor, "How should we contact you", "Text message")
    answer(visitor, "May we leave a message", "No")
    answer(visitor, "Which program", "Adult substance-use IOP")
    answer(visitor, "Insurance", "Medicaid")
    visitor.get_by_role("button", name="Send request").click()
    visitor.wait_for_url("**/request-intake/sent/")
    context.close()


def test_the_whole_path_from_self_check_to_admission(
    sign_in, page, clinician_page, browser, live_server, intake, clinician, clinic, settings
):
    # The bot check wants a form to be at least 3 s old; a test types faster than a person.
    settings.OPENIOP_INTAKE_MIN_SECONDS = 0
    request_intake_as_a_visitor(browser, live_server)

    # Intake finds the web request on the referral board, opens it and records the first contact.
    sign_in("intake")
    page.get_by_role("link", name="Referrals").click()
    inquiries = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Inquiry")))
    inquiries.get_by_role("link", name="Casey Morrow").click()
    page.wait_for_url(re.compile(r".*/clinic/referrals/\d+/$"))
    referral_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.get_by_role("button", name="Move to Contacted").click()
    assert page.get_by_text("Moved to Contacted.").is_visible()
    page.goto(f"/clinic/referrals/{referral_id}/admit/")
    assert page.get_by_role("heading", name="Admission: Casey Morrow").is_visible()
    assert page.get_by_text("Not ready to admit").is_visible()

    # The clinician records the screening.
    clinic_page = clinician_page
    sign_in_on(clinic_page, "clinician")
    clinic_page.goto(f"/clinic/referrals/{referral_id}/screening/")
    clinic_page.get_by_label("What brings the person in now?").fill("Drinking daily since a layoff; low mood")
    row = clinic_page.get_by_role("group", name="Substance 1")
    row.get_by_label("Substance").fill("Alcohol")
    row.get_by_label("Route").select_option("oral")
    row.get_by_label("How often").fill("Daily")
    row.get_by_label("Last use").fill("Yesterday")
    answer(clinic_page, "Withdrawal risk", "Low")
    answer(clinic_page, "Thoughts of suicide", "No")
    answer(clinic_page, "A plan or intent", "No")
    answer(clinic_page, "A suicide attempt", "No")
    answer(clinic_page, "Thoughts of harming someone else", "Did not answer")
    monday = clinic_page.get_by_role("group", name="Monday")
    monday.get_by_label("From").fill("17:00")
    monday.get_by_label("To").fill("21:00")
    clinic_page.get_by_role("button", name="Save screening").click()
    assert clinic_page.get_by_role("heading", name="Screening record").is_visible()
    assert clinic_page.get_by_text("Monday 17:00–21:00").is_visible()

    # ... and signs the level-of-care assessment (ASAM 3rd edition for a substance-use program).
    clinic_page.get_by_role("link", name="Go to the level-of-care assessment").click()
    for n in range(1, 7):
        dimension = clinic_page.locator(f"#dimension-d{n}")
        dimension.get_by_label("Risk rating").fill("2" if n != 5 else "3")
        dimension.get_by_label("Rationale").fill(f"History and here-and-now for dimension {n}")
    clinic_page.get_by_label("Level recommended by your assessment").select_option("2.1")
    clinic_page.get_by_label("Level decided").select_option("2.1")
    clinic_page.get_by_role("button", name="Sign assessment").click()
    assert clinic_page.get_by_text("Assessment signed.").is_visible()
    assert clinic_page.get_by_text(re.compile(r"Signed by .+ on ")).is_visible()

    # Intake admits.
    page.reload()
    page.get_by_label("Planned hours per week").fill("12")
    page.get_by_label("Expected length of stay (days)").fill("56")
    first = page.get_by_role("group", name="Diagnosis 1")
    first.get_by_label("ICD-10-CM code").fill("F10.20")
    first.get_by_label("Description").fill("Alcohol dependence, uncomplicated")
    page.get_by_label("Primary clinician").select_option(label=clinician.display_name)
    for consent in ("Consent to treatment", "HIPAA notice of privacy practices", "42 CFR Part 2 patient notice"):
        page.get_by_role("group", name=consent).get_by_label("Signed", exact=True).check()
    page.get_by_role("button", name="Admit").click()
    page.wait_for_url(re.compile(r".*/clinic/patients/M\d+/$"))
    assert page.get_by_text("Casey Morrow is admitted to Adult substance-use IOP").is_visible()
    assert page.get_by_text(re.compile("Consent to treatment: signed")).is_visible()
    mrn = page.url.rstrip("/").rsplit("/", 1)[1]

    # The patient is in the census, and the clinician's chart shows the level-of-care history.
    page.get_by_role("link", name="Census").click()
    assert page.get_by_role("link", name="Morrow, Casey").is_visible()
    clinic_page.goto(f"/clinic/patients/{mrn}/")
    assert clinic_page.get_by_role("heading", name="Level-of-care history").is_visible()
    assert clinic_page.get_by_text("Admitted at Intensive outpatient (IOP)").is_visible()
    assert clinic_page.get_by_role("cell", name="Alcohol dependence, uncomplicated").is_visible()
    assert page.console_errors == [] and clinic_page.console_errors == []


def test_the_forms_fit_a_phone_screen(page, browser, live_server, clinician, intake, new_referral):
    from openiop.intake import services
    from tests.intake.conftest import ASAM_RATINGS

    page.set_viewport_size(PHONE)
    sign_in_on(page, "clinician")
    for screen in ("screening", "assessment"):
        page.goto(f"/clinic/referrals/{new_referral.pk}/{screen}/")
        assert fits_the_screen(page), screen
    services.sign_assessment(actor=clinician, referral=new_referral, framework="asam3", ratings=ASAM_RATINGS,
                             recommended_level="2.1", actual_level="2.1")
    for url in (f"/clinic/referrals/{new_referral.pk}/assessment/", f"/clinic/referrals/{new_referral.pk}/admit/",
                "/clinic/census/"):
        page.goto(url)
        assert fits_the_screen(page), url
