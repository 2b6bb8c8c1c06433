"""The clinic's relapse-prevention plan screens: the editor, signing, proposals, the library."""

import pytest
from django.urls import reverse

from openiop.audit.models import AuditEvent
from openiop.clinic.rp_views import rp_version_page
from openiop.plans import services
from openiop.plans.models import (
    CopingStrategy,
    Plan,
    PlanKind,
    PlanVersion,
    ProposalStatus,
    RPItem,
    RPItemKind,
    VersionStatus,
)

pytestmark = pytest.mark.django_db


def rp_plan(patient):
    return Plan.objects.get(patient=patient, kind=PlanKind.RELAPSE_PREVENTION)


def rp_draft(patient, clinician):
    return services.start_revision(actor=clinician, plan=rp_plan(patient))


def signable(draft, clinician):
    services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.TRIGGER, text="Payday Fridays")
    services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.COPING, text="Call my sponsor")
    return draft


def signed_rp(patient, clinician):
    draft = signable(rp_draft(patient, clinician), clinician)
    services.sign_version(actor=clinician, version=draft)
    return PlanVersion.objects.get(pk=draft.pk)


def plan_url(patient):
    return reverse("clinic:rp_plan", kwargs={"mrn": patient.mrn})


def add_url(patient, version):
    return reverse("clinic:rp_add_item", kwargs={"mrn": patient.mrn, "version_id": version.pk})


def proposals_url(patient):
    return reverse("clinic:rp_proposals", kwargs={"mrn": patient.mrn})


def propose(patient_user, patient, text="Skipping breakfast", kind=RPItemKind.WARNING_SIGN, **fields):
    return services.propose_change(actor=patient_user, plan=rp_plan(patient), kind=kind, text=text, **fields)


# Access -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona_name", ["outsider", "front_desk", "biller", "intake", "patient_user", "family_user"])
def test_the_rp_pages_are_not_found_for_people_outside_the_clinical_team(
        login, persona, persona_name, patient_record, clinician, patient_user):
    draft = rp_draft(patient_record, clinician)
    propose(patient_user, patient_record)
    client = login(persona(persona_name))
    assert client.get(plan_url(patient_record)).status_code == 404
    assert client.get(proposals_url(patient_record)).status_code == 404
    assert client.post(add_url(patient_record, draft), {"kind": "trigger", "trigger-text": "x"}).status_code == 404
    assert not RPItem.objects.filter(version=draft, text="x").exists()


def test_an_outsiders_attempt_is_recorded_for_the_patient(login, outsider, patient_record):
    login(outsider).get(plan_url(patient_record))
    assert AuditEvent.objects.filter(user=outsider, patient=patient_record, action="denied").exists()


def test_opening_the_plan_is_audited(login, clinician, patient_record):
    rp_draft(patient_record, clinician)
    login(clinician).get(plan_url(patient_record))
    assert AuditEvent.objects.filter(user=clinician, patient=patient_record, action="view",
                                     detail__page="relapse-prevention plan").exists()


# The editor ---------------------------------------------------------------------------------------------------


def test_a_plan_without_a_draft_offers_to_start_one_with_988_prefilled(login, clinician, patient_record):
    client = login(clinician)
    assert "Start the plan" in client.get(plan_url(patient_record)).text
    response = client.post(reverse("clinic:rp_start_version", kwargs={"mrn": patient_record.mrn}), follow=True)
    assert "988 Suicide &amp; Crisis Lifeline" in response.text
    assert "Sign the plan" in response.text


def test_the_draft_editor_shows_every_section_and_the_coping_library(login, clinician, patient_record):
    rp_draft(patient_record, clinician)
    text = login(clinician).get(plan_url(patient_record)).text
    for title in ("Triggers", "Early warning signs", "Coping strategies", "High-risk situations",
                  "Support network", "Reasons for recovery", "Crisis contacts"):
        assert title in text
    assert CopingStrategy.objects.filter(organization__isnull=True).first().name in text
    assert "The patient allows sharing this on printed copies" in text


