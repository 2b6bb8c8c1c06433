"""A treatment plan in the browser: the clinician writes and signs it, the patient signs it in
the portal, and a review steps it down to a new version while the old one stays as it was."""

import re

import pytest

from tests.factories.clinic import TEST_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GROUP_LINE_BEFORE = "3 × 180 min group therapy block every week"
GROUP_LINE_AFTER = "2 × 180 min group therapy block every week"
ASAM_RATINGS = {f"d{n}": {"rating": 2, "rationale": "History and here-and-now reviewed."} for n in range(1, 7)}

# How the goal is offered in the objective and intervention forms: clinical wording first.
GOAL_CHOICE = "Sustained abstinence from alcohol (“I want to be sober for my daughter”)"


def sign_in_as(page, username, lands_on):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lands_on)


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def section(page, title):
    """An editor section, found by its heading as a screen reader would ("Goals (1)")."""
    return page.get_by_role("region", name=re.compile(rf"^{re.escape(title)}\b"))


@pytest.fixture
def assessed_patient(patient_record, clinician):
    """`patient_record` with a signed level-of-care assessment, so the first draft is prefilled from it."""
    from openiop.intake import services

    services.sign_assessment(actor=clinician, patient=patient_record, framework="asam3", ratings=ASAM_RATINGS,
                             recommended_level="2.1", actual_level="2.1")
    return patient_record


def write_and_sign_the_first_version(page, patient, clinician):
    page.goto(f"/clinic/patients/{patient.mrn}/")
    page.get_by_role("region", name="Plans").get_by_role("link", name="All plans, versions and reviews").click()
    page.wait_for_url("**/plans/")
    page.get_by_role("region", name=re.compile("^Treatment plan")).get_by_role(
        "button", name="Write the plan").click()
    page.get_by_role("heading", name=re.compile("Treatment plan, version 1")).wait_for()

    problems = section(page, "Problems")
    assert problems.get_by_text("Alcohol dependence, uncomplicated (F10.20)").is_visible()
    assert problems.get_by_text("ASAM dimension 1: rated 2").is_visible()

    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1280, "height": 900})

    goals = section(page, "Goals")
    goals.get_by_label("Goal (clinical terms)").fill("Sustained abstinence from alcohol")
    goals.get_by_label("Goal in the patient's own words").fill("I want to be sober for my daughter")
    page.get_by_role("button", name="Add (goals)").click()
    assert section(page, "Goals").get_by_text("I want to be sober for my daughter").is_visible()

    objectives = section(page, "Objectives")
    objectives.get_by_label("Goal").select_option(label=GOAL_CHOICE)
    objectives.get_by_label("Measurable objective").fill("Attend 90% of scheduled groups for 4 weeks")
    objectives.get_by_label("Target date").fill("2026-12-31")
    page.get_by_role("button", name="Add (objectives)").click()
    assert section(page, "Objectives").get_by_text("by 2026-12-31").is_visible()

    interventions = section(page, "Interventions")
    interventions.get_by_label("Goal").select_option(label=GOAL_CHOICE)
    interventions.get_by_label("Modality").select_option(label="Cognitive behavioural therapy (CBT)")
    interventions.get_by_label("Frequency").fill("3 groups a week")
    interventions.get_by_label("Responsible staff").select_option(
        label=f"{clinician.display_name} ({clinician.get_role_display()})")
    page.get_by_role("button", name="Add (interventions)").click()
    assert section(page, "Interventions").get_by_text(f"responsible: {clinician.display_name}").is_visible()

    services = section(page, "Weekly services")
    assert services.get_by_text("10.6 hours a week", exact=True).is_visible()
    assert services.get_by_text("outside the band").count() == 0

    page.get_by_role("button", name="Sign the plan").click()
    page.get_by_role("heading", name=re.compile("Treatment plan, version 1 signed")).wait_for()
    assert_read_only(page)


def assert_read_only(page):
    """A signed version offers nothing to edit."""
    main = page.get_by_role("main")
    assert main.get_by_role("textbox").count() == 0
    assert main.get_by_role("combobox").count() == 0
    assert main.get_by_role("button", name=re.compile("^(Add|Save|Remove|Sign the plan)")).count() == 0
    assert main.locator("form").filter(has=page.locator("textarea, select, input:not([type=hidden])")).count() == 0
    assert main.get_by_role("link", name=re.compile("^Edit")).count() == 0


