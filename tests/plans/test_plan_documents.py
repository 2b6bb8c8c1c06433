"""Printable plans: the treatment plan, the relapse-prevention sheet and the wallet card (PDF),
in the clinic and in the portal."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.html import escape

from openiop.audit.models import Action, AuditEvent
from openiop.plans import documents, services
from openiop.plans.models import Plan, PlanKind, PlanVersion, RPItemKind
from openiop.privacy.labels import PART2_SHORT_NOTICE

PATIENT_WORDS = "I want to stop drinking so I can keep my job"
CLINICAL_GOAL = "Sustained abstinence from alcohol"


def plan_of(patient, kind):
    return Plan.objects.get(patient=patient, kind=kind)


def signed_treatment_version(patient, clinician) -> PlanVersion:
    draft = services.start_revision(actor=clinician, plan=plan_of(patient, PlanKind.TREATMENT))
    goal = services.save_item(actor=clinician, version=draft, part="goal", problem=draft.problems.first(),
                              clinical_text=CLINICAL_GOAL, patient_words=PATIENT_WORDS)
    services.save_item(actor=clinician, version=draft, part="objective", goal=goal,
                       text="Attend 90% of scheduled groups for 4 weeks", target_date=dt.date(2026, 11, 1))
    services.save_item(actor=clinician, version=draft, part="objective", goal=goal, text="PHQ-9 below 10",
                       target_date=dt.date(2026, 12, 1), measure_code="PHQ-9", measure_target=10)
    services.save_item(actor=clinician, version=draft, part="intervention", goal=goal, modality="cbt",
                       description="Relapse-prevention skills group", frequency="3 groups a week",
                       responsible=clinician)
    services.sign_version(actor=clinician, version=draft)
    return PlanVersion.objects.get(pk=draft.pk)


def rp_draft(patient, clinician) -> PlanVersion:
    draft = services.start_revision(actor=clinician, plan=plan_of(patient, PlanKind.RELAPSE_PREVENTION))
    items = [
        {"kind": RPItemKind.TRIGGER, "text": "Payday Fridays", "category": "times"},
        {"kind": RPItemKind.WARNING_SIGN, "text": "Skipping meals and not answering my phone"},
        {"kind": RPItemKind.COPING, "text": "Call my sponsor"},
        {"kind": RPItemKind.COPING, "text": "Go for a run"},
        {"kind": RPItemKind.HIGH_RISK, "text": "Office party", "plan_text": "Bring a sober friend and leave by 8"},
        {"kind": RPItemKind.SUPPORT, "text": "Sister", "name": "Jordan Shared", "relationship": "sister",
         "phone": "555-0100", "patient_allows_sharing": True},
        {"kind": RPItemKind.SUPPORT, "text": "Friend", "name": "Morgan Private", "relationship": "friend",
         "phone": "555-0199", "patient_allows_sharing": False},
    ]
    for fields in items:
        services.save_item(actor=clinician, version=draft, part="rp_item", **fields)
    services.update_draft(actor=clinician, version=draft, reasons_for_recovery="My kids")
    return draft


def signed_rp_version(patient, clinician) -> PlanVersion:
    draft = rp_draft(patient, clinician)
    services.sign_version(actor=clinician, version=draft)
    return PlanVersion.objects.get(pk=draft.pk)


# --- the documents themselves ------------------------------------------------------------------


def test_the_treatment_plan_shows_goals_objectives_services_and_signatures(patient_record, clinician):
    version = signed_treatment_version(patient_record, clinician)
    html = documents.treatment_plan_html(version)
    for text in (PATIENT_WORDS, CLINICAL_GOAL, "Attend 90% of scheduled groups", "01 Nov 2026",
                 "Relapse-prevention skills group", "3 groups a week", clinician.display_name,
                 "Group therapy block", "10.6 hours a week", patient_record.mrn, patient_record.legal_name,
                 "17 May 1990", "Adult substance-use IOP", f"Signed by {clinician.display_name}",
                 services.CLINICIAN_ATTESTATION, services.PATIENT_ATTESTATION):
        assert escape(text) in html, text
    assert "DRAFT" not in html
    assert documents.treatment_plan_pdf(version).startswith(b"%PDF")


def test_a_draft_treatment_plan_says_so_and_leaves_blank_signature_lines(patient_record, clinician):
    draft = services.start_revision(actor=clinician, plan=plan_of(patient_record, PlanKind.TREATMENT))
    html = documents.treatment_plan_html(draft)
    assert "DRAFT — not signed" in html
    assert html.count('class="sign-line"') >= 2
    assert documents.treatment_plan_pdf(draft).startswith(b"%PDF")


def test_the_patients_signature_is_shown_with_what_they_agreed_to(patient_record, clinician, patient_user):
    version = signed_treatment_version(patient_record, clinician)
    services.sign_as_patient(actor=patient_user, version=version, typed_name="Avery Quinlan", method="portal")
    html = documents.treatment_plan_html(version)
    assert "Signed by <strong>Avery Quinlan</strong>" in html
    assert html.count('class="sign-line"') == 0


def test_part2_records_carry_the_notice_on_the_plan_and_sheet(patient_record, clinician, other_patient_user):
    version = signed_treatment_version(patient_record, clinician)
    assert version.is_part2
    assert PART2_SHORT_NOTICE in documents.treatment_plan_html(version)
    assert PART2_SHORT_NOTICE in documents.relapse_prevention_html(signed_rp_version(patient_record, clinician))
    mh_draft = services.start_revision(actor=None, plan=plan_of(other_patient_user.patient, PlanKind.TREATMENT))
    assert PART2_SHORT_NOTICE not in documents.treatment_plan_html(mh_draft)


def test_the_sheet_lists_the_plan_in_plain_words_with_988_first(patient_record, clinician):
    version = signed_rp_version(patient_record, clinician)
    html = documents.relapse_prevention_html(version)
    for text in ("Payday Fridays", "Skipping meals", "Call my sponsor", "Office party",
                 "Bring a sober friend and leave by 8", "Jordan Shared", "My kids", "If I'm in crisis"):
        assert text in html, text
    contacts = documents.relapse_prevention_context(version)["crisis_contacts"]
    assert contacts[0].phone == "988"
    assert documents.relapse_prevention_pdf(version).startswith(b"%PDF")


def test_support_people_not_shared_stay_off_the_sheet_and_card(patient_record, clinician):
    version = signed_rp_version(patient_record, clinician)
    assert "Morgan Private" not in documents.relapse_prevention_html(version)
    assert "555-0199" not in documents.wallet_card_html(version)
    assert "Jordan Shared" in documents.wallet_card_html(version)


def test_the_wallet_card_has_coping_plans_and_contacts_but_nothing_that_identifies(patient_record, clinician):
    version = signed_rp_version(patient_record, clinician)
    html = documents.wallet_card_html(version)
    assert "If I'm struggling" in html and "Call my sponsor" in html and "Office party" in html
    assert html.index("988") < html.index("Jordan Shared")
    for identifying in (patient_record.mrn, patient_record.legal_last_name, "substance", PART2_SHORT_NOTICE):
        assert identifying not in html, identifying
    assert documents.wallet_card_pdf(version).startswith(b"%PDF")


def test_rendering_never_fetches_anything_outside_the_static_directory(patient_record, clinician):
    import weasyprint

    # A stylesheet from the network and a local file outside static: both refused, the PDF still made.
    html = ('<link rel="stylesheet" href="https://example.org/x.css">'
            '<img src="file:///etc/hostname"><p>Hello</p>')
    fetched = []
    original = weasyprint.URLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    weasyprint.URLFetcher.fetch = spy
    try:
        assert documents.html_to_pdf(html).startswith(b"%PDF")
    finally:
        weasyprint.URLFetcher.fetch = original
    assert fetched == []


# --- clinic downloads ------------------------------------------------------------------------


def clinic_url(version, document=""):
    url = reverse("clinic:plan_version_pdf", args=[version.patient.mrn, version.pk])
    return f"{url}?document={document}" if document else url


def test_the_clinician_downloads_the_plan_as_an_audited_attachment(login, clinician, patient_record):
    version = signed_treatment_version(patient_record, clinician)
    response = login(clinician).get(clinic_url(version))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="treatment-plan-v1.pdf"'
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.filter(action=Action.EXPORT, patient=patient_record).latest("id")
    assert event.detail["document"] == "plan" and event.object_id == str(version.pk)


def test_the_clinic_prints_the_rp_sheet_and_card_and_refuses_a_document_that_does_not_fit(
        login, clinician, patient_record):
    version = signed_rp_version(patient_record, clinician)
    client = login(clinician)
    sheet = client.get(clinic_url(version, "sheet"))
    assert sheet.status_code == 200 and 'filename="relapse-prevention-plan-v1.pdf"' in sheet["Content-Disposition"]
    card = client.get(clinic_url(version, "card"))
    assert card.status_code == 200 and 'filename="wallet-card-v1.pdf"' in card["Content-Disposition"]
    assert client.get(clinic_url(version, "plan")).status_code == 404


@pytest.mark.parametrize("persona_name", ["outsider", "front_desk", "biller", "intake", "privacy_officer"])
def test_people_outside_the_care_team_or_without_clinical_access_get_404(
        persona_name, persona, login, clinician, patient_record):
    version = signed_treatment_version(patient_record, clinician)
    assert login(persona(persona_name)).get(clinic_url(version)).status_code == 404


def test_a_version_of_another_patient_is_not_found_under_this_mrn(
        login, clinician, patient_record, director, other_patient_user):
    other = services.start_revision(actor=None, plan=plan_of(other_patient_user.patient, PlanKind.TREATMENT))
    url = reverse("clinic:plan_version_pdf", args=[patient_record.mrn, other.pk])
    assert login(director).get(url).status_code == 404


# --- portal downloads ------------------------------------------------------------------------


def portal_url(version, document=""):
    url = reverse("portal:plan_pdf", args=[version.pk])
    return f"{url}?document={document}" if document else url


def test_the_patient_downloads_their_signed_plan_sheet_and_card(login, patient_user, clinician, patient_record):
    treatment = signed_treatment_version(patient_record, clinician)
    rp = signed_rp_version(patient_record, clinician)
    client = login(patient_user)
    for url, filename in ((portal_url(treatment), "treatment-plan-v1.pdf"),
                          (portal_url(rp, "sheet"), "relapse-prevention-plan-v1.pdf"),
                          (portal_url(rp, "card"), "wallet-card-v1.pdf")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=Action.EXPORT, user=patient_user).count() == 3


def test_the_portal_does_not_offer_drafts(login, patient_user, clinician, patient_record):
    draft = rp_draft(patient_record, clinician)
    assert login(patient_user).get(portal_url(draft, "sheet")).status_code == 404


@pytest.mark.parametrize("persona_name", ["other_patient_user", "family_user"])
def test_other_patients_and_family_get_404_in_the_portal(persona_name, persona, login, clinician, patient_record):
    version = signed_treatment_version(patient_record, clinician)
    assert login(persona(persona_name)).get(portal_url(version)).status_code == 404


# --- layout: what WeasyPrint actually puts on the pages ------------------------------------------


def page_texts(document) -> list[str]:
    def texts(box):
        found = [box.text] if getattr(box, "text", None) else []
        for child in getattr(box, "children", None) or []:
            found.extend(texts(child))
        return found

    return [" ".join(texts(page._page_box)) for page in document.pages]


def test_the_part2_notice_is_at_the_foot_of_every_page(patient_record, clinician):
    version = signed_treatment_version(patient_record, clinician)
    draft = services.start_revision(actor=clinician, plan=version.plan, reason="More goals")
    for number in range(12):  # enough goals for several pages
        goal = services.save_item(actor=clinician, version=draft, part="goal", clinical_text=f"Goal {number} " * 20)
        services.save_item(actor=clinician, version=draft, part="objective", goal=goal, text="Objective " * 20,
                           target_date=dt.date(2026, 12, 1))
    pages = page_texts(documents.html_to_document(documents.treatment_plan_html(draft)))
    assert len(pages) > 1
    assert all(PART2_SHORT_NOTICE in text for text in pages)


def test_the_wallet_card_prints_on_two_credit_card_sized_pages(patient_record, clinician):
    version = signed_rp_version(patient_record, clinician)
    document = documents.html_to_document(documents.wallet_card_html(version))
    millimetres = [(round(page.width / 96 * 25.4, 1), round(page.height / 96 * 25.4, 1)) for page in document.pages]
    assert millimetres == [(85.6, 54.0), (85.6, 54.0)]
    front, back = page_texts(document)
    assert "Call my sponsor" in front and "988" in back