def test_adding_a_trigger_with_a_category_saves_it(login, clinician, patient_record):
    draft = rp_draft(patient_record, clinician)
    response = login(clinician).post(add_url(patient_record, draft), {
        "kind": "trigger", "trigger-text": "Payday Fridays", "trigger-category": "times"})
    assert response.status_code == 302
    assert RPItem.objects.get(version=draft, kind="trigger").category == "times"


def test_a_library_coping_strategy_needs_no_words_of_its_own(login, clinician, patient_record):
    draft = rp_draft(patient_record, clinician)
    strategy = CopingStrategy.objects.filter(organization__isnull=True).first()
    response = login(clinician).post(add_url(patient_record, draft), {
        "kind": "coping", "coping-coping_strategy": strategy.pk, "coping-text": ""})
    assert response.status_code == 302
    item = RPItem.objects.get(version=draft, kind="coping")
    assert item.coping_strategy == strategy and item.text == strategy.name


def test_a_high_risk_situation_without_a_plan_is_refused_naming_it_and_keeping_the_text(
        login, clinician, patient_record):
    draft = rp_draft(patient_record, clinician)
    response = login(clinician).post(add_url(patient_record, draft), {
        "kind": "high_risk", "high_risk-text": "My cousin's wedding on 12 December", "high_risk-plan_text": ""})
    assert response.status_code == 400
    assert "High-risk situations: The plan for it: Write the concrete plan" in response.text
    assert "My cousin&#x27;s wedding on 12 December" in response.text
    assert not RPItem.objects.filter(version=draft, kind="high_risk").exists()


def test_a_support_person_without_a_name_is_refused_and_the_phone_kept(login, clinician, patient_record):
    draft = rp_draft(patient_record, clinician)
    response = login(clinician).post(add_url(patient_record, draft), {
        "kind": "support", "support-relationship": "sister", "support-phone": "555-0199"})
    assert response.status_code == 400
    assert "Give the person" in response.text and 'value="555-0199"' in response.text


def test_removing_an_item_from_the_draft(login, clinician, patient_record):
    draft = signable(rp_draft(patient_record, clinician), clinician)
    trigger = RPItem.objects.get(version=draft, kind="trigger")
    url = reverse("clinic:rp_remove_item", kwargs={"mrn": patient_record.mrn, "version_id": draft.pk,
                                                   "item_id": trigger.pk})
    assert login(clinician).post(url).status_code == 302
    assert not RPItem.objects.filter(pk=trigger.pk).exists()


def test_reasons_for_recovery_are_saved_in_the_patients_words(login, clinician, patient_record):
    draft = rp_draft(patient_record, clinician)
    url = reverse("clinic:rp_save_reasons", kwargs={"mrn": patient_record.mrn, "version_id": draft.pk})
    login(clinician).post(url, {"reasons-reasons_for_recovery": "To be there for my daughter"})
    draft.refresh_from_db()
    assert draft.reasons_for_recovery == "To be there for my daughter"


def test_signing_an_incomplete_plan_lists_what_is_missing(login, clinician, patient_record):
    draft = rp_draft(patient_record, clinician)
    url = reverse("clinic:rp_sign", kwargs={"mrn": patient_record.mrn, "version_id": draft.pk})
    response = login(clinician).post(url)
    assert response.status_code == 400
    assert "Add at least one trigger." in response.text and "Add at least one coping strategy." in response.text
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_a_signed_version_is_read_only_with_its_signatures_and_differences(login, clinician, patient_record):
    first = signed_rp(patient_record, clinician)
    second = services.start_revision(actor=clinician, plan=first.plan, reason="New sponsor")
    services.save_item(actor=clinician, version=second, part="rp_item", kind=RPItemKind.SUPPORT, name="Jo Park",
                       text="sponsor", relationship="sponsor")
    services.sign_version(actor=clinician, version=second)
    text = login(clinician).get(plan_url(patient_record)).text
    assert "What changed since version 1" in text and "Jo Park" in text
    assert "Clinician:" in text
    assert "Remove" not in text and "Sign the plan" not in text and 'name="kind"' not in text


