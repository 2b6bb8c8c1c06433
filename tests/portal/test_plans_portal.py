"""The patient's plans in the portal: only signed versions, plain language, suggestions, signing."""

import datetime as dt

import pytest
from django.urls import reverse

from openiop.audit.models import AuditEvent
from openiop.plans import services
from openiop.plans.models import (
    Plan,
    PlanKind,
    PlanVersion,
    Proposal,
    RPItemKind,
    Signature,
    SignerRole,
)

pytestmark = pytest.mark.django_db

PLANS_URL = "/portal/plans/"


def plan_of(patient, kind):
    return Plan.objects.get(patient=patient, kind=kind)


def signed_treatment(patient, clinician):
    draft = services.start_revision(actor=clinician, plan=plan_of(patient, PlanKind.TREATMENT))
    goal = services.save_item(actor=clinician, version=draft, part="goal", problem=draft.problems.first(),
                              clinical_text="Sustained abstinence from alcohol",
                              patient_words="I want to stop drinking so I can keep my job")
    services.save_item(actor=clinician, version=draft, part="objective", goal=goal,
                       text="Attend 90% of scheduled groups for 4 weeks", target_date=dt.date(2026, 12, 1))
    services.save_item(actor=clinician, version=draft, part="intervention", goal=goal, modality="cbt",
                       frequency="3 groups a week", responsible=clinician)
    services.sign_version(actor=clinician, version=draft)
    return PlanVersion.objects.get(pk=draft.pk)


def signed_rp(patient, clinician, *, extra_triggers=0):
    draft = services.start_revision(actor=clinician, plan=plan_of(patient, PlanKind.RELAPSE_PREVENTION))
    services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.TRIGGER, text="Payday Fridays")
    for number in range(extra_triggers):
        services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.TRIGGER,
                           text=f"Trigger {number}")
    services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.COPING, text="Call my sponsor")
    services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.HIGH_RISK,
                       text="Cousin's wedding", plan_text="Bring Sam, leave by 9")
    services.update_draft(actor=clinician, version=draft, reasons_for_recovery="My daughter")
    services.sign_version(actor=clinician, version=draft)
    return PlanVersion.objects.get(pk=draft.pk)


def sign_url(version):
    return reverse("portal:sign_plan", kwargs={"version_id": version.pk})


def test_the_patient_sees_their_signed_plans_in_plain_language(login, patient_user, patient_record, clinician):
    signed_treatment(patient_record, clinician)
    signed_rp(patient_record, clinician)
    text = login(patient_user).get(PLANS_URL).text
    assert text.index("I want to stop drinking so I can keep my job") < text.index("Sustained abstinence")
    assert "Attend 90% of scheduled groups" in text and "December 1, 2026" in text
    assert "3 group sessions of 3 hours a week" in text
    assert "1 hour with your therapist a week" in text
    assert "A family session of 1 hour every other week" in text
    assert "Payday Fridays" in text and "Bring Sam, leave by 9" in text and "My daughter" in text
    assert "Sign your plan" in text


def test_crisis_contacts_list_988_first_even_when_added_last(login, patient_user, patient_record, clinician):
    draft = services.start_revision(actor=clinician, plan=plan_of(patient_record, PlanKind.RELAPSE_PREVENTION))
    services.remove_item(actor=clinician, item=draft.rp_items.get(phone="988"))
    services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.CRISIS_CONTACT,
                       name="County crisis line", phone="555-0111", text="24 hours")
    services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.CRISIS_CONTACT,
                       name="988 Suicide & Crisis Lifeline", phone="988", text="Call or text")
    services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.TRIGGER, text="Payday")
    services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.COPING, text="Walk")
    services.sign_version(actor=clinician, version=draft)
    text = login(patient_user).get(PLANS_URL).text
    crisis = text[text.index("If you are in crisis"):]
    assert crisis.index("988 Suicide") < crisis.index("County crisis line")


def test_the_portal_never_shows_a_draft(login, patient_user, patient_record, clinician):
    signed_rp(patient_record, clinician)
    draft = services.start_revision(actor=clinician, plan=plan_of(patient_record, PlanKind.RELAPSE_PREVENTION),
                                    reason="New triggers")
    services.save_item(actor=clinician, version=draft, part="rp_item", kind=RPItemKind.TRIGGER,
                       text="Draft-only trigger about the ex")
    treatment_draft = services.start_revision(actor=clinician, plan=plan_of(patient_record, PlanKind.TREATMENT))
    services.save_item(actor=clinician, version=treatment_draft, part="goal", clinical_text="Unsigned draft goal")
    client = login(patient_user)
    text = client.get(PLANS_URL).text
    assert "Payday Fridays" in text
    assert "Draft-only trigger" not in text and "Unsigned draft goal" not in text
    assert "still writing your treatment plan" in text
    assert client.get(sign_url(draft)).status_code == 404
    assert client.get(sign_url(treatment_draft)).status_code == 404


