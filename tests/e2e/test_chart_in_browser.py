import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_clinician_signs_in_searches_and_opens_the_chart(sign_in, page, clinician, patient_record):
    sign_in("clinician")
    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Search patients").fill("Quinlan")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Quinlan, Ave").click()
    page.wait_for_url(f"**/clinic/patients/{patient_record.mrn}/")
    assert page.get_by_role("heading", name="Diagnoses").is_visible()
    assert page.get_by_role("cell", name="Alcohol dependence, uncomplicated").is_visible()
    assert page.get_by_text("42 CFR Part 2").first.is_visible()
    assert page.console_errors == []


def test_live_search_updates_results_as_the_clinician_types(sign_in, page, clinician, patient_record):
    sign_in("clinician")
    page.goto("/clinic/patients/")
    page.get_by_label("Search patients").press_sequentially("Quin", delay=50)
    # The page's CSP forbids eval, so wait on a locator rather than a JavaScript predicate.
    page.locator("#results").get_by_text("for “Quin”").wait_for()
    assert page.get_by_role("link", name="Quinlan, Ave").is_visible()
    assert page.console_errors == []


def test_front_desk_opens_the_same_patient_and_sees_no_clinical_section(sign_in, page, front_desk, patient_record):
    sign_in("frontdesk")
    page.goto(f"/clinic/patients/{patient_record.mrn}/")
    assert page.get_by_role("heading", name="Demographics").is_visible()
    assert page.get_by_role("heading", name="Diagnoses").count() == 0
    assert page.get_by_text("Alcohol dependence").count() == 0


def test_an_outsider_gets_not_found_and_can_break_the_glass_with_a_reason(sign_in, page, outsider, patient_record):
    sign_in("outsider")
    response = page.goto(f"/clinic/patients/{patient_record.mrn}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Patient not found").is_visible()
    page.get_by_role("link", name="Request emergency access").click()
    page.get_by_label("Kind of emergency").select_option("ETREAT")
    page.get_by_label("What is happening").fill("Patient called the crisis line; care team unreachable")
    page.get_by_role("button", name="Open the chart in an emergency").click()
    page.wait_for_url(f"**/clinic/patients/{patient_record.mrn}/")
    assert page.get_by_text("Emergency access.", exact=False).first.is_visible()
    assert page.get_by_role("heading", name="Diagnoses").is_visible()


def test_the_chart_fits_a_phone_screen(sign_in, page, clinician, patient_record):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in("clinician")
    page.goto(f"/clinic/patients/{patient_record.mrn}/")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_the_portal_shows_the_patient_a_crisis_line(page, patient_user):
    from tests.factories.clinic import TEST_PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("patient")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/portal/")
    assert page.get_by_role("region", name="Crisis help").is_visible()
    assert page.get_by_role("link", name="988").first.is_visible()