def test_a_form_posted_to_a_signed_version_changes_nothing(login, clinician, patient_record):
    version = signed_rp(patient_record, clinician)
    response = login(clinician).post(add_url(patient_record, version), {"kind": "trigger", "trigger-text": "x"})
    assert response.status_code == 404
    assert not RPItem.objects.filter(text="x").exists()


def test_the_version_page_function_renders_a_draft_for_the_plan_screens(rf, clinician, patient_record):
    draft = rp_draft(patient_record, clinician)
    request = rf.get("/")
    request.user = clinician
    request._messages = []
    response = rp_version_page(request, patient_record, draft)
    assert response.status_code == 200 and b"Sign the plan" in response.content


# Proposals ------------------------------------------------------------------------------------------------------


def test_the_patients_proposal_appears_for_the_clinician(login, clinician, patient_record, patient_user):
    propose(patient_user, patient_record, kind=RPItemKind.HIGH_RISK, text="Office party", plan_text="Leave by 8")
    text = login(clinician).get(proposals_url(patient_record)).text
    assert "Office party" in text and "Leave by 8" in text
    assert "Accept into the draft" in text and "Talk it through" in text


def test_accepting_a_proposal_adds_it_to_the_draft_and_opens_it(login, clinician, patient_record, patient_user):
    signed_rp(patient_record, clinician)
    proposal = propose(patient_user, patient_record)
    url = reverse("clinic:rp_accept_proposal", kwargs={"mrn": patient_record.mrn, "proposal_id": proposal.pk})
    response = login(clinician).post(url)
    assert response.status_code == 302 and response["Location"].startswith(plan_url(patient_record))
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert RPItem.objects.filter(version=proposal.added_to, text="Skipping breakfast").exists()
    assert "Skipping breakfast" in login(clinician).get(response["Location"]).text


def test_talking_it_through_needs_a_note_and_keeps_what_was_typed(login, clinician, patient_record, patient_user):
    proposal = propose(patient_user, patient_record)
    url = reverse("clinic:rp_discuss_proposal", kwargs={"mrn": patient_record.mrn, "proposal_id": proposal.pk})
    client = login(clinician)
    response = client.post(url, {f"p{proposal.pk}-response": ""})
    assert response.status_code == 400 and "Note for the patient" in response.text
    response = client.post(url, {f"p{proposal.pk}-response": "Let's talk about mornings on Tuesday"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DISCUSSED and proposal.response.startswith("Let's talk")


@pytest.mark.parametrize("count", [1, 5])
def test_the_proposals_page_uses_the_same_queries_for_1_and_many(
        login, clinician, patient_record, patient_user, count, django_assert_num_queries):
    for number in range(count):
        propose(patient_user, patient_record, text=f"Sign {number}")
    client = login(clinician)
    client.get(proposals_url(patient_record))
    # Session, user, patient, the plan, the proposals (with responders), one audit insert.
    with django_assert_num_queries(6):
        assert client.get(proposals_url(patient_record)).status_code == 200


# The library ----------------------------------------------------------------------------------------------------


def test_the_director_adds_an_organization_strategy(login, director, clinician, patient_record):
    client = login(director)
    url = reverse("clinic:coping_strategies")
    assert client.post(url, {"name": "", "description": ""}).status_code == 400
    assert client.post(url, {"name": "Surf the urge", "description": "Ride it out for 20 minutes"}).status_code == 302
    assert "Surf the urge" in client.get(url).text
    rp_draft(patient_record, clinician)
    assert "Surf the urge" in login(clinician).get(plan_url(patient_record)).text


@pytest.mark.parametrize("persona_name", ["clinician", "outsider", "front_desk", "patient_user"])
def test_only_the_director_opens_the_library(login, persona, persona_name):
    assert login(persona(persona_name)).get(reverse("clinic:coping_strategies")).status_code == 404