def test_family_members_get_not_found_for_plans(login, family_user, patient_record, clinician):
    version = signed_rp(patient_record, clinician)
    client = login(family_user)
    assert client.get(PLANS_URL).status_code == 404
    assert client.get(sign_url(version)).status_code == 404


def test_another_patient_gets_not_found_for_someone_elses_sign_page(
        login, other_patient_user, patient_record, clinician):
    version = signed_treatment(patient_record, clinician)
    client = login(other_patient_user)
    assert client.get(sign_url(version)).status_code == 404
    assert client.post(sign_url(version), {"typed_name": "Blake Osei"}).status_code == 404
    assert not Signature.objects.filter(version=version, role=SignerRole.PATIENT).exists()


def test_the_patient_signs_and_the_clinic_page_shows_the_signature(
        login, client, patient_user, patient_record, clinician):
    version = signed_rp(patient_record, clinician)
    login(patient_user)
    page = client.get(sign_url(version)).text
    assert services.PATIENT_ATTESTATION in page and "Type your full name" in page
    assert client.post(sign_url(version), {"typed_name": ""}).status_code == 400
    response = client.post(sign_url(version), {"typed_name": "Avery Quinlan"})
    assert response.status_code == 302
    signature = Signature.objects.get(version=version, role=SignerRole.PATIENT)
    assert signature.method == "portal" and signature.typed_name == "Avery Quinlan"
    assert "You signed this plan on" in client.get(PLANS_URL).text
    client.force_login(clinician)
    clinic_page = client.get(reverse("clinic:rp_plan", kwargs={"mrn": patient_record.mrn})).text
    assert "Patient: “Avery Quinlan”" in clinic_page and "In the patient portal" in clinic_page


def test_a_suggested_change_reaches_the_clinician(login, client, patient_user, patient_record, clinician):
    signed_rp(patient_record, clinician)
    login(patient_user)
    response = client.post(PLANS_URL, {"suggest-kind": "support", "suggest-text": "She gets it",
                                       "suggest-name": "Dana", "suggest-relationship": "sister",
                                       "suggest-phone": "555-0100"})
    assert response.status_code == 302
    proposal = Proposal.objects.get(patient=patient_record)
    assert (proposal.kind, proposal.name, proposal.phone) == ("support", "Dana", "555-0100")
    assert "Waiting for the care team" in client.get(PLANS_URL).text
    client.force_login(clinician)
    assert "Dana" in client.get(reverse("clinic:rp_proposals", kwargs={"mrn": patient_record.mrn})).text


def test_a_support_person_without_a_name_is_refused_and_the_text_kept(login, patient_user, patient_record, clinician):
    signed_rp(patient_record, clinician)
    response = login(patient_user).post(PLANS_URL, {"suggest-kind": "support", "suggest-text": "My neighbour Lee"})
    assert response.status_code == 400
    assert "Give the person" in response.text and "My neighbour Lee" in response.text
    assert not Proposal.objects.exists()


def test_the_team_response_is_shown_to_the_patient(login, patient_user, patient_record, clinician):
    proposal = services.propose_change(actor=patient_user, plan=plan_of(patient_record, PlanKind.RELAPSE_PREVENTION),
                                       kind="warning_sign", text="Skipping breakfast")
    services.discuss_proposal(actor=clinician, proposal=proposal, response="Let's talk about mornings")
    text = login(patient_user).get(PLANS_URL).text
    assert "To talk about together" in text and "Let&#x27;s talk about mornings" in text


def test_viewing_plans_is_audited(login, patient_user, patient_record):
    login(patient_user).get(PLANS_URL)
    assert AuditEvent.objects.filter(user=patient_user, patient=patient_record, detail__page="portal plans").exists()


def test_the_home_page_links_the_patient_to_their_plans(login, patient_user):
    assert PLANS_URL in login(patient_user).get("/portal/").text


@pytest.mark.parametrize("count", [0, 6])
def test_the_plans_page_uses_the_same_queries_for_few_and_many_items(
        login, patient_user, patient_record, clinician, count, django_assert_num_queries):
    signed_treatment(patient_record, clinician)
    signed_rp(patient_record, clinician, extra_triggers=count)
    for number in range(count):
        services.propose_change(actor=patient_user, plan=plan_of(patient_record, PlanKind.RELAPSE_PREVENTION),
                                kind="coping", text=f"Idea {number}")
    client = login(patient_user)
    client.get(PLANS_URL)
    # Session, user, patient; each plan and its signed version with signatures (3 + 3); the
    # treatment goals with objectives (2), service lines; the RP items; proposals; one audit insert.
    with django_assert_num_queries(15):
        assert client.get(PLANS_URL).status_code == 200