def patient_signs_in_the_portal(browser, live_server):
    context, page = new_page(browser, live_server)
    try:
        sign_in_as(page, "patient", "**/portal/")
        page.get_by_role("region", name="Your plans").get_by_role("link", name="See your plans").click()
        page.get_by_role("heading", name="Your plans", level=1).wait_for()
        treatment = page.get_by_role("region", name="Your treatment plan")
        assert treatment.get_by_text("I want to be sober for my daughter").is_visible()
        treatment.get_by_role("link", name="Sign your plan").click()
        page.get_by_label("Type your full name").fill("Ave Quinlan")
        page.get_by_role("button", name="Sign my plan").click()
        page.wait_for_url("**/portal/plans/")
        assert page.get_by_role("region", name="Your treatment plan").get_by_text(
            "You signed this plan on").is_visible()
    finally:
        context.close()


def review_and_step_down(page, patient):
    page.get_by_role("link", name=re.compile("Plans of")).click()
    page.get_by_role("region", name=re.compile("^Treatment plan")).get_by_role(
        "link", name="Review the plan").click()
    page.get_by_role("heading", name=re.compile("Review the treatment plan")).wait_for()
    objective = page.get_by_role("group", name=re.compile("^Attend 90% of scheduled groups"))
    objective.get_by_label("Progressing", exact=True).check()
    objective.get_by_label("Note").fill("Attended 11 of 12 groups")
    page.get_by_role("textbox", name="Summary (required)").fill("Abstinent four weeks; attending groups; ready to step down.")
    page.get_by_label("Change the plan").check()
    page.get_by_label("What the change is").fill("Step down to 2 group blocks")
    page.get_by_role("button", name="Sign the review").click()
    page.get_by_role("heading", name=re.compile("Treatment plan, version 2")).wait_for()

    services = section(page, "Weekly services")
    group_line = services.get_by_role("listitem").filter(has_text=GROUP_LINE_BEFORE)
    group_line.get_by_role("link", name=re.compile("^Edit")).click()
    edit_form = section(page, "Weekly services").get_by_role("listitem").filter(
        has=page.get_by_role("button", name="Save changes (weekly services)"))
    edit_form.get_by_label("Sessions").fill("2")
    edit_form.get_by_role("button", name="Save changes (weekly services)").click()

    services = section(page, "Weekly services")
    assert services.get_by_text(GROUP_LINE_AFTER).is_visible()
    assert services.get_by_text("7.6 hours a week", exact=True).is_visible()
    assert services.get_by_text("outside the band").is_visible()

    details = page.get_by_role("region", name="Why this version")
    assert details.get_by_label("Why this version").input_value() == "Step down to 2 group blocks"
    details.get_by_label("Clinical reason for hours outside the program's band").fill(
        "Stepping down after four weeks abstinent; discharge planned in three weeks.")
    details.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("button", name="Sign the plan").click()
    page.get_by_role("heading", name=re.compile("Treatment plan, version 2 signed")).wait_for()
    assert_read_only(page)

    differences = page.get_by_role("region", name="Differences from version 1")
    changed = differences.get_by_role("row").filter(has_text=GROUP_LINE_AFTER)
    assert changed.get_by_role("cell", name=GROUP_LINE_BEFORE).is_visible()
    assert changed.get_by_role("cell", name="changed").is_visible()


def the_old_version_is_kept(page):
    page.get_by_role("region", name="Other versions").get_by_role("link", name="Version 1").click()
    page.get_by_role("heading", name=re.compile("Treatment plan, version 1 signed")).wait_for()
    assert page.get_by_role("region", name="Weekly services").get_by_text(GROUP_LINE_BEFORE).is_visible()
    assert page.get_by_text(GROUP_LINE_AFTER).count() == 0
    signatures = page.get_by_role("region", name="Signatures").get_by_role("listitem")
    assert signatures.filter(has_text=re.compile(r"^\s*Clinician:")).count() == 1
    assert signatures.filter(has_text=re.compile(r"^\s*Patient:")).filter(has_text="Ave Quinlan").count() == 1
    assert_read_only(page)


def test_a_plan_is_written_signed_by_both_and_stepped_down_with_the_old_version_kept(
    page, browser, live_server, assessed_patient, clinician, patient_user,
):
    sign_in_as(page, "clinician", "**/clinic/**")
    write_and_sign_the_first_version(page, assessed_patient, clinician)

    patient_signs_in_the_portal(browser, live_server)

    review_and_step_down(page, assessed_patient)
    the_old_version_is_kept(page)
    assert page.console_errors == []

